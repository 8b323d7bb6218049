"""Joint angles in degrees from 17 COCO keypoints, vectorised over frames.

A joint angle at B between the segments B->A and B->C is atan2(|cross|, dot) in degrees, in
[0, 180]: 180 is a straight limb.  Trunk lean is the angle between "up" in the image and the
line from the hip midpoint to the shoulder midpoint: 0 upright, 90 horizontal, 180 upside
down (unsigned: facing left or right gives the same lean).

An angle is NaN when any keypoint it uses has a score below min_score or a non-finite
coordinate, or when one of its segments has zero length.  frontend/src/analysis/angles.ts
computes the same numbers (checked to 1e-6 on tests/vectors/analysis_vectors.json).
"""

from __future__ import annotations

from typing import Final

import numpy as np

from pose_common.skeleton import KEYPOINT_NAMES, NUM_KEYPOINTS
from pose_ml.analysis.one_euro import DEFAULT_MIN_SCORE

_K = {name: i for i, name in enumerate(KEYPOINT_NAMES)}

# name -> (A, B, C): the angle at B.
JOINT_ANGLES: Final[dict[str, tuple[int, int, int]]] = {
    "left_elbow": (_K["left_shoulder"], _K["left_elbow"], _K["left_wrist"]),
    "right_elbow": (_K["right_shoulder"], _K["right_elbow"], _K["right_wrist"]),
    "left_shoulder": (_K["left_hip"], _K["left_shoulder"], _K["left_elbow"]),
    "right_shoulder": (_K["right_hip"], _K["right_shoulder"], _K["right_elbow"]),
    "left_hip": (_K["left_shoulder"], _K["left_hip"], _K["left_knee"]),
    "right_hip": (_K["right_shoulder"], _K["right_hip"], _K["right_knee"]),
    "left_knee": (_K["left_hip"], _K["left_knee"], _K["left_ankle"]),
    "right_knee": (_K["right_hip"], _K["right_knee"], _K["right_ankle"]),
}
TRUNK_POINTS: Final[tuple[int, int, int, int]] = (
    _K["left_shoulder"],
    _K["right_shoulder"],
    _K["left_hip"],
    _K["right_hip"],
)
ANGLE_NAMES: Final[tuple[str, ...]] = (*JOINT_ANGLES, "trunk_lean")
ANGLE_INDEX: Final[dict[str, int]] = {name: i for i, name in enumerate(ANGLE_NAMES)}


def _confident(points: np.ndarray, min_score: float) -> np.ndarray:
    """(N, 17) True where a keypoint may be used."""
    return (points[..., 2] >= min_score) & np.isfinite(points).all(axis=-1)


def _angle_at(points: np.ndarray, a: int, b: int, c: int) -> np.ndarray:
    ux, uy = points[:, a, 0] - points[:, b, 0], points[:, a, 1] - points[:, b, 1]
    vx, vy = points[:, c, 0] - points[:, b, 0], points[:, c, 1] - points[:, b, 1]
    cross = ux * vy - uy * vx
    dot = ux * vx + uy * vy
    degenerate = ((ux == 0) & (uy == 0)) | ((vx == 0) & (vy == 0))
    return np.where(degenerate, np.nan, np.degrees(np.arctan2(np.abs(cross), dot)))


def _trunk_lean(points: np.ndarray) -> np.ndarray:
    ls, rs, lh, rh = TRUNK_POINTS
    dx = (points[:, ls, 0] + points[:, rs, 0]) / 2 - (points[:, lh, 0] + points[:, rh, 0]) / 2
    dy = (points[:, ls, 1] + points[:, rs, 1]) / 2 - (points[:, lh, 1] + points[:, rh, 1]) / 2
    degenerate = (dx == 0) & (dy == 0)
    # Image y grows downwards, so "up" is -y.
    return np.where(degenerate, np.nan, np.degrees(np.arctan2(np.abs(dx), -dy)))


def compute_angles(keypoints: np.ndarray, *, min_score: float = DEFAULT_MIN_SCORE) -> np.ndarray:
    """(N, 17, 3) keypoints -> (N, len(ANGLE_NAMES)) float64 degrees, NaN where unknown."""
    points = np.asarray(keypoints, dtype=np.float64)
    if points.ndim != 3 or points.shape[1:] != (NUM_KEYPOINTS, 3):
        raise ValueError(f"keypoints must have shape (N, {NUM_KEYPOINTS}, 3), got {points.shape}")
    confident = _confident(points, min_score)
    out = np.empty((points.shape[0], len(ANGLE_NAMES)))
    with np.errstate(invalid="ignore"):
        for column, (a, b, c) in enumerate(JOINT_ANGLES.values()):
            usable = confident[:, a] & confident[:, b] & confident[:, c]
            out[:, column] = np.where(usable, _angle_at(points, a, b, c), np.nan)
        usable = confident[:, list(TRUNK_POINTS)].all(axis=1)
        out[:, ANGLE_INDEX["trunk_lean"]] = np.where(usable, _trunk_lean(points), np.nan)
    return out


def angle_dict(angles: np.ndarray) -> dict[str, float | None]:
    """One frame's angles by name, None where unknown (for JSON)."""
    return {
        name: (None if not np.isfinite(value) else float(value))
        for name, value in zip(ANGLE_NAMES, angles, strict=True)
    }
