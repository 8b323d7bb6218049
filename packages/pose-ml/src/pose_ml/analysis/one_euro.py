"""One Euro filter (Casiez, Roussel, Vogel, CHI 2012) for every keypoint at once.

Each coordinate of each keypoint is its own filter: a low-pass whose cutoff rises with the
coordinate's speed, so a still pose is smoothed hard (jitter goes) and a fast move is
followed with little lag.  For one coordinate x at time t, with te the time since the last
sample:

    alpha(cutoff) = r / (r + 1),  r = 2 * pi * cutoff * te
    dx_hat  = dx_hat_prev * (1 - alpha(d_cutoff)) + (x - x_hat_prev) * (alpha(d_cutoff) / te)
    cutoff  = |dx_hat| * beta + min_cutoff
    x_hat   = x_hat_prev + alpha(cutoff) * (x - x_hat_prev)

(the textbook form, rearranged; the browser evaluates exactly these expressions in this order,
so both sides agree to the last bits on the shared vectors).

A keypoint that is not confident (score below min_score, or not finite) passes through raw
and its filter restarts when it is seen again: a stale state would drag the point from where
it was lost.  A sample with te <= 0 (repeated timestamp) changes nothing and returns the last
output.  frontend/src/analysis/oneEuro.ts is the same filter, checked against
tests/vectors/analysis_vectors.json.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Final

import numpy as np

from pose_common.skeleton import NUM_KEYPOINTS

DEFAULT_MIN_SCORE: Final[float] = 0.3


@dataclass(frozen=True, slots=True)
class OneEuroParams:
    """Tuning of the filter; coordinates are in source pixels and time in seconds."""

    min_cutoff: float = 1.0  # Hz: smoothing of a still point (lower = smoother, more lag)
    beta: float = 0.007  # per px/s: how fast the cutoff rises with speed (higher = less lag)
    d_cutoff: float = 1.0  # Hz: smoothing of the speed estimate itself

    def __post_init__(self) -> None:
        if not (self.min_cutoff > 0 and self.d_cutoff > 0 and self.beta >= 0):
            raise ValueError("min_cutoff and d_cutoff must be > 0 and beta >= 0")

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def smoothing_factor(te: float | np.ndarray, cutoff: float | np.ndarray) -> np.ndarray:
    """alpha = r / (r + 1) with r = 2 * pi * cutoff * te."""
    r = (2.0 * math.pi) * cutoff * te
    return r / (r + 1.0)


class KeypointFilter:
    """One Euro filters for the x and y of num_points keypoints, updated one frame at a time."""

    def __init__(
        self,
        params: OneEuroParams | None = None,
        *,
        num_points: int = NUM_KEYPOINTS,
        min_score: float = DEFAULT_MIN_SCORE,
    ) -> None:
        self.params = params or OneEuroParams()
        self.min_score = min_score
        self._x_hat = np.zeros((num_points, 2))
        self._dx_hat = np.zeros((num_points, 2))
        self._live = np.zeros(num_points, dtype=bool)
        self._all_live = False
        self._t_prev: float | None = None

    def reset(self) -> None:
        self._live[:] = False
        self._all_live = False
        self._t_prev = None

    def _seen(self, points: np.ndarray) -> np.ndarray:
        return (points[..., 2] >= self.min_score) & np.isfinite(points).all(axis=-1)

    def update(self, t: float, keypoints: np.ndarray) -> np.ndarray:
        """(K, 3) [x, y, score] at time t (s) -> the same with x, y smoothed (a new array)."""
        points = np.array(keypoints, dtype=np.float64)  # a copy: the caller's array is kept
        self._update_in_place(t, points, self._seen(points))
        return points

    def filter_chunk(self, times: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
        """(N,) seconds and (N, K, 3) keypoints in time order -> smoothed copy (N, K, 3)."""
        points = np.array(keypoints, dtype=np.float64)
        seen = self._seen(points)
        everything = seen.all(axis=1).tolist()
        for i, t in enumerate(np.asarray(times, dtype=np.float64).tolist()):
            te = None if self._t_prev is None else t - self._t_prev
            if everything[i] and self._all_live and te is not None and te > 0:
                # The usual frame (every point tracked before and now): no masks at all.
                self._t_prev = t
                self._step(te, points[i, :, :2], self._x_hat, self._dx_hat)
                points[i, :, :2] = self._x_hat
            else:
                self._update_in_place(t, points[i], seen[i])
        return points

    def _update_in_place(self, t: float, points: np.ndarray, seen: np.ndarray) -> None:
        te = None if self._t_prev is None else t - self._t_prev
        if te is not None and te <= 0:
            keep = seen & self._live
            points[keep, :2] = self._x_hat[keep]
            return
        self._t_prev = t
        running = seen & self._live
        if te is not None and running.any():
            x_hat, dx_hat = self._x_hat[running], self._dx_hat[running]
            self._step(te, points[running, :2], x_hat, dx_hat)
            self._x_hat[running], self._dx_hat[running] = x_hat, dx_hat
        starting = seen & ~self._live
        self._x_hat[starting] = points[starting, :2]
        self._dx_hat[starting] = 0.0
        self._live = seen.copy()
        self._all_live = bool(seen.all())
        points[seen, :2] = self._x_hat[seen]

    def _step(self, te: float, x: np.ndarray, x_hat: np.ndarray, dx_hat: np.ndarray) -> None:
        """One filter step in place on x_hat and dx_hat (arrays of the same shape as x)."""
        alpha_d = float(smoothing_factor(te, self.params.d_cutoff))
        dx_hat *= 1.0 - alpha_d
        dx_hat += (x - x_hat) * (alpha_d / te)
        r = np.abs(dx_hat)
        r *= self.params.beta
        r += self.params.min_cutoff
        r *= 2.0 * math.pi * te
        alpha = r / (r + 1.0)
        x_hat += alpha * (x - x_hat)


def smooth_sequence(
    times: np.ndarray,
    keypoints: np.ndarray,
    *,
    params: OneEuroParams | None = None,
    min_score: float = DEFAULT_MIN_SCORE,
) -> np.ndarray:
    """(N,) seconds and (N, K, 3) keypoints -> smoothed (N, K, 3) by a fresh filter."""
    points = np.asarray(keypoints, dtype=np.float64)
    filt = KeypointFilter(params, num_points=points.shape[1], min_score=min_score)
    return filt.filter_chunk(times, points)
