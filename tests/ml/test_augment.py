"""Each augmentation's invariant: what it must preserve, and that it changes what it says."""

from __future__ import annotations

import numpy as np
import pytest

from pose_common.skeleton import KEYPOINT_NAMES, LEFT_RIGHT_PAIRS, NUM_KEYPOINTS
from pose_ml.augment import (
    Jitter,
    KeypointDropout,
    Mirror,
    Rotate,
    Scale,
    Translate,
    augment_arrays,
    build_augmenter,
)
from pose_ml.features import keypoints_to_features
from pose_ml.symmetry import mirror_keypoints, mirror_permutation


def _poses(n: int = 64, *, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(50, 600, size=(n, NUM_KEYPOINTS, 2))
    score = rng.uniform(0.3, 1.0, size=(n, NUM_KEYPOINTS, 1))
    return np.concatenate([xy, score], axis=2).astype(np.float32)


def _pairwise(points: np.ndarray) -> np.ndarray:
    xy = points[:, :, :2].astype(np.float64)
    return np.linalg.norm(xy[:, :, None, :] - xy[:, None, :, :], axis=-1)


def _apply(transform: object, points: np.ndarray, seed: int = 1) -> np.ndarray:
    out = transform({"keypoints": points}, np.random.default_rng(seed))  # type: ignore[operator]
    return out["keypoints"]


def test_mirror_twice_is_the_identity() -> None:
    points = _poses()
    np.testing.assert_allclose(mirror_keypoints(mirror_keypoints(points)), points, atol=1e-3)


def test_mirror_swaps_left_and_right_and_flips_x_only() -> None:
    points = _poses()
    mirrored = mirror_keypoints(points)
    for left, right in LEFT_RIGHT_PAIRS:
        assert KEYPOINT_NAMES[left].startswith("left_")
        np.testing.assert_array_equal(mirrored[:, left, 1:], points[:, right, 1:])
        np.testing.assert_array_equal(mirrored[:, right, 1:], points[:, left, 1:])
    np.testing.assert_array_equal(mirrored[:, 0, 1:], points[:, 0, 1:])  # nose stays the nose
    # x is reflected: the left shoulder now lies where the right one was, reflected.
    centre = points[:, :, 0].mean(axis=1)
    np.testing.assert_allclose(mirrored[:, 5, 0], 2 * centre - points[:, 6, 0], atol=1e-3)


def test_mirror_of_the_features_is_a_sign_flip_and_a_swap() -> None:
    points = _poses()
    plain = keypoints_to_features(points).reshape(-1, NUM_KEYPOINTS, 3)
    mirrored = keypoints_to_features(mirror_keypoints(points)).reshape(-1, NUM_KEYPOINTS, 3)
    expected = plain[:, mirror_permutation()] * np.array([-1.0, 1.0, 1.0], dtype=np.float32)
    np.testing.assert_allclose(mirrored, expected, atol=1e-4)


def test_mirror_with_p_zero_changes_nothing_and_p_one_every_frame() -> None:
    points = _poses()
    np.testing.assert_array_equal(_apply(Mirror(p=0.0), points), points)
    np.testing.assert_allclose(_apply(Mirror(p=1.0), points), mirror_keypoints(points))


def test_rotation_keeps_every_distance_and_score_and_moves_points() -> None:
    points = _poses()
    rotated = _apply(Rotate(max_degrees=30, p=1.0), points)
    np.testing.assert_allclose(_pairwise(rotated), _pairwise(points), rtol=1e-4, atol=1e-2)
    np.testing.assert_array_equal(rotated[:, :, 2], points[:, :, 2])
    assert np.abs(rotated[:, :, :2] - points[:, :, :2]).max() > 1.0


def test_rotation_by_zero_degrees_is_the_identity() -> None:
    points = _poses()
    np.testing.assert_allclose(_apply(Rotate(max_degrees=0, p=1.0), points), points, atol=1e-3)


@pytest.mark.parametrize("transform", [Scale(amount=0.4, p=1.0), Translate(fraction=0.5, p=1.0)])
def test_scale_and_translation_leave_the_features_unchanged(transform: object) -> None:
    points = _poses()
    moved = _apply(transform, points)
    assert np.abs(moved[:, :, :2] - points[:, :, :2]).max() > 1.0
    np.testing.assert_array_equal(moved[:, :, 2], points[:, :, 2])
    np.testing.assert_allclose(
        keypoints_to_features(moved), keypoints_to_features(points), atol=1e-4
    )


def test_jitter_moves_coordinates_a_little_and_never_touches_scores() -> None:
    points = _poses(2000)
    jittered = _apply(Jitter(sigma=0.01, p=1.0), points)
    np.testing.assert_array_equal(jittered[:, :, 2], points[:, :, 2])
    extent = (points[:, :, :2].max(axis=1) - points[:, :, :2].min(axis=1)).max(axis=1)
    relative = (jittered[:, :, :2] - points[:, :, :2]) / extent[:, None, None]
    assert 0.008 < relative.std() < 0.012


def test_dropout_only_zeroes_scores_and_keeps_enough_points() -> None:
    points = _poses(2000)
    dropped = _apply(KeypointDropout(rate=0.5, keep=8, p=1.0), points)
    np.testing.assert_array_equal(dropped[:, :, :2], points[:, :, :2])
    changed = dropped[:, :, 2] != points[:, :, 2]
    assert np.all(dropped[:, :, 2][changed] == 0.0)
    assert (~changed).sum(axis=1).min() >= 8
    assert 0.2 < changed.mean() < 0.35  # half of the 9 droppable points of 17
    # The dropped points are masked out of the features, not used as positions.
    masks = keypoints_to_features(dropped).reshape(-1, NUM_KEYPOINTS, 3)[:, :, 2]
    assert np.all(masks[changed] == 0.0)


def test_a_seeded_pipeline_is_reproducible_and_adds_copies() -> None:
    augmenter = build_augmenter(
        {"mirror": {"p": 0.5}, "rotate": {"max_degrees": 10}, "dropout": {"rate": 0.1}},
        copies=2,
    )
    points, labels = _poses(10), np.array(["a"] * 5 + ["b"] * 5)
    first = augment_arrays(points, labels, augmenter, seed=7)
    second = augment_arrays(points, labels, augmenter, seed=7)
    assert first["keypoints"].shape == (30, NUM_KEYPOINTS, 3)
    np.testing.assert_array_equal(first["keypoints"], second["keypoints"])
    np.testing.assert_array_equal(first["keypoints"][:10], points)  # the originals come first
    assert list(first["labels"]) == list(labels) * 3  # labels follow their frames


def test_bad_augmentation_configs_name_the_problem() -> None:
    with pytest.raises(ValueError, match="unknown augmentation 'spin'"):
        build_augmenter({"spin": {}})
    with pytest.raises(ValueError, match=r"rotate.*unexpected keyword"):
        build_augmenter({"rotate": {"degrees": 5}})
    with pytest.raises(ValueError, match=r"mirror\.p must be in"):
        build_augmenter({"mirror": {"p": 2}})
    with pytest.raises(KeyError, match="needs"):
        Mirror()({"labels": np.array(["a"])}, np.random.default_rng(0))
