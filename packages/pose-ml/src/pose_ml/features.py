"""Keypoints -> model input: the ONE feature code shared by training and serving.

A pose of 17 COCO keypoints in source pixels becomes 51 numbers that do not depend on where
the person stands in the image or how large they appear:

1. centre: the midpoint of the confident hips; without them the confident shoulders; without
   those the mean of every confident point (and 0 when nothing is confident);
2. scale: the torso size, max(shoulder-midpoint to hip-midpoint distance, 0.5 * the largest
   distance between two confident points), replaced by 1 when it is ~0 so nothing divides by 0;
3. per keypoint: x and y centred and scaled, set to 0 when the point is not confident
   (score < min_score or a non-finite coordinate), then a mask channel (1 if confident).

Version 2 (`angles=True`) appends, for each joint angle of pose_ml.analysis.angles (elbows,
shoulders, hips, knees, trunk lean), the angle / 180 and a mask (1 when every point it uses
is confident; the angle is 0 otherwise). Angles do not change with rotation or scale, so they
carry the shape of the pose where the coordinates carry its layout.

Version 3 (`kind="embedding"`, 44 numbers) is the MediaPipe / ML Kit pose embedding mapped
to the 17 COCO points: centred on the hips and divided by max(2.5 x torso length, the largest
distance from the centre to a point), the shoulder-to-hip vector and 21 limb and cross-body
vectors (keypoint pairs in EMBEDDING_PAIRS). It uses every point's coordinates whatever its
score (on the yoga set, masking unconfident points cost leave-one-subject-out accuracy);
non-finite coordinates sit on the centre and so give zero-length vectors.

Everything is vectorised over frames: no Python loop per frame (serving runs this on
thousands of frames per batch). Add a version whenever the output changes, so a model is
never served with features it was not trained on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Final

import numpy as np

from pose_common.skeleton import NUM_KEYPOINTS, SKELETON_NAME
from pose_ml.analysis.angles import ANGLE_NAMES, compute_angles

FEATURE_SPEC_VERSION: Final[int] = 1  # the default: keypoint coordinates and masks only
ANGLES_SPEC_VERSION: Final[int] = 2  # the same, then joint angles and their masks
EMBEDDING_SPEC_VERSION: Final[int] = 3  # the MediaPipe-style pose embedding
CHANNELS: Final[int] = 3  # x, y, mask
FEATURE_SIZE: Final[int] = NUM_KEYPOINTS * CHANNELS
DEFAULT_MIN_SCORE: Final[float] = 0.2
EXTENT_FACTOR: Final[float] = 0.5
_MIN_SCALE: Final[float] = 1e-6

ANGLE_FEATURES: Final[int] = 2 * len(ANGLE_NAMES)  # angle / 180, mask
_ANGLES_LAYOUT: Final[str] = (
    "per keypoint: x, y (hip-centred, torso-scaled), mask; then per joint angle "
    f"({', '.join(ANGLE_NAMES)}): degrees / 180, mask"
)

# (from, to): the 2-D vector keypoint[to] - keypoint[from]. MediaPipe's FullBodyPoseEmbedder
# list mapped to COCO-17 (its duplicated hip -> wrist pair dropped).
EMBEDDING_PAIRS: Final[tuple[tuple[int, int], ...]] = (
    (5, 7), (6, 8), (7, 9), (8, 10),  # shoulder -> elbow, elbow -> wrist
    (11, 13), (12, 14), (13, 15), (14, 16),  # hip -> knee, knee -> ankle
    (5, 9), (6, 10), (11, 15), (12, 16),  # shoulder -> wrist, hip -> ankle
    (11, 9), (12, 10),  # hip -> wrist
    (5, 15), (6, 16),  # shoulder -> ankle
    (7, 8), (13, 14), (9, 10), (15, 16),  # across the body: elbows, knees, wrists, ankles
    (5, 6),  # shoulders
)  # fmt: skip
EMBEDDING_SIZE: Final[int] = 2 + 2 * len(EMBEDDING_PAIRS)
TORSO_MULTIPLIER: Final[float] = 2.5
_EMBEDDING_LAYOUT: Final[str] = (
    "shoulder-mid -> hip-mid vector, then the vector of each pair of EMBEDDING_PAIRS, over "
    "max(2.5 x torso, reach); hip-centred"
)

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

    angles: bool = False
    kind: str = "keypoints"  # "keypoints" (v1, v2) or "embedding" (v3)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSpec:
        """Read a manifest's spec; unknown keys (from a newer writer) are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})

    def check_supported(self) -> None:
        """Raise ValueError when this code cannot produce the features this spec describes."""
        expected = {
            FEATURE_SPEC_VERSION: ("keypoints", False, FEATURE_SIZE),
            ANGLES_SPEC_VERSION: ("keypoints", True, FEATURE_SIZE + ANGLE_FEATURES),
            EMBEDDING_SPEC_VERSION: ("embedding", False, EMBEDDING_SIZE),
        }
        if expected.get(self.version) != (self.kind, self.angles, self.size):
            raise ValueError(
                f"feature spec v{self.version} ({self.kind}, size {self.size}, angles "
                f"{self.angles}) is not supported; this code makes v{FEATURE_SPEC_VERSION} "
                f"(size {FEATURE_SIZE}), v{ANGLES_SPEC_VERSION} (size "
                f"{FEATURE_SIZE + ANGLE_FEATURES}, angles) and v{EMBEDDING_SPEC_VERSION} "
                f"(embedding, size {EMBEDDING_SIZE})"
            )

    def features(self, keypoints: np.ndarray) -> np.ndarray:
        """(N, 17, 3) keypoints -> (N, size) input of a model trained with this spec."""
        if self.kind == "embedding":
            return keypoints_to_embedding(keypoints)
        return keypoints_to_features(keypoints, min_score=self.min_score, angles=self.angles)


