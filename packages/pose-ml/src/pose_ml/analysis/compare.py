"""Compare a recording with a reference: align their joint angles in time (DTW), then say how
much each joint differs and where the two differ most.

Two performances of the same movement rarely share a tempo, so frame i of one is matched to
the frame of the other in the same phase of the movement: dynamic time warping over the
per-frame cost "mean absolute angle difference over the joints both recordings know".  The
series are first resampled to at most max_points each (DTW is O(n * m)) and gaps in a joint
are filled by linear interpolation; a joint unknown throughout either recording is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from pose_ml.analysis.angles import ANGLE_INDEX, ANGLE_NAMES

DEFAULT_MAX_POINTS: Final[int] = 600


@dataclass(frozen=True)
class Comparison:
    """Per-joint differences after alignment (degrees; session minus reference)."""

    joints: list[str]
    mean_abs_diff: dict[str, float]
    max_abs_diff: dict[str, float]
    mean_diff: dict[str, float]  # signed: > 0 when the session's angle is larger (straighter)
    worst: list[dict[str, Any]]  # moments of largest difference, largest first
    distance: float  # mean cost along the alignment path
    path: np.ndarray  # (L, 2) aligned (session index, reference index) in resampled series

    def to_dict(self) -> dict[str, Any]:
        return {
            "joints": self.joints,
            "distance": self.distance,
            "mean_abs_diff": self.mean_abs_diff,
            "max_abs_diff": self.max_abs_diff,
            "mean_diff": self.mean_diff,
            "worst": self.worst,
            "path_length": len(self.path),
        }


def resample(times: np.ndarray, values: np.ndarray, max_points: int) -> tuple[np.ndarray, ...]:
    """At most max_points rows, evenly spread over the series."""
    if len(times) <= max_points:
        return times, values
    index = np.linspace(0, len(times) - 1, max_points).round().astype(int)
    return times[index], values[index]


def fill_gaps(values: np.ndarray) -> np.ndarray:
    """NaN runs of each column filled by linear interpolation (ends held); all-NaN stays NaN."""
    out = values.copy()
    index = np.arange(len(values))
    for column in range(values.shape[1]):
        known = np.isfinite(values[:, column])
        if known.any() and not known.all():
            out[:, column] = np.interp(index, index[known], values[known, column])
    return out


def dtw_path(cost: np.ndarray) -> tuple[np.ndarray, float]:
    """Cheapest monotone alignment of an (n, m) cost matrix: (L, 2) index pairs, total cost."""
    n, m = cost.shape
    total = np.full((n + 1, m + 1), np.inf)
    total[0, 0] = 0.0
    # Cells on one anti-diagonal depend only on the two before it: one vector op per diagonal.
    for k in range(n + m - 1):
        i = np.arange(max(0, k - m + 1), min(n, k + 1))
        j = k - i
        best = np.minimum(np.minimum(total[i, j], total[i, j + 1]), total[i + 1, j])
        total[i + 1, j + 1] = cost[i, j] + best
    path = [(n - 1, m - 1)]
    i, j = n, m
    while (i, j) != (1, 1):
        steps = ((i - 1, j - 1), (i - 1, j), (i, j - 1))
        i, j = min(steps, key=lambda step: total[step])
        path.append((i - 1, j - 1))
    return np.array(path[::-1]), float(total[n, m])


def _worst_moments(
    diff: np.ndarray, path: np.ndarray, times: tuple[np.ndarray, np.ndarray], joints: list[str]
) -> list[dict[str, Any]]:
    """Up to 5 moments of largest mean difference, at least a tenth of the session apart."""
    mean = np.nanmean(np.abs(diff), axis=1)
    session_t = times[0][path[:, 0]]
    spacing = (session_t[-1] - session_t[0]) / 10
    chosen: list[int] = []
    for step in np.argsort(-mean):
        if len(chosen) == 5:
            break
        if all(abs(session_t[step] - session_t[c]) > spacing for c in chosen):
            chosen.append(int(step))
    moments = []
    for step in chosen:
        joint = int(np.nanargmax(np.abs(diff[step])))
        moments.append(
            {
                "session_s": float(session_t[step]),
                "reference_s": float(times[1][path[step, 1]]),
                "mean_abs_diff": float(mean[step]),
                "joint": joints[joint],
                "joint_diff": float(diff[step, joint]),
            }
        )
    return moments


def compare_angles(
    session: tuple[np.ndarray, np.ndarray],
    reference: tuple[np.ndarray, np.ndarray],
    *,
    joints: Sequence[str] = ANGLE_NAMES,
    max_points: int = DEFAULT_MAX_POINTS,
) -> Comparison:
    """(times, (N, len(ANGLE_NAMES)) angles) of a session and a reference -> Comparison.

    Times are seconds from each recording's own start.  ValueError when either is empty or
    no joint is known in both.
    """
    if unknown := [joint for joint in joints if joint not in ANGLE_INDEX]:
        raise ValueError(f"unknown joints {unknown}; known: {list(ANGLE_NAMES)}")
    columns = [ANGLE_INDEX[joint] for joint in joints]
    (s_t, s_v), (r_t, r_v) = (
        resample(t, v[:, columns], max_points) for t, v in (session, reference)
    )
    if len(s_t) == 0 or len(r_t) == 0:
        raise ValueError("both recordings need frames to be compared")
    s_v, r_v = fill_gaps(s_v), fill_gaps(r_v)
    usable = np.isfinite(s_v).all(axis=0) & np.isfinite(r_v).all(axis=0)
    if not usable.any():
        raise ValueError("no joint angle is known in both recordings")
    kept = [joint for joint, ok in zip(joints, usable, strict=True) if ok]
    s_v, r_v = s_v[:, usable], r_v[:, usable]
    cost = np.zeros((len(s_t), len(r_t)))
    for column in range(len(kept)):
        cost += np.abs(s_v[:, column, None] - r_v[None, :, column])
    cost /= len(kept)
    path, total = dtw_path(cost)
    diff = s_v[path[:, 0]] - r_v[path[:, 1]]
    return Comparison(
        joints=kept,
        mean_abs_diff=dict(zip(kept, np.abs(diff).mean(axis=0).tolist(), strict=True)),
        max_abs_diff=dict(zip(kept, np.abs(diff).max(axis=0).tolist(), strict=True)),
        mean_diff=dict(zip(kept, diff.mean(axis=0).tolist(), strict=True)),
        worst=_worst_moments(diff, path, (s_t, r_t), kept),
        distance=total / len(path),
        path=path,
    )
