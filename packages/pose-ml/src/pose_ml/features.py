"""Keypoints -> model input: the ONE feature code shared by training and serving.

A pose of 17 COCO keypoints in source pixels becomes 51 numbers that do not depend on where
the person stands in the image or how large they appear:

1. centre: the midpoint of the confident hips; without them the confident shoulders; without
   those the mean of every confident point (and 0 when nothing is confident);
2. scale: the torso size, max(shoulder-midpoint to hip-midpoint distance, 0.5 * the largest
   distance between two confident points), replaced by 1 when it is ~0 so nothing divides by 0;
3. per keypoint: x and y centred and scaled, set to 0 when the point is not confident
   (score < min_score or a non-finite coordinate), then a mask channel (1 if confident).

Everything is vectorised over frames: no Python loop per frame (serving runs this on
thousands of frames per batch). Bump FEATURE_SPEC_VERSION whenever the output changes, so a
model is never served with features it was not trained on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Final

import numpy as np

from pose_common.skeleton import NUM_KEYPOINTS, SKELETON_NAME

FEATURE_SPEC_VERSION: Final[int] = 1
CHANNELS: Final[int] = 3  # x, y, mask
FEATURE_SIZE: Final[int] = NUM_KEYPOINTS * CHANNELS
DEFAULT_MIN_SCORE: Final[float] = 0.2
EXTENT_FACTOR: Final[float] = 0.5
_MIN_SCALE: Final[float] = 1e-6

_SHOULDERS: Final[slice] = slice(5, 7)  # left, right shoulder
_HIPS: Final[slice] = slice(11, 13)  # left, right hip


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """What a model's input is, as written in its manifest."""

    version: int = FEATURE_SPEC_VERSION
    size: int = FEATURE_SIZE
    min_score: float = DEFAULT_MIN_SCORE
    skeleton: str = SKELETON_NAME
    layout: str = "per keypoint: x, y (hip-centred, torso-scaled), mask"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSpec:
        """Read a manifest's spec; unknown keys (from a newer writer) are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})

    def check_supported(self) -> None:
        """Raise ValueError when this code cannot produce the features this spec describes."""
        if self.version != FEATURE_SPEC_VERSION or self.size != FEATURE_SIZE:
            raise ValueError(
                f"feature spec v{self.version} (size {self.size}) is not supported; "
                f"this code makes v{FEATURE_SPEC_VERSION} (size {FEATURE_SIZE})"
            )


def feature_spec(*, min_score: float = DEFAULT_MIN_SCORE) -> FeatureSpec:
    """The spec of keypoints_to_features called with this min_score."""
    return FeatureSpec(min_score=float(min_score))


def _split_keypoint_major(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y, score as contiguous (17, N) rows; non-finite values become unconfident zeros."""
    # Keypoint-major rows make every step below a fast contiguous op over all frames.
    x, y, score = np.ascontiguousarray(points.transpose(2, 1, 0))
    if not (np.isfinite(x).all() and np.isfinite(y).all() and np.isfinite(score).all()):
        bad = ~(np.isfinite(x) & np.isfinite(y) & np.isfinite(score))
        x, y, score = (np.where(bad, np.float32(0.0), a) for a in (x, y, score))
    return x, y, score


def _mean_of(
    x: np.ndarray, y: np.ndarray, conf: np.ndarray, rows: slice
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean x, y of the confident keypoints in `rows`, and whether there was any."""
    count = conf[rows].sum(axis=0)
    divisor = np.maximum(count, np.float32(1.0))
    return x[rows].sum(axis=0) / divisor, y[rows].sum(axis=0) / divisor, count > 0


def _centre_and_torso(
    x: np.ndarray, y: np.ndarray, conf: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame centre (hips, else shoulders, else all confident points) and torso length."""
    hip_x, hip_y, has_hips = _mean_of(x, y, conf, _HIPS)
    sho_x, sho_y, has_shoulders = _mean_of(x, y, conf, _SHOULDERS)
    all_x, all_y, _ = _mean_of(x, y, conf, slice(None))
    centre_x = np.where(has_hips, hip_x, np.where(has_shoulders, sho_x, all_x))
    centre_y = np.where(has_hips, hip_y, np.where(has_shoulders, sho_y, all_y))
    torso = np.hypot(sho_x - hip_x, sho_y - hip_y) * (has_hips & has_shoulders)
    return centre_x, centre_y, torso


def _max_pairwise_distance(x: np.ndarray, y: np.ndarray, conf: np.ndarray) -> np.ndarray:
    """Largest distance between two confident keypoints of each frame (0 if fewer than 2)."""
    # A loop over keypoint rows (16 steps, not one per frame) beats broadcasting the full
    # (N, 17, 17) distance matrix several times over.
    best = np.zeros(x.shape[1], dtype=np.float32)
    for i in range(NUM_KEYPOINTS - 1):
        dx = x[i + 1 :] - x[i]
        dy = y[i + 1 :] - y[i]
        squared = dx * dx
        squared += dy * dy
        squared *= conf[i + 1 :]
        squared *= conf[i]
        np.maximum(best, squared.max(axis=0), out=best)
    return np.sqrt(best)


def keypoints_to_features(
    keypoints: np.ndarray, *, min_score: float = DEFAULT_MIN_SCORE
) -> np.ndarray:
    """(N, 17, 3) [x, y, score] in pixels -> (N, 51) float32 model input."""
    points = np.asarray(keypoints, dtype=np.float32)
    if points.ndim != 3 or points.shape[1:] != (NUM_KEYPOINTS, 3):
        raise ValueError(f"keypoints must have shape (N, {NUM_KEYPOINTS}, 3), got {points.shape}")
    x, y, score = _split_keypoint_major(points)
    conf = (score >= np.float32(min_score)).astype(np.float32)
    x, y = x * conf, y * conf  # unconfident points never reach the centre or the scale
    centre_x, centre_y, torso = _centre_and_torso(x, y, conf)
    scale = np.maximum(torso, np.float32(EXTENT_FACTOR) * _max_pairwise_distance(x, y, conf))
    inverse = np.float32(1.0) / np.where(scale > _MIN_SCALE, scale, np.float32(1.0))
    out = np.empty((points.shape[0], NUM_KEYPOINTS, CHANNELS), dtype=np.float32)
    out[:, :, 0] = ((x - centre_x) * inverse * conf).T
    out[:, :, 1] = ((y - centre_y) * inverse * conf).T
    out[:, :, 2] = conf.T
    return out.reshape(points.shape[0], FEATURE_SIZE)
