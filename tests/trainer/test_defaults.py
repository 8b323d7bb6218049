"""The shipped default models: made by this pipeline, installed where the store has none."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import psycopg
import pytest

from pose_common import model_catalog as catalog
from pose_ml.datasets.dataset import Dataset
from pose_ml.model_store import LoadedModel, load_model
from pose_trainer.defaults import DEFAULTS_DIR, seed_default_models, shipped_models
from pose_trainer.promotion import evaluate_loaded
from pose_trainer.settings import TrainerSettings
from tests.processes import wait_until
from tests.trainer.conftest import Workers

EXPECTED = {
    "yoga": ["chair", "cobra", "dog", "tree", "warrior"],
    "fitness": ["pushups_down", "pushups_up", "squats_down", "squats_up"],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_shipped_model_is_a_complete_version_made_by_the_pipeline(name: str) -> None:
    directory = shipped_models()[name]
    manifest = json.loads((directory / catalog.MANIFEST_FILE).read_text())
    assert manifest["labels"] == EXPECTED[name]
    assert manifest["config"]["name"] == name and manifest["job_id"].startswith("build-defaults")
    assert manifest["training_data"]["train"]["frames"] > 0
    report = json.loads((directory / catalog.REPORT_FILE).read_text())
    assert report["cross_validation"]["mean_accuracy"] == manifest["metrics"]["cv_mean_accuracy"]
    # The shipped evaluation split gives the recorded accuracy again.
    split = Dataset.load(directory / "eval_split.npz")
    loaded = _load_shipped(directory, name)
    assert evaluate_loaded(loaded, split)["accuracy"] == pytest.approx(
        manifest["metrics"]["accuracy"]
    )


def _load_shipped(directory: Path, name: str) -> LoadedModel:
    """The shipped directory loaded as version 1 of a scratch store."""
    scratch = Path(tempfile.mkdtemp())
    target = catalog.version_dir(scratch, name, 1)
    target.parent.mkdir(parents=True)
    shutil.copytree(directory, target)
    return load_model(root=scratch, name=name, version=1)


def test_the_shipped_models_reach_their_figures() -> None:
    metrics = {
        name: json.loads((d / catalog.MANIFEST_FILE).read_text())["metrics"]
        for name, d in shipped_models().items()
    }
    assert metrics["fitness"]["cv_mean_accuracy"] >= 0.98
    assert metrics["yoga"]["cv_kind"] == "logo"


def test_seeding_installs_each_missing_model_once(
    trainer_settings: TrainerSettings, database_url: str
) -> None:
    installed = seed_default_models(settings=trainer_settings, actor="test")
    assert installed == {"fitness": 1, "yoga": 1}
    assert seed_default_models(settings=trainer_settings) == {}  # nothing missing any more
    root = trainer_settings.model_dir
    for name in EXPECTED:
        assert catalog.resolve_alias(root, name) == 1
        loaded = load_model(root=root, name=name, version=1)
        probabilities = loaded.probabilities(loaded.features(np.random.rand(4, 17, 3) * 300))
        assert probabilities.shape == (4, len(EXPECTED[name]))
    with psycopg.connect(database_url) as conn:
        events = conn.execute(
            "SELECT model, event, actor FROM model_events ORDER BY model"
        ).fetchall()
    assert events == [("fitness", "seeded", "test"), ("yoga", "seeded", "test")]


def test_the_control_worker_installs_the_defaults_on_start(
    workers: Workers, trainer_settings: TrainerSettings
) -> None:
    workers.env["POSE_TRAINER_SEED_DEFAULTS"] = "true"
    workers.start("control")
    wait_until(
        lambda: all(catalog.resolve_alias(trainer_settings.model_dir, n) for n in EXPECTED),
        timeout=90,
        interval=0.5,
        what=f"the default models\n{workers.logs()}",
    )
    assert DEFAULTS_DIR.is_dir()