def feature_spec(
    *, min_score: float = DEFAULT_MIN_SCORE, angles: bool = False, kind: str = "keypoints"
) -> FeatureSpec:
    """The spec of keypoints_to_features (or keypoints_to_embedding) with these options."""
    if kind == "embedding":
        if angles:
            raise ValueError("the embedding (spec v3) has no angle features")
        return FeatureSpec(
            version=EMBEDDING_SPEC_VERSION,
            size=EMBEDDING_SIZE,
            min_score=float(min_score),
            layout=_EMBEDDING_LAYOUT,
            kind=kind,
        )
    if kind != "keypoints":
        raise ValueError(f"unknown feature kind {kind!r}; use 'keypoints' or 'embedding'")
    if angles:
        return FeatureSpec(
            version=ANGLES_SPEC_VERSION,
            size=FEATURE_SIZE + ANGLE_FEATURES,
            min_score=float(min_score),
            layout=_ANGLES_LAYOUT,
            angles=True,
        )
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
    keypoints: np.ndarray, *, min_score: float = DEFAULT_MIN_SCORE, angles: bool = False
) -> np.ndarray:
    """(N, 17, 3) [x, y, score] in pixels -> (N, 51) float32 model input (N, 69 with angles)."""
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
    flat = out.reshape(points.shape[0], FEATURE_SIZE)
    if not angles:
        return flat
    return np.concatenate([flat, _angle_features(points, min_score=min_score)], axis=1)


def _angle_features(points: np.ndarray, *, min_score: float) -> np.ndarray:
    """(N, 2 * angles): each joint angle / 180 (0 when unknown), then its mask."""
    degrees = compute_angles(points, min_score=min_score)
    known = np.isfinite(degrees)
    values = np.where(known, degrees / 180.0, 0.0).astype(np.float32)
    return np.concatenate([values, known.astype(np.float32)], axis=1)


def keypoints_to_embedding(keypoints: np.ndarray) -> np.ndarray:
    """(N, 17, 3) [x, y, score] in pixels -> (N, 44) float32 pose embedding (spec v3)."""
    points = np.asarray(keypoints, dtype=np.float32)
    if points.ndim != 3 or points.shape[1:] != (NUM_KEYPOINTS, 3):
        raise ValueError(f"keypoints must have shape (N, {NUM_KEYPOINTS}, 3), got {points.shape}")
    finite = np.isfinite(points[:, :, :2]).all(axis=2)
    xy = np.where(finite[:, :, None], points[:, :, :2], np.float32(0.0))

    def mean_of(rows: slice) -> tuple[np.ndarray, np.ndarray]:
        count = finite[:, rows].sum(axis=1, keepdims=True).astype(np.float32)
        return xy[:, rows].sum(axis=1) / np.maximum(count, 1.0), count[:, 0] > 0

    hips, has_hips = mean_of(_HIPS)
    shoulders, has_shoulders = mean_of(_SHOULDERS)
    everything, _ = mean_of(slice(None))
    centre = np.where(
        has_hips[:, None], hips, np.where(has_shoulders[:, None], shoulders, everything)
    )
    xy = np.where(finite[:, :, None], xy, centre[:, None, :])  # missing points sit on the centre
    hips = np.where(has_hips[:, None], hips, centre)
    shoulders = np.where(has_shoulders[:, None], shoulders, centre)
    torso = np.linalg.norm(shoulders - hips, axis=1)
    reach = np.linalg.norm(xy - centre[:, None, :], axis=2).max(axis=1)
    size = np.maximum(np.float32(TORSO_MULTIPLIER) * torso, reach)
    inverse = np.float32(1.0) / np.where(size > _MIN_SCALE, size, np.float32(1.0))
    pairs = np.asarray(EMBEDDING_PAIRS)
    limbs = (xy[:, pairs[:, 1]] - xy[:, pairs[:, 0]]) * inverse[:, None, None]
    torso_vector = (hips - shoulders) * inverse[:, None]
    out = np.concatenate([torso_vector, limbs.reshape(len(points), -1)], axis=1)
    return out.astype(np.float32, copy=False)
