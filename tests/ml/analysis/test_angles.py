"""Joint angles: known geometry, invariances, confidence threshold, degenerate segments."""

from __future__ import annotations

import numpy as np
import pytest

from pose_ml.analysis.angles import ANGLE_INDEX, ANGLE_NAMES, angle_dict, compute_angles
from pose_ml.analysis.synthetic import synthetic_recording

LEFT_ELBOW, LEFT_SHOULDER_PT, LEFT_WRIST = 7, 5, 9


def _pose() -> np.ndarray:
    _, keypoints = synthetic_recording("squat", reps=1, fps=10.0)
    return keypoints[15]  # the bottom of the squat: every joint bent


def test_names_cover_elbows_shoulders_hips_knees_and_trunk() -> None:
    sides = {
        f"{side}_{joint}"
        for side in ("left", "right")
        for joint in ("elbow", "shoulder", "hip", "knee")
    }
    assert set(ANGLE_NAMES) == sides | {"trunk_lean"}


def test_right_angle_straight_limb_and_folded_limb() -> None:
    pose = np.tile([0.0, 0.0, 0.9], (17, 1))
    pose[LEFT_SHOULDER_PT, :2] = [100, 100]
    pose[LEFT_ELBOW, :2] = [100, 200]
    column = ANGLE_INDEX["left_elbow"]
    for wrist, expected in (([200, 200], 90.0), ([100, 300], 180.0), ([101, 100], 0.5729)):
        pose[LEFT_WRIST, :2] = wrist
        assert compute_angles(pose[None])[0, column] == pytest.approx(expected, abs=1e-3)


def test_trunk_lean_is_zero_upright_ninety_lying_and_unsigned() -> None:
    pose = np.tile([0.0, 0.0, 0.9], (17, 1))
    column = ANGLE_INDEX["trunk_lean"]
    for shoulders, expected in (((100, 0), 0.0), ((200, 100), 90.0), ((0, 100), 90.0)):
        pose[[5, 6], :2] = shoulders
        pose[[11, 12], :2] = (100, 100)
        assert compute_angles(pose[None])[0, column] == pytest.approx(expected)


def test_angles_do_not_change_with_position_scale_or_mirroring() -> None:
    pose = _pose()
    moved = pose.copy()
    moved[:, :2] = moved[:, :2] * 1.7 + [33.0, -12.0]
    mirrored = pose.copy()
    mirrored[:, 0] = 1000.0 - mirrored[:, 0]
    reference = compute_angles(pose[None])
    np.testing.assert_allclose(compute_angles(moved[None]), reference, atol=1e-9)
    np.testing.assert_allclose(compute_angles(mirrored[None]), reference, atol=1e-9)


def test_an_angle_is_nan_when_one_of_its_points_is_below_the_threshold() -> None:
    pose = _pose()
    pose[LEFT_WRIST, 2] = 0.29
    angles = compute_angles(pose[None], min_score=0.3)[0]
    assert np.isnan(angles[ANGLE_INDEX["left_elbow"]])
    assert np.isfinite(angles[ANGLE_INDEX["right_elbow"]])
    pose[LEFT_WRIST, 2] = 0.3  # at the threshold: used
    assert np.isfinite(compute_angles(pose[None], min_score=0.3)[0, ANGLE_INDEX["left_elbow"]])
    pose[11, 2] = 0.0  # left hip: its hip and knee angles and the trunk lean are unknown
    angles = angle_dict(compute_angles(pose[None])[0])
    assert angles["left_hip"] is None and angles["left_knee"] is None
    assert angles["trunk_lean"] is None and angles["right_knee"] is not None


def test_a_zero_length_segment_or_non_finite_point_gives_nan() -> None:
    pose = _pose()
    pose[LEFT_WRIST, :2] = pose[LEFT_ELBOW, :2]
    assert np.isnan(compute_angles(pose[None])[0, ANGLE_INDEX["left_elbow"]])
    pose = _pose()
    pose[LEFT_WRIST, 0] = np.inf
    assert np.isnan(compute_angles(pose[None])[0, ANGLE_INDEX["left_elbow"]])


def test_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\(N, 17, 3\)"):
        compute_angles(np.zeros((4, 33, 3)))
