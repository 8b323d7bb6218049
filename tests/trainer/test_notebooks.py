"""The notebooks run top to bottom with nbclient (so they never rot), on the shared data."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import REPO_ROOT, SHARED_DIR, shared_path

NOTEBOOKS = sorted((REPO_ROOT / "services" / "trainer" / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks_for_exploration_and_training() -> None:
    names = [path.name for path in NOTEBOOKS]
    assert names == ["01_data_exploration.ipynb", "02_training_experiment.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_without_errors(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared_path("data", "yoga-train", "train_data.csv")
    monkeypatch.setenv("POSE_SHARED_DIR", str(SHARED_DIR))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", os.environ.get("OPENBLAS_NUM_THREADS", "1"))
    notebook = nbformat.read(path, as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), (
        "commit notebooks without outputs"
    )
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
    images = [
        o for c in notebook.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    ]
    assert images, "the notebook shows its plots"
