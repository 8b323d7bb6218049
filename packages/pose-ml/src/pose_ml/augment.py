"""Augmentations of keypoint poses for training, vectorised over frames (numpy only).

Every transform takes and returns a batch dict in the style of mmpose's transforms and says
which keys it needs and which it changes:

    {"keypoints": (N, 17, 3) float32 [x, y, score] in pixels, "labels": (N,) str, ...}

A transform is applied to each frame independently with probability `p`, drawing from the
numpy Generator it is given, so a seeded run is reproducible. Geometric transforms turn the
pose about its own centre (the mean of its confident points), so a pose never leaves the
image region it was in. Each transform's invariant is tested in tests/ml/test_augment.py:
mirror twice is the identity and swaps left/right; rotation keeps distances; scale and
translation leave the features (hip-centred, torso-scaled) unchanged; jitter and dropout
never touch the scores / coordinates respectively.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np

from pose_common.skeleton import NUM_KEYPOINTS
from pose_ml.symmetry import (
    SYMMETRIES,
    apply_symmetry,
    mirror_keypoints,
    pose_centres,
)

Batch = dict[str, np.ndarray]


class Transform(Protocol):
    needs: ClassVar[tuple[str, ...]]
    changes: ClassVar[tuple[str, ...]]

    def __call__(self, batch: Batch, rng: np.random.Generator) -> Batch: ...


def _chosen(n: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Which of n frames a transform applies to (each with probability p)."""
    return rng.random(n) < p


def _check_needs(transform: Transform, batch: Mapping[str, Any]) -> np.ndarray:
    missing = [key for key in transform.needs if key not in batch]
    if missing:
        raise KeyError(f"{type(transform).__name__} needs {missing}; batch has {sorted(batch)}")
    points = np.asarray(batch["keypoints"], dtype=np.float32)
    if points.ndim != 3 or points.shape[1:] != (NUM_KEYPOINTS, 3):
        raise ValueError(f"keypoints must have shape (N, {NUM_KEYPOINTS}, 3), got {points.shape}")
    return points


def _probability(value: float, name: str) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return float(value)


@dataclass(frozen=True, slots=True)
class Mirror:
    """Flip horizontally about the pose centre and swap left/right keypoints."""

    needs: ClassVar[tuple[str, ...]] = ("keypoints",)
    changes: ClassVar[tuple[str, ...]] = ("keypoints",)
    p: float = 0.5

    def __post_init__(self) -> None:
        _probability(self.p, "mirror.p")

    def __call__(self, batch: Batch, rng: np.random.Generator) -> Batch:
        points = _check_needs(self, batch).copy()
        rows = _chosen(len(points), self.p, rng)
        points[rows] = mirror_keypoints(points[rows])
        return {**batch, "keypoints": points}


@dataclass(frozen=True, slots=True)
class Rotate:
    """Turn the pose about its centre by a uniform angle in [-max_degrees, max_degrees]."""

    needs: ClassVar[tuple[str, ...]] = ("keypoints",)
    changes: ClassVar[tuple[str, ...]] = ("keypoints",)
    max_degrees: float = 10.0
    p: float = 0.5

    def __post_init__(self) -> None:
        _probability(self.p, "rotate.p")
        if not 0.0 <= self.max_degrees <= 180.0:
            raise ValueError(f"rotate.max_degrees must be in [0, 180], got {self.max_degrees}")

    def __call__(self, batch: Batch, rng: np.random.Generator) -> Batch:
        points = _check_needs(self, batch).copy()
        angle = np.radians(rng.uniform(-self.max_degrees, self.max_degrees, len(points)))
        angle *= _chosen(len(points), self.p, rng)
        centre = pose_centres(points)[:, None, :]
        cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
        dx, dy = points[:, :, 0] - centre[..., 0], points[:, :, 1] - centre[..., 1]
        points[:, :, 0] = centre[..., 0] + cos * dx - sin * dy
        points[:, :, 1] = centre[..., 1] + sin * dx + cos * dy
        return {**batch, "keypoints": points}


