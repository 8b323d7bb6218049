"""Per-frame signals an exercise is counted on: a joint angle, or a position normalised by torso.

Three kinds, all vectorised over frames (N,):

- angle: one of ANGLE_NAMES ("left_knee", "trunk_lean"), or a joint without its side
  ("knee") whose left and right values are combined;
- position: how far a keypoint is from a reference keypoint along x or y, in torso lengths
  (torso = shoulder midpoint to hip midpoint).  y is positive UP (image y grows down), so
  "wrist above shoulder" is > 0;  x is point minus reference;
- distance: the distance between two keypoints in torso lengths.

A keypoint written without its side ("wrist") means both sides, each paired with the same
side of the reference when that has sides too; the two values are combined with
`combine`: mean (of the known ones), min, max, left or right.  NaN means unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np

from pose_common.skeleton import KEYPOINT_NAMES
from pose_ml.analysis.angles import ANGLE_INDEX, ANGLE_NAMES

Combine = Literal["mean", "min", "max", "left", "right"]
COMBINES: Final[tuple[str, ...]] = ("mean", "min", "max", "left", "right")
_K = {name: i for i, name in enumerate(KEYPOINT_NAMES)}
_SIDED_ANGLES = sorted({name.split("_", 1)[1] for name in ANGLE_NAMES if name.startswith("left_")})


@dataclass(frozen=True, slots=True)
class SignalSpec:
    """What to measure on each frame (see the module docstring)."""

    kind: Literal["angle", "position", "distance"]
    names: tuple[str, ...]  # angle: (joint,), position: (point, reference), distance: (a, b)
    axis: Literal["x", "y"] = "y"
    combine: Combine = "mean"

    @property
    def unit(self) -> str:
        return "deg" if self.kind == "angle" else "torso"

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "angle":
            return {"angle": self.names[0], "combine": self.combine}
        if self.kind == "position":
            point, reference = self.names
            return {
                "position": point,
                "relative_to": reference,
                "axis": self.axis,
                "combine": self.combine,
            }
        return {"distance": list(self.names), "combine": self.combine}


def _check_point(name: str) -> None:
    if name not in _K and f"left_{name}" not in _K:
        raise ValueError(f"unknown keypoint {name!r} (known: {', '.join(KEYPOINT_NAMES)})")


def parse_signal(raw: dict[str, Any]) -> SignalSpec:
    """A SignalSpec from its config form; ValueError saying what is wrong."""
    known = {"angle", "position", "relative_to", "axis", "distance", "combine"}
    if not isinstance(raw, dict) or set(raw) - known:
        raise ValueError(f"signal must be a mapping with keys from {sorted(known)}, got {raw!r}")
    kinds = [kind for kind in ("angle", "position", "distance") if kind in raw]
    if len(kinds) != 1:
        raise ValueError(f"a signal needs exactly one of angle, position, distance: {raw!r}")
    if kinds != ["position"] and {"relative_to", "axis"} & set(raw):
        raise ValueError(f"relative_to and axis belong to a position signal: {raw!r}")
    combine = raw.get("combine", "mean")
    if combine not in COMBINES:
        raise ValueError(f"combine must be one of {COMBINES}, got {combine!r}")
    if "angle" in raw:
        name = raw["angle"]
        if name not in ANGLE_INDEX and name not in _SIDED_ANGLES:
            allowed = ", ".join([*ANGLE_NAMES, *_SIDED_ANGLES])
            raise ValueError(f"unknown angle {name!r} (known: {allowed})")
        return SignalSpec("angle", (name,), combine=combine)
    if "position" in raw:
        point, reference = raw["position"], raw.get("relative_to")
        if reference is None:
            raise ValueError("a position signal needs relative_to")
        for name in (point, reference):
            _check_point(name)
        axis = raw.get("axis", "y")
        if axis not in ("x", "y"):
            raise ValueError(f"axis must be x or y, got {axis!r}")
        return SignalSpec("position", (point, reference), axis=axis, combine=combine)
    pair = raw["distance"]
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        raise ValueError(f"distance takes two keypoints, got {pair!r}")
    for name in pair:
        _check_point(name)
    return SignalSpec("distance", (pair[0], pair[1]), combine=combine)


def combine_sides(left: np.ndarray, right: np.ndarray, how: str) -> np.ndarray:
    """Left and right values -> one, ignoring a NaN side (NaN when both are)."""
    if how == "left":
        return left
    if how == "right":
        return right
    if how == "min":
        return np.fmin(left, right)
    if how == "max":
        return np.fmax(left, right)
    both = (left + right) / 2
    return np.where(np.isnan(left), right, np.where(np.isnan(right), left, both))


def torso_length(points: np.ndarray, confident: np.ndarray) -> np.ndarray:
    """(N,) shoulder-midpoint to hip-midpoint distance; NaN without all four points or if 0."""
    ls, rs, lh, rh = _K["left_shoulder"], _K["right_shoulder"], _K["left_hip"], _K["right_hip"]
    dx = (points[:, ls, 0] + points[:, rs, 0]) / 2 - (points[:, lh, 0] + points[:, rh, 0]) / 2
    dy = (points[:, ls, 1] + points[:, rs, 1]) / 2 - (points[:, lh, 1] + points[:, rh, 1]) / 2
    length = np.sqrt(dx * dx + dy * dy)  # not hypot: sqrt is exact in the browser too
    usable = confident[:, [ls, rs, lh, rh]].all(axis=1) & (length > 0)
    return np.where(usable, length, np.nan)


def _sides(name: str) -> tuple[int, int] | None:
    """(left, right) keypoint indices of a name given without its side; None if unsided."""
    if name in _K:
        return None
    return _K[f"left_{name}"], _K[f"right_{name}"]


def _point_columns(name: str) -> tuple[int, int]:
    sides = _sides(name)
    return sides if sides is not None else (_K[name], _K[name])


def _pair_signal(spec: SignalSpec, points: np.ndarray, confident: np.ndarray) -> np.ndarray:
    torso = torso_length(points, confident)
    first, second = _point_columns(spec.names[0]), _point_columns(spec.names[1])
    per_side = []
    for a, b in zip(first, second, strict=True):
        if spec.kind == "distance":
            dx, dy = points[:, a, 0] - points[:, b, 0], points[:, a, 1] - points[:, b, 1]
            value = np.sqrt(dx * dx + dy * dy)
        elif spec.axis == "y":
            value = points[:, b, 1] - points[:, a, 1]  # up is positive
        else:
            value = points[:, a, 0] - points[:, b, 0]
        per_side.append(np.where(confident[:, a] & confident[:, b], value / torso, np.nan))
    return combine_sides(per_side[0], per_side[1], spec.combine)


def compute_signal(
    spec: SignalSpec, *, angles: np.ndarray, keypoints: np.ndarray, min_score: float
) -> np.ndarray:
    """(N,) values of the signal from (N, A) angles and the (N, 17, 3) keypoints they came from."""
    if spec.kind == "angle":
        name = spec.names[0]
        if name in ANGLE_INDEX:
            return angles[:, ANGLE_INDEX[name]]
        left = angles[:, ANGLE_INDEX[f"left_{name}"]]
        right = angles[:, ANGLE_INDEX[f"right_{name}"]]
        return combine_sides(left, right, spec.combine)
    points = np.asarray(keypoints, dtype=np.float64)
    confident = (points[..., 2] >= min_score) & np.isfinite(points).all(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _pair_signal(spec, points, confident)
