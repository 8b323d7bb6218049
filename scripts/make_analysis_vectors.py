"""Write the shared analysis test vectors and the browser's copy of the exercise definitions.

    uv run python scripts/make_analysis_vectors.py          # (re)write both files
    uv run python scripts/make_analysis_vectors.py --check  # exit 1 if either is stale

tests/vectors/analysis_vectors.json holds inputs (times, keypoints) and what the Python
implementation makes of them: One Euro output, joint angles, every exercise's signal and
guard flags, and the reps counted.  frontend/src/analysis/*.test.ts must reproduce them
(angles to 1e-6); tests/ml/analysis/test_vectors.py checks the file is current.
frontend/src/analysis/exercises.ts is exercises.yaml as TypeScript, so the live counter
uses the same definitions as the backend.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from pose_common.skeleton import KEYPOINT_NAMES
from pose_ml.analysis.angles import ANGLE_NAMES, compute_angles
from pose_ml.analysis.exercises import default_exercises, exercise_signal
from pose_ml.analysis.one_euro import DEFAULT_MIN_SCORE, OneEuroParams, smooth_sequence
from pose_ml.analysis.reps import count_reps
from pose_ml.analysis.synthetic import synthetic_recording

REPO_ROOT = Path(__file__).resolve().parents[1]
VECTORS_FILE = REPO_ROOT / "tests" / "vectors" / "analysis_vectors.json"
EXERCISES_TS = REPO_ROOT / "frontend" / "src" / "analysis" / "exercises.ts"
_K = {name: i for i, name in enumerate(KEYPOINT_NAMES)}


def _clean(value: Any) -> Any:
    """NaN -> None, numpy -> plain Python, recursively (JSON has no NaN)."""
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, float):
        # 9 decimals keep the file small; the checks allow 1e-8 (angles: 1e-6).
        return round(value, 9) if math.isfinite(value) else None
    if isinstance(value, np.generic):
        return _clean(value.item())
    return value


def _with_occlusion_and_glitches(times: np.ndarray, keypoints: np.ndarray) -> tuple[Any, Any]:
    """A lost ankle for five frames, a repeated timestamp, and a pause in the frame times."""
    keypoints = keypoints.copy()
    keypoints[20:25, _K["left_ankle"], 2] = 0.1
    keypoints[30, _K["right_wrist"], 2] = DEFAULT_MIN_SCORE  # exactly at the threshold: used
    times = times.copy()
    times[40] = times[39]
    times[55:] += 0.5
    return times, keypoints


def _edge_frames() -> tuple[np.ndarray, np.ndarray]:
    """Hand-made poses: straight, right-angled, folded and degenerate joints, upside down."""
    _, base = synthetic_recording("bicep_curl", reps=1, fps=10.0)
    frame = base[0].copy()
    frames = []
    elbow, shoulder = frame[_K["left_elbow"], :2], frame[_K["left_shoulder"], :2]
    for wrist, shoulder_score in (
        (elbow + np.array([0.0, 50.0]), 0.9),  # forearm in line with the upper arm: 180
        (elbow + np.array([50.0, 0.0]), 0.9),  # right angle
        (elbow, 0.9),  # wrist on the elbow: no angle
        (elbow + np.array([0.0, 50.0]), 0.29999),  # shoulder just below the score threshold
        (shoulder + np.array([1e-3, 0.0]), 0.9),  # folded back: ~0
    ):
        pose = frame.copy()
        pose[_K["left_wrist"], :2] = wrist
        pose[_K["left_shoulder"], 2] = shoulder_score
        frames.append(pose)
    upside_down = frame.copy()
    upside_down[:, 1] = 1000.0 - upside_down[:, 1]
    frames.append(upside_down)
    lying = frame.copy()
    lying[:, :2] = lying[:, ::-1][:, 1:]  # x and y swapped: the trunk is horizontal
    frames.append(lying)
    return np.round(np.arange(len(frames)) * 0.1, 6), np.round(np.array(frames), 6)


def _cases() -> list[tuple[str, np.ndarray, np.ndarray, OneEuroParams, float]]:
    cases = []
    for i, (exercise, params) in enumerate(
        (
            ("squat", OneEuroParams()),
            ("push_up", OneEuroParams(min_cutoff=0.5, beta=0.05, d_cutoff=2.0)),
            ("bicep_curl", OneEuroParams(min_cutoff=2.0, beta=0.0)),
            ("lunge", OneEuroParams()),
            ("jumping_jack", OneEuroParams(min_cutoff=1.5, beta=0.01)),
        )
    ):
        times, keypoints = synthetic_recording(exercise, reps=2, fps=10.0, noise_px=3.0, seed=i + 1)
        if exercise == "squat":
            times, keypoints = _with_occlusion_and_glitches(times, keypoints)
        # Inputs are rounded first, so the file holds exactly what was computed on.
        rounded = np.round(times, 6), np.round(keypoints, 3)
        cases.append((exercise, *rounded, params, DEFAULT_MIN_SCORE))
    times, keypoints = _edge_frames()
    cases.append(("edge_angles", times, keypoints, OneEuroParams(), DEFAULT_MIN_SCORE))
    return cases


def _case_vectors(times: Any, keypoints: Any, params: OneEuroParams, min_score: float) -> dict:
    smoothed = smooth_sequence(times, keypoints, params=params, min_score=min_score)
    angles = compute_angles(smoothed, min_score=min_score)
    signals, guarded, reps = {}, {}, {}
    for name, exercise in default_exercises().items():
        values, ok = exercise_signal(
            exercise, angles=angles, keypoints=smoothed, min_score=min_score
        )
        counted, partial = count_reps(exercise, times, values, ok)
        signals[name], guarded[name] = values, ok
        reps[name] = {
            "reps": [rep.to_dict() for rep in counted],
            "partial": None if partial is None else partial.to_dict(),
        }
    return {
        "one_euro": params.to_dict(),
        "min_score": min_score,
        "times": times,
        "keypoints": keypoints,
        "raw_angles": compute_angles(keypoints, min_score=min_score),
        "smoothed": smoothed[:, :, :2],
        "angles": angles,
        "signals": signals,
        "guarded": guarded,
        "reps": reps,
    }


def build_vectors() -> dict[str, Any]:
    """The whole vector document (deterministic)."""
    cases = [
        {"name": name, **_case_vectors(times, keypoints, params, min_score)}
        for name, times, keypoints, params, min_score in _cases()
    ]
    return _clean(
        {
            "version": 1,
            "generated_by": "scripts/make_analysis_vectors.py",
            "keypoint_names": list(KEYPOINT_NAMES),
            "angle_names": list(ANGLE_NAMES),
            "exercises": {name: ex.to_dict() for name, ex in default_exercises().items()},
            "cases": cases,
        }
    )


def exercises_ts() -> str:
    """frontend/src/analysis/exercises.ts: the shipped definitions as a typed constant."""
    definitions = {name: ex.to_dict() for name, ex in default_exercises().items()}
    body = json.dumps(definitions, indent=2)
    return (
        "// GENERATED by scripts/make_analysis_vectors.py from\n"
        "// packages/pose-ml/src/pose_ml/analysis/exercises.yaml: edit the YAML, then re-run it.\n"
        "import type { ExerciseDefinition } from './reps';\n\n"
        f"export const EXERCISES: Record<string, ExerciseDefinition> = {body};\n"
    )


def vectors_text() -> str:
    return json.dumps(build_vectors(), separators=(",", ":")) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = parser.parse_args(argv)
    outputs = {VECTORS_FILE: vectors_text(), EXERCISES_TS: exercises_ts()}
    stale = [
        path for path, text in outputs.items() if not path.exists() or path.read_text() != text
    ]
    if args.check:
        for path in stale:
            print(f"out of date: {path.relative_to(REPO_ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"written: {path.relative_to(REPO_ROOT)} ({len(text):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
