"""Rep counting: each exercise on synthetic recordings with a known count, no cross-talk,
hysteresis against jitter, half and too-short movements, gaps, partial reps, records."""

from __future__ import annotations

import numpy as np
import pytest

from pose_ml.analysis.exercises import default_exercises
from pose_ml.analysis.report import SessionAnalyzer
from pose_ml.analysis.reps import RepCounter, count_reps
from pose_ml.analysis.synthetic import MOTIONS, synthetic_recording


@pytest.mark.parametrize("exercise", sorted(MOTIONS))
@pytest.mark.parametrize("noise_px", [0.0, 6.0])
def test_each_exercise_is_counted_and_no_other_one_is(exercise: str, noise_px: float) -> None:
    times, keypoints = synthetic_recording(exercise, reps=5, noise_px=noise_px, seed=3)
    analyzer = SessionAnalyzer(default_exercises())
    analyzer.add_frames(times, keypoints)
    counts = {name: len(reps) for name, reps in analyzer.result().reps.items()}
    assert counts == {name: 5 if name == exercise else 0 for name in counts}


def _count(values: list[float], *, dt: float = 0.1, exercise: str = "squat") -> RepCounter:
    counter = RepCounter(default_exercises()[exercise])
    for i, value in enumerate(values):
        counter.update(i * dt, value)
    return counter


def test_jitter_around_either_threshold_never_adds_a_count() -> None:
    rng = np.random.default_rng(0)
    # One slow squat (rest 150, depth 115); +-10 degrees of jitter crosses each threshold
    # many times but never the whole 35 degree band twice.
    clean = np.concatenate(
        [
            np.full(20, 160.0),
            np.linspace(160, 100, 30),
            np.linspace(100, 160, 30),
            np.full(20, 160.0),
        ]
    )
    noisy = clean + rng.uniform(-10, 10, clean.shape)
    assert _count(noisy.tolist()).count == 1


def test_half_movements_and_too_short_reps_do_not_count() -> None:
    assert _count([170, 140, 125, 140, 170] * 3).count == 0  # never reaches depth
    assert _count([170, 100, 170], dt=0.2).count == 0  # 0.4 s < min_duration_s 0.8
    assert _count([170, 150, 120, 100, 120, 150, 170], dt=0.2).count == 1


def test_nothing_counts_before_the_signal_is_first_seen_at_rest() -> None:
    assert _count([100, 120, 170, 120, 100, 120, 170], dt=0.5).count == 1


def test_a_gap_longer_than_max_gap_abandons_the_rep_in_progress() -> None:
    counter = RepCounter(default_exercises()["squat"])
    for t, value in [(0.0, 170.0), (0.5, 100.0), (0.7, np.nan), (3.0, 170.0), (3.5, 165.0)]:
        assert counter.update(t, value) is None
    assert counter.count == 0 and counter.state == "rest"


def test_a_guard_objecting_during_the_movement_spoils_the_rep() -> None:
    counter = RepCounter(default_exercises()["squat"])
    for i, value in enumerate([170, 140, 100, 140, 170]):
        counter.update(i * 0.5, value, guarded=i != 3)
    assert counter.count == 0


def test_rep_records_start_bottom_end_depth_range_and_duration() -> None:
    times = np.arange(9) * 0.5
    values = np.array([175, 160, 130, 100, 95, 110, 140, 165, 170], dtype=float)
    reps, partial = count_reps(default_exercises()["squat"], times, values)
    assert partial is None and len(reps) == 1
    rep = reps[0].to_dict()
    assert rep == {
        "index": 1,
        "start_t": 0.5,  # last frame at rest (>= 150) before the descent
        "bottom_t": 2.0,
        "end_t": 3.5,  # first frame back at rest
        "depth": 95.0,
        "range": 70.0,  # 165 - 95
        "complete": True,
        "duration_s": 3.0,
    }


def test_a_recording_ending_after_depth_gives_a_partial_rep_not_a_count() -> None:
    times = np.arange(5) * 0.5
    reps, partial = count_reps(
        default_exercises()["squat"], times, np.array([170, 140, 100, 90, 120.0])
    )
    assert reps == []
    assert partial is not None and not partial.complete and partial.depth == 90.0
    assert partial.end_t == 2.0
