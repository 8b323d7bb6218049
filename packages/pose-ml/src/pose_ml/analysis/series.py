"""A time series kept to a bounded number of points however long the recording (for plots).

Samples are kept at a stride; when the buffer is full every other kept sample is dropped and
the stride doubles, so memory stays flat and the points stay evenly spread over the session.
"""

from __future__ import annotations

import numpy as np


class DecimatedSeries:
    """Rows of `width` values with their times, at most max_points of them."""

    def __init__(self, width: int, *, max_points: int = 4000) -> None:
        if max_points < 2:
            raise ValueError("max_points must be at least 2")
        self.max_points = max_points
        self.stride = 1
        self._seen = 0
        self._times = np.empty(2 * max_points)
        self._values = np.empty((2 * max_points, width))
        self._size = 0

    def extend(self, times: np.ndarray, values: np.ndarray) -> None:
        """Append a chunk of samples (N,) and (N, width)."""
        start = 0
        while start < len(times):
            # Take at most what fits before the next halving, so a chunk never overflows.
            room = max(self.max_points - self._size, 1) * self.stride
            end = min(len(times), start + room)
            index = np.arange(self._seen, self._seen + end - start)
            keep = np.nonzero(index % self.stride == 0)[0] + start
            self._times[self._size : self._size + len(keep)] = times[keep]
            self._values[self._size : self._size + len(keep)] = values[keep]
            self._size += len(keep)
            self._seen += end - start
            start = end
            if self._size >= self.max_points:
                self._halve()

    def _halve(self) -> None:
        # The kept samples sit at multiples of the stride; keep the multiples of twice that.
        self._times[: (self._size + 1) // 2] = self._times[: self._size : 2]
        self._values[: (self._size + 1) // 2] = self._values[: self._size : 2]
        self._size = (self._size + 1) // 2
        self.stride *= 2

    @property
    def times(self) -> np.ndarray:
        return self._times[: self._size].copy()

    @property
    def values(self) -> np.ndarray:
        return self._values[: self._size].copy()
