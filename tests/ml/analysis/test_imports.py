"""pose_ml and pose_ml.analysis (and the ingest report route) import without TensorFlow."""

from __future__ import annotations

import subprocess
import sys

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
    code = (
        "import sys\n"
        f"for name in {MODULES!r}: __import__(name)\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
