"""pose_ml and pose_ml.analysis (and the ingest report route) import without TensorFlow."""

from __future__ import annotations

from tests.conftest import run_python_reporting_heavy

MODULES = [
    "pose_ml",
    "pose_ml.analysis",
    "pose_ml.analysis.one_euro",
    "pose_ml.analysis.angles",
    "pose_ml.analysis.exercises",
    "pose_ml.analysis.reps",
    "pose_ml.analysis.report",
    "pose_ml.analysis.storage",
    "pose_ml.analysis.plots",
    "pose_ml.analysis.compare",
    "pose_ml.analysis.synthetic",
    "pose_ingest.routes.report",
]


def test_analysis_never_imports_tensorflow_or_keras() -> None:
    result, heavy = run_python_reporting_heavy(f"for name in {MODULES!r}: __import__(name)")
    assert result.returncode == 0, result.stderr
    assert heavy == []
