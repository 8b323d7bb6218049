"""The pose symmetries used for augmentation and test-time averaging, in keypoint space and as
they act on the features.

Six elements, each an involution (applying it twice gives the pose back), turning the pose
about its own centre:

- identity;
- flip_x: the pose seen from the other side, keypoint names kept;
- swap: the detector's left/right names exchanged, positions kept (MoveNet confuses them on
  people seen from the back or side);
- mirror: flip_x + swap, the physically mirrored pose (tree on the other leg);
- rot180, rot180_swap: upside-down detections.

For a feature spec, feature_symmetry() finds the signed permutation with
features(element(pose)) == features(pose)[:, order] * signs, checked on random poses; an
element under which the features do not transform that way is refused with the reason. Served
models average their prediction over such views inside the model (layers.MirrorFeatures).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Final

import numpy as np

from pose_common.skeleton import LEFT_RIGHT_PAIRS, NUM_KEYPOINTS
from pose_ml.features import FeatureSpec

_CONFIDENT: Final[float] = 0.05  # points below this score do not move the centre turned about


def pose_centres(keypoints: np.ndarray) -> np.ndarray:
    """(N, 2) mean x, y of each frame's confident points (all points when none is)."""
    weights = (keypoints[:, :, 2] >= _CONFIDENT).astype(np.float32)
    weights[weights.sum(axis=1) == 0] = 1.0
    total = weights.sum(axis=1, keepdims=True)
    return (keypoints[:, :, :2] * weights[:, :, None]).sum(axis=1) / total


def mirror_permutation() -> np.ndarray:
    """Keypoint order of the mirrored pose: every left index swapped with its right one."""
    order = np.arange(NUM_KEYPOINTS)
    for left, right in LEFT_RIGHT_PAIRS:
        order[left], order[right] = right, left
    return order


_SWAP: Final[np.ndarray] = mirror_permutation()


def _reflect(points: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    out = np.array(points, dtype=np.float32, copy=True)
    centre = pose_centres(out)
    for axis in axes:
        out[:, :, axis] = 2.0 * centre[:, axis : axis + 1] - out[:, :, axis]
    return out


def _swapped(points: np.ndarray) -> np.ndarray:
    return np.asarray(points, dtype=np.float32)[:, _SWAP].copy()


def mirror_keypoints(keypoints: np.ndarray) -> np.ndarray:
    """Every frame mirrored (deterministic): x -> 2 * centre_x - x, left <-> right."""
    return _swapped(_reflect(keypoints, (0,)))


SYMMETRIES: Final[dict[str, Callable[[np.ndarray], np.ndarray]]] = {
    "identity": lambda p: np.array(p, dtype=np.float32, copy=True),
    "flip_x": lambda p: _reflect(p, (0,)),
    "swap": _swapped,
    "mirror": mirror_keypoints,
    "rot180": lambda p: _reflect(p, (0, 1)),
    "rot180_swap": lambda p: _swapped(_reflect(p, (0, 1))),
}


def apply_symmetry(name: str, keypoints: np.ndarray) -> np.ndarray:
    """(N, 17, 3) keypoints under one symmetry element (scores move with their points)."""
    try:
        return SYMMETRIES[name](keypoints)
    except KeyError:
        raise ValueError(f"unknown symmetry {name!r}; known: {list(SYMMETRIES)}") from None


def _probe(seed: int = 0, n: int = 64) -> np.ndarray:
    """Random poses whose scores fall on both sides of any min_score, point by point.

    With every point confident, all mask columns are 1 in every probe and cannot be told
    apart: each would map to the first of them.
    """
    rng = np.random.default_rng(seed)
    xy = rng.uniform(20, 600, (n, NUM_KEYPOINTS, 2))
    score = rng.uniform(0.0, 1.0, (n, NUM_KEYPOINTS, 1))
    score[: n // 4] = rng.uniform(0.5, 1.0, (n // 4, NUM_KEYPOINTS, 1))  # some whole poses
    return np.concatenate([xy, score], axis=2).astype(np.float32)


@lru_cache(maxsize=64)
def _feature_symmetry(spec: FeatureSpec, name: str) -> tuple[tuple[int, ...], tuple[float, ...]]:
    probe = _probe()
    base = spec.features(probe).astype(np.float64)
    moved = spec.features(apply_symmetry(name, probe)).astype(np.float64)
    order, signs = [], []
    for column in range(base.shape[1]):
        target = moved[:, column : column + 1]
        plus = np.abs(target - base).max(axis=0)
        minus = np.abs(target + base).max(axis=0)
        i, j = int(plus.argmin()), int(minus.argmin())
        best, sign, error = (i, 1.0, plus[i]) if plus[i] <= minus[j] else (j, -1.0, minus[j])
        if error > 1e-4:
            raise ValueError(
                f"feature {column} of spec v{spec.version} does not follow the symmetry "
                f"{name!r} (not a signed permutation); leave {name!r} out of architecture.tta"
            )
        order.append(best)
        signs.append(sign)
    if sorted(order) != list(range(base.shape[1])):
        raise ValueError(  # two columns the probes cannot tell apart: a map would be wrong
            f"spec v{spec.version} under {name!r}: the features are not a permutation of"
            f" themselves (columns map to {order})"
        )
    return tuple(order), tuple(signs)


def feature_symmetry(spec: FeatureSpec, name: str) -> tuple[list[int], list[float]]:
    """(order, signs): features(name(pose)) == features(pose)[:, order] * signs."""
    if name not in SYMMETRIES:
        raise ValueError(f"unknown symmetry {name!r}; known: {list(SYMMETRIES)}")
    order, signs = _feature_symmetry(spec, name)
    return list(order), list(signs)
