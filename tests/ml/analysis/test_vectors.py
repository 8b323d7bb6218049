"""The shared vector file and the browser's exercise definitions match the Python code now.

frontend/src/analysis/*.test.ts check the browser against the same file (acceptance 1);
this side checks the file is what pose_ml computes today, so neither side can drift.
"""

from __future__ import annotations

import importlib.util
import json
import math
from types import ModuleType

import pytest

from tests.conftest import REPO_ROOT


def _script() -> ModuleType:
    path = REPO_ROOT / "scripts" / "make_analysis_vectors.py"
    spec = importlib.util.spec_from_file_location("make_analysis_vectors", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _assert_close(actual: object, expected: object, path: str = "") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys(), path
        for key in expected:
            _assert_close(actual[key], expected[key], f"{path}/{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), path
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _assert_close(a, e, f"{path}/{i}")
    elif isinstance(expected, float) and not isinstance(actual, bool):
        assert isinstance(actual, int | float) and math.isclose(actual, expected, abs_tol=1e-8), (
            path
        )
    else:
        assert actual == expected, path


def test_the_vector_file_is_what_the_python_implementation_computes() -> None:
    stored = json.loads(_script().VECTORS_FILE.read_text())
    _assert_close(_script().build_vectors(), stored)


def test_the_vectors_exercise_every_exercise_and_edge_case() -> None:
    stored = json.loads(_script().VECTORS_FILE.read_text())
    names = [case["name"] for case in stored["cases"]]
    assert names == ["squat", "push_up", "bicep_curl", "lunge", "jumping_jack", "edge_angles"]
    for case in stored["cases"][:5]:
        counted = {name: len(r["reps"]) for name, r in case["reps"].items()}
        assert counted == {name: 2 if name == case["name"] else 0 for name in counted}
    squat = stored["cases"][0]
    assert any(a is None for row in squat["angles"] for a in row)  # the lost ankle
    assert squat["times"][40] == squat["times"][39]  # the repeated timestamp


@pytest.mark.parametrize("name", ["exercises.ts"])
def test_the_browser_exercise_definitions_are_generated_from_the_yaml(name: str) -> None:
    script = _script()
    assert script.EXERCISES_TS.name == name
    assert script.EXERCISES_TS.read_text() == script.exercises_ts(), (
        "run scripts/make_analysis_vectors.py after editing exercises.yaml"
    )
