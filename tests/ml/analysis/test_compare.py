"""Comparison with a reference: DTW alignment copes with tempo, and finds real differences."""

from __future__ import annotations

import numpy as np
import pytest

from pose_ml.analysis.angles import ANGLE_INDEX, compute_angles
from pose_ml.analysis.compare import compare_angles, dtw_path, fill_gaps
from pose_ml.analysis.synthetic import synthetic_recording


def _angles(exercise: str, **kwargs: object) -> tuple[np.ndarray, np.ndarray]:
    times, keypoints = synthetic_recording(exercise, **kwargs)
    return times, compute_angles(keypoints)


def test_dtw_aligns_a_slowed_down_copy() -> None:
    cost = np.abs(np.sin(np.linspace(0, 6, 40))[:, None] - np.sin(np.linspace(0, 6, 80))[None])
    path, total = dtw_path(cost)
    assert path[0].tolist() == [0, 0] and path[-1].tolist() == [39, 79]
    assert (np.diff(path, axis=0) >= 0).all()
    assert total / len(path) < 0.05


def test_the_same_movement_at_another_tempo_differs_by_little() -> None:
    session = _angles("squat", reps=3, period_s=2.0)
    reference = _angles("squat", reps=3, period_s=3.0, rest_s=1.5)
    comparison = compare_angles(session, reference)
    assert max(comparison.mean_abs_diff.values()) < 3.0
    naive = np.nanmean(np.abs(session[1][:300] - reference[1][:300]))
    assert comparison.distance < naive / 3  # without alignment they look very different


def test_a_shallower_squat_differs_at_the_knees_at_the_bottom() -> None:
    times, keypoints = synthetic_recording("squat", reps=2)
    reference = (times, compute_angles(keypoints))
    shallow_times, shallow = synthetic_recording("squat", reps=2)
    angles = compute_angles(shallow)
    knees = [ANGLE_INDEX["left_knee"], ANGLE_INDEX["right_knee"]]
    angles[:, knees] = 180 - (180 - angles[:, knees]) * 0.6  # bends 40% less
    comparison = compare_angles(
        (shallow_times, angles), reference, joints=["left_knee", "right_knee", "left_elbow"]
    )
    assert comparison.mean_diff["left_knee"] > 5  # straighter than the reference
    assert comparison.max_abs_diff["left_knee"] == pytest.approx(40.0, abs=3)
    assert comparison.mean_abs_diff["left_elbow"] < 0.5
    worst = comparison.worst[0]
    assert worst["joint"] in ("left_knee", "right_knee") and worst["joint_diff"] > 30
    bottoms = [1.0 + 1.0, 4.0 + 1.0]  # rest 1 s, then the bottom half-way through each 2 s rep
    assert min(abs(worst["session_s"] - b) for b in bottoms) < 0.3
    assert comparison.to_dict()["path_length"] == len(comparison.path)


def test_gaps_are_interpolated_and_unknown_joints_left_out() -> None:
    values = np.array([[1.0, np.nan], [np.nan, np.nan], [3.0, np.nan]])
    filled = fill_gaps(values)
    assert filled[:, 0].tolist() == [1.0, 2.0, 3.0] and np.isnan(filled[:, 1]).all()
    session = _angles("squat", reps=1)
    reference = _angles("squat", reps=1)
    session[1][:, ANGLE_INDEX["left_elbow"]] = np.nan
    comparison = compare_angles(session, reference)
    assert "left_elbow" not in comparison.joints and "left_knee" in comparison.joints


def test_nothing_to_compare_is_a_clear_error() -> None:
    session = _angles("squat", reps=1)
    empty = (np.empty(0), np.empty((0, len(ANGLE_INDEX))))
    with pytest.raises(ValueError, match="need frames"):
        compare_angles(session, empty)
    with pytest.raises(ValueError, match="unknown joints"):
        compare_angles(session, session, joints=["tail"])
    blank = (session[0], np.full_like(session[1], np.nan))
    with pytest.raises(ValueError, match="no joint angle is known"):
        compare_angles(session, blank)