@dataclass(frozen=True, slots=True)
class Scale:
    """Grow or shrink the pose about its centre by a factor in [1 - amount, 1 + amount]."""

    needs: ClassVar[tuple[str, ...]] = ("keypoints",)
    changes: ClassVar[tuple[str, ...]] = ("keypoints",)
    amount: float = 0.2
    p: float = 0.5

    def __post_init__(self) -> None:
        _probability(self.p, "scale.p")
        if not 0.0 <= self.amount < 1.0:
            raise ValueError(f"scale.amount must be in [0, 1), got {self.amount}")

    def __call__(self, batch: Batch, rng: np.random.Generator) -> Batch:
        points = _check_needs(self, batch).copy()
        factor = rng.uniform(1.0 - self.amount, 1.0 + self.amount, len(points))
        factor = np.where(_chosen(len(points), self.p, rng), factor, 1.0)[:, None, None]
        centre = pose_centres(points)[:, None, :]
        points[:, :, :2] = centre + (points[:, :, :2] - centre) * factor
        return {**batch, "keypoints": points}


@dataclass(frozen=True, slots=True)
class Translate:
    """Shift the whole pose by up to `fraction` of its extent in x and in y."""

    needs: ClassVar[tuple[str, ...]] = ("keypoints",)
    changes: ClassVar[tuple[str, ...]] = ("keypoints",)
    fraction: float = 0.2
    p: float = 0.5

    def __post_init__(self) -> None:
        _probability(self.p, "translate.p")
        if self.fraction < 0.0:
            raise ValueError(f"translate.fraction must be >= 0, got {self.fraction}")

    def __call__(self, batch: Batch, rng: np.random.Generator) -> Batch:
        points = _check_needs(self, batch).copy()
        extent = points[:, :, :2].max(axis=1) - points[:, :, :2].min(axis=1)  # (N, 2)
        shift = rng.uniform(-1.0, 1.0, (len(points), 2)) * self.fraction * extent
        shift *= _chosen(len(points), self.p, rng)[:, None]
        points[:, :, :2] += shift[:, None, :]
        return {**batch, "keypoints": points}


@dataclass(frozen=True, slots=True)
class Jitter:
    """Gaussian noise on x and y, sigma a fraction of the pose's extent; scores untouched."""

    needs: ClassVar[tuple[str, ...]] = ("keypoints",)
    changes: ClassVar[tuple[str, ...]] = ("keypoints",)
    sigma: float = 0.01
    p: float = 0.5

    def __post_init__(self) -> None:
        _probability(self.p, "jitter.p")
        if self.sigma < 0.0:
            raise ValueError(f"jitter.sigma must be >= 0, got {self.sigma}")

    def __call__(self, batch: Batch, rng: np.random.Generator) -> Batch:
        points = _check_needs(self, batch).copy()
        extent = (points[:, :, :2].max(axis=1) - points[:, :, :2].min(axis=1)).max(axis=1)
        noise = rng.normal(0.0, 1.0, (len(points), NUM_KEYPOINTS, 2)).astype(np.float32)
        noise *= (self.sigma * extent * _chosen(len(points), self.p, rng))[:, None, None]
        points[:, :, :2] += noise
        return {**batch, "keypoints": points}


@dataclass(frozen=True, slots=True)
class KeypointDropout:
    """Make points unconfident (score 0) with probability `rate` each; coordinates untouched.

    Models learn to use the mask channel instead of trusting every point, as happens live
    when a limb leaves the picture. At least `keep` points of each frame survive.
    """

    needs: ClassVar[tuple[str, ...]] = ("keypoints",)
    changes: ClassVar[tuple[str, ...]] = ("keypoints",)
    rate: float = 0.1
    keep: int = 8
    p: float = 0.5

    def __post_init__(self) -> None:
        _probability(self.p, "dropout.p")
        _probability(self.rate, "dropout.rate")
        if not 0 <= self.keep <= NUM_KEYPOINTS:
            raise ValueError(f"dropout.keep must be in [0, {NUM_KEYPOINTS}], got {self.keep}")

    def __call__(self, batch: Batch, rng: np.random.Generator) -> Batch:
        points = _check_needs(self, batch).copy()
        drop = rng.random((len(points), NUM_KEYPOINTS)) < self.rate
        drop &= _chosen(len(points), self.p, rng)[:, None]
        # Keep the `keep` points with the lowest draw order in every frame, whatever was drawn.
        order = np.argsort(rng.random((len(points), NUM_KEYPOINTS)), axis=1)
        protected = np.zeros_like(drop)
        np.put_along_axis(protected, order[:, : self.keep], True, axis=1)
        points[:, :, 2] = np.where(drop & ~protected, np.float32(0.0), points[:, :, 2])
        return {**batch, "keypoints": points}


