"""Pose symmetries: each an involution, keeping distances, and a signed permutation of the
features for the specs that allow it (what the served model's test-time views rely on)."""

from __future__ import annotations

import numpy as np
import pytest

from pose_common.skeleton import LEFT_RIGHT_PAIRS, NUM_KEYPOINTS
from pose_ml.augment import Symmetry, build_augmenter
from pose_ml.features import feature_spec, keypoints_to_embedding
from pose_ml.symmetry import SYMMETRIES, apply_symmetry, feature_symmetry


def _poses(n: int = 40, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(50, 600, (n, NUM_KEYPOINTS, 2))
    return np.concatenate([xy, rng.uniform(0.3, 1, (n, NUM_KEYPOINTS, 1))], axis=2).astype(
        np.float32
    )


def _distances(points: np.ndarray) -> np.ndarray:
    xy = points[:, :, :2].astype(np.float64)
    return np.sort(np.linalg.norm(xy[:, :, None] - xy[:, None], axis=-1).reshape(len(xy), -1))


@pytest.mark.parametrize("name", list(SYMMETRIES))
def test_every_symmetry_is_an_involution_that_keeps_distances(name: str) -> None:
    poses = _poses()
    once = apply_symmetry(name, poses)
    np.testing.assert_allclose(apply_symmetry(name, once), poses, atol=1e-3)
    np.testing.assert_allclose(_distances(once), _distances(poses), rtol=1e-4, atol=1e-2)
    np.testing.assert_array_equal(np.sort(once[:, :, 2], axis=1), np.sort(poses[:, :, 2], axis=1))


def test_swap_exchanges_names_and_flip_x_only_positions() -> None:
    poses = _poses()
    swapped, flipped = apply_symmetry("swap", poses), apply_symmetry("flip_x", poses)
    for left, right in LEFT_RIGHT_PAIRS:
        np.testing.assert_array_equal(swapped[:, left], poses[:, right])
    np.testing.assert_array_equal(flipped[:, :, 1:], poses[:, :, 1:])
    np.testing.assert_allclose(
        apply_symmetry("mirror", poses), apply_symmetry("swap", flipped), atol=1e-4
    )


@pytest.mark.parametrize("name", list(SYMMETRIES))
def test_each_symmetry_acts_on_the_embedding_as_a_signed_permutation(name: str) -> None:
    spec = feature_spec(kind="embedding")
    order, signs = feature_symmetry(spec, name)
    poses = _poses(seed=5)  # not the poses the map was derived from
    expected = spec.features(poses)[:, order] * np.asarray(signs, np.float32)
    np.testing.assert_allclose(spec.features(apply_symmetry(name, poses)), expected, atol=1e-5)


SPECS = {
    "v1": {},
    "v2": {"angles": True},
    "v3": {"kind": "embedding"},
}


@pytest.mark.parametrize("spec_name", list(SPECS))
@pytest.mark.parametrize("name", list(SYMMETRIES))
def test_the_feature_map_holds_for_poses_with_low_confidence_points(
    spec_name: str, name: str
) -> None:
    """The mask channels move with their points (a map found on all-confident poses sent
    every mask to the first one)."""
    spec = feature_spec(**SPECS[spec_name])
    try:
        order, signs = feature_symmetry(spec, name)
    except ValueError as exc:
        assert spec_name == "v2" and name.startswith("rot180"), exc  # refused by design
        return
    assert sorted(order) == list(range(spec.size))
    poses = _poses(seed=7)
    rng = np.random.default_rng(7)
    poses[:, :, 2] = rng.uniform(0, 1, poses.shape[:2])  # about a fifth below min_score
    assert (poses[:, :, 2] < spec.min_score).any()
    expected = spec.features(poses)[:, order] * np.asarray(signs, np.float32)
    np.testing.assert_allclose(spec.features(apply_symmetry(name, poses)), expected, atol=1e-5)


def test_a_symmetry_the_features_do_not_follow_is_refused() -> None:
    with pytest.raises(ValueError, match="does not follow the symmetry 'rot180'"):
        feature_symmetry(feature_spec(angles=True), "rot180")  # trunk lean -> 180 - lean
    with pytest.raises(ValueError, match="unknown symmetry 'spin'"):
        feature_symmetry(feature_spec(), "spin")


def test_the_symmetry_augmentation_draws_every_element() -> None:
    poses = np.repeat(_poses(1), 600, axis=0)
    out = Symmetry(elements=tuple(SYMMETRIES), p=1.0)(
        {"keypoints": poses}, np.random.default_rng(0)
    )["keypoints"]
    seen = {
        name
        for name in SYMMETRIES
        if np.isclose(out, apply_symmetry(name, poses[:1])).all(axis=(1, 2)).any()
    }
    assert seen == set(SYMMETRIES)
    with pytest.raises(ValueError, match=r"symmetry.elements: unknown \['spin'\]"):
        build_augmenter({"symmetry": {"elements": ["spin"]}})


def test_the_embedding_ignores_position_and_size_and_survives_missing_points() -> None:
    poses = _poses()
    moved = poses.copy()
    moved[:, :, :2] = moved[:, :, :2] * 2.5 + 40.0
    np.testing.assert_allclose(
        keypoints_to_embedding(moved), keypoints_to_embedding(poses), atol=1e-5
    )
    broken = poses.copy()
    broken[0, 9, 0] = np.nan
    out = keypoints_to_embedding(broken)
    assert out.shape == (40, 44) and np.isfinite(out).all()
