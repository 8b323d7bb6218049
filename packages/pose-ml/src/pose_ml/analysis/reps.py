"""Repetition counting: a state machine over one signal, fed one frame at a time.

States: "unknown" until the signal is first seen at rest; "rest"; "moving" (left rest, not
at depth yet); "depth" (reached the bottom, on the way back).  A repetition is complete when
the signal comes back to rest after depth, and counts if it lasted min_duration_s and no
guard objected on any of its frames.  Leaving rest and coming back without reaching depth is
a half movement, not a rep.  Because a rep
needs the signal to cross the whole band between the two thresholds, jitter smaller than
that band can never add a count.  A signal unknown for more than max_gap_s abandons the
rep in progress ("unknown" again).

The same machine runs live in the browser (frontend/src/analysis/reps.ts) and is checked
against the shared vectors; the backend records every rep (start, end, depth, range).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from pose_ml.analysis.exercises import Exercise

State = Literal["unknown", "rest", "moving", "depth"]


@dataclass(frozen=True, slots=True)
class Rep:
    """One repetition: times in the caller's clock (seconds), signal values in its unit."""

    index: int  # 1-based among the counted reps of the exercise
    start_t: float  # last moment at rest before the movement
    bottom_t: float  # when the signal was most extreme
    end_t: float  # back at rest (or the last frame seen, for a partial rep)
    depth: float  # the most extreme signal value
    range: float  # range of motion: max - min of the signal over the rep
    complete: bool = True  # False: the recording ended after depth, before rest

    @property
    def duration_s(self) -> float:
        return self.end_t - self.start_t

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "duration_s": self.duration_s}


class RepCounter:
    """Counts repetitions of one exercise; update() once per frame in time order."""

    def __init__(self, exercise: Exercise) -> None:
        self.exercise = exercise
        self.count = 0
        self.state: State = "unknown"
        self._sign = -1.0 if exercise.falling else 1.0  # turns "beyond" into ">="
        self._start_t = self._bottom_t = self._last_t = 0.0
        self._low = self._high = self._extreme = math.nan
        self._spoiled = False  # a guard objected during the current movement

    def _at_rest(self, value: float) -> bool:
        return self._sign * value <= self._sign * self.exercise.rest

    def _at_depth(self, value: float) -> bool:
        return self._sign * value >= self._sign * self.exercise.depth

    def _rest_at(self, t: float, value: float) -> None:
        self.state = "rest"
        self._spoiled = False
        self._start_t = t
        self._low = self._high = value

    def _track(self, t: float, value: float) -> None:
        self._low, self._high = min(self._low, value), max(self._high, value)
        if self.state != "depth" or self._sign * value > self._sign * self._extreme:
            self._extreme, self._bottom_t = value, t

    def _rep(self, end_t: float, *, complete: bool) -> Rep:
        return Rep(
            index=self.count + 1,
            start_t=self._start_t,
            bottom_t=self._bottom_t,
            end_t=end_t,
            depth=self._extreme,
            range=self._high - self._low,
            complete=complete,
        )

    def update(self, t: float, value: float, guarded: bool = True) -> Rep | None:
        """Feed one frame (guarded: no guard objects to it); the rep it completes, if any."""
        if not math.isfinite(value):
            if self.state != "unknown" and t - self._last_t > self.exercise.max_gap_s:
                self.state = "unknown"
            return None
        if self.state != "unknown" and t - self._last_t > self.exercise.max_gap_s:
            self.state = "unknown"
        self._last_t = t
        if self.state == "unknown":
            if self._at_rest(value):
                self._rest_at(t, value)
            return None
        if self._at_rest(value):
            finished = self.state == "depth"
            self._low, self._high = min(self._low, value), max(self._high, value)
            rep = self._rep(t, complete=True) if finished and not self._spoiled else None
            self._rest_at(t, value)
            if rep is None or rep.duration_s < self.exercise.min_duration_s:
                return None
            self.count += 1
            return rep
        self._track(t, value)
        self._spoiled = self._spoiled or not guarded
        if self.state == "rest":
            self.state = "moving"
        if self.state == "moving" and self._at_depth(value):
            self.state = "depth"
            self._extreme, self._bottom_t = value, t
        return None

    def finish(self) -> Rep | None:
        """At the end of a recording: the rep cut off after its depth, if any (not counted)."""
        if self.state != "depth" or self._spoiled:
            return None
        return self._rep(self._last_t, complete=False)


def count_reps(
    exercise: Exercise, times: np.ndarray, values: np.ndarray, guarded: np.ndarray | None = None
) -> tuple[list[Rep], Rep | None]:
    """Counted reps of a whole recording, and the partial rep it ends in (or None)."""
    counter = RepCounter(exercise)
    times_list = np.asarray(times, dtype=np.float64).tolist()
    flags = [True] * len(times_list) if guarded is None else np.asarray(guarded).tolist()
    reps = []
    for t, value, ok in zip(times_list, np.asarray(values).tolist(), flags, strict=True):
        rep = counter.update(t, value, ok)
        if rep is not None:
            reps.append(rep)
    return reps, counter.finish()