@dataclass(frozen=True, slots=True)
class Symmetry:
    """Each frame under one symmetry element drawn uniformly from `elements` (pose_ml.symmetry).

    With the detector's left/right confusions and people seen from either side, training on
    every element (and averaging over them at test time) makes the classifier invariant to
    them. Every element is an involution; flips and rotations keep all distances.
    """

    needs: ClassVar[tuple[str, ...]] = ("keypoints",)
    changes: ClassVar[tuple[str, ...]] = ("keypoints",)
    elements: tuple[str, ...] = ("identity", "mirror")
    p: float = 1.0

    def __post_init__(self) -> None:
        _probability(self.p, "symmetry.p")
        object.__setattr__(self, "elements", tuple(self.elements))
        unknown = [e for e in self.elements if e not in SYMMETRIES]
        if unknown or not self.elements:
            raise ValueError(f"symmetry.elements: unknown {unknown}; known: {list(SYMMETRIES)}")

    def __call__(self, batch: Batch, rng: np.random.Generator) -> Batch:
        points = _check_needs(self, batch).copy()
        choice = rng.integers(0, len(self.elements), len(points))
        choice = np.where(_chosen(len(points), self.p, rng), choice, -1)
        for index, element in enumerate(self.elements):  # a loop over elements, not frames
            rows = choice == index
            if rows.any() and element != "identity":
                points[rows] = apply_symmetry(element, points[rows])
        return {**batch, "keypoints": points}


TRANSFORMS: dict[str, type] = {
    "symmetry": Symmetry,
    "mirror": Mirror,
    "rotate": Rotate,
    "scale": Scale,
    "translate": Translate,
    "jitter": Jitter,
    "dropout": KeypointDropout,
}


@dataclass(frozen=True, slots=True)
class Augmenter:
    """A pipeline of transforms applied in order to `copies` augmented copies of a batch.

    The batch itself comes first unless keep_original is False (it is always kept when there
    is nothing to augment with: no transforms or no copies).
    """

    transforms: tuple[Transform, ...] = ()
    copies: int = 1
    keep_original: bool = True

    def __call__(self, batch: Batch, rng: np.random.Generator) -> Batch:
        """The original batch (if kept) followed by `copies` transformed copies of it."""
        originals = self.keep_original or not self.transforms or self.copies == 0
        parts = [batch] if originals else []
        for _ in range(self.copies if self.transforms else 0):
            copy = dict(batch)
            for transform in self.transforms:
                copy = transform(copy, rng)
            parts.append(copy)
        return {key: np.concatenate([part[key] for part in parts]) for key in batch}


def build_augmenter(
    config: Mapping[str, Mapping[str, Any] | None], *, copies: int = 1, keep_original: bool = True
) -> Augmenter:
    """Transforms from a config mapping, e.g. {"mirror": {"p": 0.5}, "rotate": {...}}.

    The order of the mapping is the order they run in; an unknown name or parameter raises
    ValueError naming it.
    """
    transforms: list[Transform] = []
    for name, params in config.items():
        kind = TRANSFORMS.get(name)
        if kind is None:
            raise ValueError(f"unknown augmentation {name!r}; known: {sorted(TRANSFORMS)}")
        try:
            transforms.append(kind(**dict(params or {})))
        except TypeError as exc:
            raise ValueError(f"augmentation {name!r}: {exc}") from None
    if copies < 0:
        raise ValueError(f"augmentation copies must be >= 0, got {copies}")
    return Augmenter(tuple(transforms), copies=copies, keep_original=keep_original)


def augment_arrays(
    keypoints: np.ndarray,
    labels: Sequence[Any] | np.ndarray,
    augmenter: Augmenter,
    *,
    seed: int,
    extra: Mapping[str, Iterable[Any]] | None = None,
) -> Batch:
    """Convenience for training code: arrays in, augmented batch dict out."""
    batch: Batch = {
        "keypoints": np.asarray(keypoints, dtype=np.float32),
        "labels": np.asarray(labels),
    }
    for key, values in (extra or {}).items():
        batch[key] = np.asarray(list(values))
    return augmenter(batch, np.random.default_rng(seed))
