"""The one keypoints -> features function: invariances, masking, degenerate input, speed."""

from __future__ import annotations

import time

import numpy as np
import pytest

from pose_common.skeleton import NUM_KEYPOINTS
from pose_ml.features import (
    FEATURE_SIZE,
    FEATURE_SPEC_VERSION,
    FeatureSpec,
    feature_spec,
    keypoints_to_features,
)
from pose_ml.symmetry import feature_symmetry, mirror_keypoints


def _poses(n: int, *, seed: int = 0, low_score: float = 0.3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(50, 600, size=(n, NUM_KEYPOINTS, 2))
    score = rng.uniform(low_score, 1.0, size=(n, NUM_KEYPOINTS, 1))
    return np.concatenate([xy, score], axis=2).astype(np.float32)


def _reference(pose: np.ndarray, min_score: float = 0.2) -> np.ndarray:
    """The documented recipe, written out for one frame with plain loops."""
    conf = [bool(np.isfinite(p).all() and p[2] >= min_score) for p in pose]
    pts = [p[:2].astype(np.float64) if c else None for p, c in zip(pose, conf, strict=True)]

    def mid(idx: list[int]) -> np.ndarray | None:
        chosen = [pts[i] for i in idx if pts[i] is not None]
        return np.mean(chosen, axis=0) if chosen else None

    hips, shoulders = mid([11, 12]), mid([5, 6])
    every = mid(list(range(NUM_KEYPOINTS)))
    centre = next((c for c in (hips, shoulders, every) if c is not None), np.zeros(2))
    torso = np.linalg.norm(shoulders - hips) if hips is not None and shoulders is not None else 0.0
    present = [p for p in pts if p is not None]
    extent = max((np.linalg.norm(a - b) for a in present for b in present), default=0.0)
    scale = max(torso, 0.5 * extent)
    scale = scale if scale > 1e-6 else 1.0
    out = []
    for p, c in zip(pts, conf, strict=True):
        out += [*((p - centre) / scale), 1.0] if c else [0.0, 0.0, 0.0]
    return np.array(out)


def test_shape_dtype_and_spec() -> None:
    features = keypoints_to_features(_poses(5))
    assert features.shape == (5, FEATURE_SIZE) == (5, 51)
    assert features.dtype == np.float32
    spec = feature_spec(min_score=0.3)
    assert spec.to_dict() == {
        "version": FEATURE_SPEC_VERSION,
        "size": 51,
        "min_score": 0.3,
        "skeleton": "coco17",
        "layout": spec.layout,
        "angles": False,
        "kind": "keypoints",
    }
    assert FeatureSpec.from_dict({**spec.to_dict(), "future_key": 1}) == spec


def test_matches_the_documented_recipe_frame_by_frame() -> None:
    poses = _poses(40, seed=3, low_score=0.0)  # many unconfident points
    poses[0, 11:13, 2] = 0.0  # no hips: centre falls back to the shoulders
    poses[1, [5, 6, 11, 12], 2] = 0.0  # neither: mean of the confident points
    poses[2, 12, 2] = 0.0  # one hip only
    features = keypoints_to_features(poses)
    for pose, row in zip(poses, features, strict=True):
        np.testing.assert_allclose(row, _reference(pose), atol=1e-4)


def test_translation_and_scale_invariant() -> None:
    poses = _poses(20, seed=1)
    moved = poses.copy()
    moved[:, :, :2] = poses[:, :, :2] * 3.7 + np.array([123.0, -45.0], dtype=np.float32)
    np.testing.assert_allclose(
        keypoints_to_features(moved), keypoints_to_features(poses), atol=1e-4
    )


def test_centred_on_hip_midpoint() -> None:
    pose = _poses(1, seed=2)
    features = keypoints_to_features(pose).reshape(NUM_KEYPOINTS, 3)
    np.testing.assert_allclose(features[11, :2] + features[12, :2], 0.0, atol=1e-5)


def test_unconfident_points_are_masked_and_do_not_move_the_others() -> None:
    poses = _poses(1, seed=4)
    features = keypoints_to_features(poses).reshape(NUM_KEYPOINTS, 3)
    wild = poses.copy()
    wild[0, 0] = [1e6, -1e6, 0.1]  # nose far away but unconfident
    masked = keypoints_to_features(wild).reshape(NUM_KEYPOINTS, 3)
    assert masked[0].tolist() == [0.0, 0.0, 0.0]
    np.testing.assert_allclose(masked[1:], features[1:], atol=1e-6)
    assert features[:, 2].tolist() == [1.0] * NUM_KEYPOINTS


def test_min_score_is_the_mask_threshold() -> None:
    poses = _poses(1, seed=5)
    poses[0, 3, 2] = 0.5
    assert keypoints_to_features(poses, min_score=0.4).reshape(17, 3)[3, 2] == 1.0
    assert keypoints_to_features(poses, min_score=0.6).reshape(17, 3)[3, 2] == 0.0


@pytest.mark.parametrize(
    "pose",
    [
        np.zeros((NUM_KEYPOINTS, 3)),  # all zero score
        np.tile([[320.0, 240.0, 0.9]], (NUM_KEYPOINTS, 1)),  # every point identical
        np.tile([[320.0, 240.0, 0.1]], (NUM_KEYPOINTS, 1)),  # nothing confident
        np.full((NUM_KEYPOINTS, 3), np.nan),  # garbage never reaches here, but stays finite
    ],
)
def test_degenerate_input_gives_finite_features(pose: np.ndarray) -> None:
    features = keypoints_to_features(pose[None])
    assert np.isfinite(features).all()
    assert np.abs(features[0].reshape(17, 3)[:, :2]).max() == 0.0


def test_single_confident_point_is_zero_at_the_centre() -> None:
    pose = np.zeros((1, NUM_KEYPOINTS, 3), dtype=np.float32)
    pose[0, 0] = [100.0, 200.0, 0.9]
    features = keypoints_to_features(pose).reshape(NUM_KEYPOINTS, 3)
    assert features[0].tolist() == [0.0, 0.0, 1.0]


def test_empty_batch_and_bad_shapes() -> None:
    assert keypoints_to_features(np.zeros((0, NUM_KEYPOINTS, 3))).shape == (0, 51)
    with pytest.raises(ValueError, match=r"\(N, 17, 3\)"):
        keypoints_to_features(np.zeros((2, 16, 3)))
    with pytest.raises(ValueError):
        keypoints_to_features(np.zeros((17, 3)))


def test_unsupported_spec_is_refused() -> None:
    feature_spec().check_supported()
    with pytest.raises(ValueError, match="not supported"):
        FeatureSpec(version=FEATURE_SPEC_VERSION + 1).check_supported()


def test_vectorised_speed() -> None:
    # Serving runs this on every frame: it must stay far from a Python loop per frame.
    poses = _poses(2048, seed=6)
    keypoints_to_features(poses)
    started = time.perf_counter()
    for _ in range(10):
        keypoints_to_features(poses)
    frames_per_s = 10 * len(poses) / (time.perf_counter() - started)
    assert frames_per_s > 200_000, frames_per_s


def test_angle_features_append_each_angle_and_its_mask() -> None:
    from pose_ml.analysis.angles import ANGLE_NAMES, compute_angles

    poses = _poses(30, seed=5, low_score=0.0)
    spec = feature_spec(angles=True)
    spec.check_supported()
    features = spec.features(poses)
    assert features.shape == (30, 51 + 2 * len(ANGLE_NAMES)) == (30, spec.size)
    np.testing.assert_array_equal(features[:, :51], keypoints_to_features(poses))
    degrees = compute_angles(poses, min_score=spec.min_score)
    known = np.isfinite(degrees)
    angles, masks = features[:, 51 : 51 + len(ANGLE_NAMES)], features[:, 51 + len(ANGLE_NAMES) :]
    np.testing.assert_array_equal(masks, known.astype(np.float32))
    np.testing.assert_allclose(angles[known], degrees[known] / 180.0, rtol=1e-6)
    assert np.all(angles[~known] == 0.0) and (~known).any() and known.any()


@pytest.mark.parametrize("angles", [False, True])
def test_the_mirror_map_gives_the_features_of_the_mirrored_pose(angles: bool) -> None:
    spec = feature_spec(angles=angles)
    poses = _poses(50, seed=9)
    order, signs = feature_symmetry(spec, "mirror")
    expected = spec.features(poses)[:, order] * np.asarray(signs, dtype=np.float32)
    np.testing.assert_allclose(spec.features(mirror_keypoints(poses)), expected, atol=1e-4)


def test_specs_this_code_cannot_make_are_refused() -> None:
    with pytest.raises(ValueError, match="not supported"):
        FeatureSpec(version=2, size=51, angles=False).check_supported()
    with pytest.raises(ValueError, match="not supported"):
        FeatureSpec(version=3, size=69, angles=True).check_supported()
