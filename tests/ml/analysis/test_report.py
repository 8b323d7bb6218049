"""Session analysis: chunking changes nothing, the summary, the class timeline, bounded series."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pose_ml.analysis.angles import ANGLE_INDEX
from pose_ml.analysis.exercises import default_exercises
from pose_ml.analysis.report import AnalysisConfig, SessionAnalyzer
from pose_ml.analysis.series import DecimatedSeries
from pose_ml.analysis.synthetic import synthetic_recording
from pose_ml.analysis.timeline import TimelineBuilder


def _analyse(times: np.ndarray, keypoints: np.ndarray, chunk: int, **config: object) -> dict:
    analyzer = SessionAnalyzer(default_exercises(), AnalysisConfig(**config))
    for start in range(0, len(times), chunk):
        analyzer.add_frames(times[start : start + chunk], keypoints[start : start + chunk])
    return analyzer.result().to_dict()


def _flatten(value: object, path: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        return {
            k: v for key, item in value.items() for k, v in _flatten(item, f"{path}/{key}").items()
        }
    if isinstance(value, list):
        return {
            k: v for i, item in enumerate(value) for k, v in _flatten(item, f"{path}/{i}").items()
        }
    return {path: value}


def test_the_result_does_not_depend_on_how_frames_are_chunked() -> None:
    times, keypoints = synthetic_recording("squat", reps=4, noise_px=4.0, seed=2)
    whole = _flatten(_analyse(times, keypoints, chunk=len(times)))
    for chunk in (7, 1):
        chunked = _flatten(_analyse(times, keypoints, chunk=chunk))
        assert chunked.keys() == whole.keys()
        # Only running sums (means) may differ, in the last bits, by summation order.
        expected = {
            k: pytest.approx(v, rel=1e-12) if isinstance(v, float) else v for k, v in whole.items()
        }
        assert chunked == expected


def test_the_summary_has_duration_frames_confidence_angles_and_reps() -> None:
    times, keypoints = synthetic_recording("squat", reps=3, fps=30.0, period_s=2.0, rest_s=1.0)
    keypoints[:, 0, 2] = 0.0  # the nose never seen: mean confidence (16 * 0.9) / 17
    report = _analyse(times, keypoints, chunk=50)
    json.dumps(report, allow_nan=False)  # plain JSON: no NaN, no numpy types
    assert report["frames"] == len(times) == 300
    assert report["duration_s"] == pytest.approx(299 / 30)
    assert report["fps"] == pytest.approx(30.0)
    assert report["mean_confidence"] == pytest.approx(0.9 * 16 / 17)
    knee = report["angles"]["left_knee"]
    assert knee["frames"] == 300
    assert knee["min"] == pytest.approx(80.0, abs=2.0) and knee["max"] == pytest.approx(
        180.0, abs=1
    )
    squat = report["exercises"]["squat"]
    assert squat["count"] == 3 and squat["partial"] is None
    # Knee = 180 - 100 * (1 - cos)/2 over a 2 s rep is below rest (150) for 63% of it.
    assert squat["mean_duration_s"] == pytest.approx(0.63 * 2.0, abs=0.1)
    assert [rep["index"] for rep in squat["reps"]] == [1, 2, 3]
    assert squat["reps"][0]["start_s"] == pytest.approx(1.0, abs=0.4)  # after the first rest


def test_without_smoothing_the_angles_are_those_of_the_raw_keypoints() -> None:
    times, keypoints = synthetic_recording("bicep_curl", reps=2, noise_px=5.0)
    raw = _analyse(times, keypoints, chunk=100, smoothing=None)
    smooth = _analyse(times, keypoints, chunk=100)
    assert raw["smoothing"] is None
    assert raw["angles"]["left_elbow"]["min"] < smooth["angles"]["left_elbow"]["min"]


def test_an_empty_analysis_is_a_valid_report() -> None:
    report = SessionAnalyzer(default_exercises()).result().to_dict()
    json.dumps(report, allow_nan=False)
    assert report["frames"] == 0 and report["duration_s"] == 0.0 and report["fps"] is None
    assert report["angles"]["left_knee"] == {"min": None, "max": None, "mean": None, "frames": 0}


def test_the_timeline_merges_flicker_into_segments() -> None:
    builder = TimelineBuilder(min_frames=3)
    labels = ["squat"] * 10 + ["lunge"] + ["squat"] * 5 + ["plank"] * 6 + ["squat"] * 2
    for i, label in enumerate(labels):
        builder.add(i * 0.1, label, 0.8)
    segments = [(s.label, s.frames) for s in builder.segments()]
    assert segments == [("squat", 16), ("plank", 8)]  # the lone lunge and the trailing 2 join
    first, second = builder.segments()
    assert first.end_t == second.start_t == pytest.approx(1.6)
    assert builder.predictions == len(labels)
    assert builder.seconds_per_label() == pytest.approx({"squat": 1.6, "plank": 0.7})


def test_the_series_stays_bounded_and_evenly_spread() -> None:
    series = DecimatedSeries(2, max_points=100)
    total = 0
    for size in (7, 300, 1, 5000, 999):
        times = np.arange(total, total + size, dtype=float)
        series.extend(times, np.stack([times, -times], axis=1))
        total += size
    assert 50 <= len(series.times) <= 100
    steps = np.diff(series.times)
    assert (steps == steps[0]).all() and series.times[0] == 0.0
    assert np.array_equal(series.values[:, 0], series.times)


def test_the_series_keeps_every_angle_column() -> None:
    times, keypoints = synthetic_recording("squat", reps=2)
    analyzer = SessionAnalyzer(default_exercises(), AnalysisConfig(series_points=64))
    analyzer.add_frames(times, keypoints)
    result = analyzer.result()
    assert len(result.series_times) <= 64
    assert result.series_angles.shape == (len(result.series_times), len(ANGLE_INDEX))
    assert result.series_signals.shape == (len(result.series_times), len(default_exercises()))
