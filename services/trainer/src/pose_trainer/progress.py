"""Progress of a running job: stored in its row, sent to Celery, checked for cancellation.

Training code calls reporter.update(phase=..., epoch=..., ...) as it goes; each call merges the
fields into the job's progress, writes it (at most every `every_s` seconds, and always on a
phase change) and raises JobCancelled when a cancel was requested. When the job starts a new
run of epochs (a new fold, member or trial, or the final fit after the last fold), the last
epoch and its metrics belong to the run it left and are dropped, so progress never shows
fold 2 with fold 1's final epoch. The phases after a fit (evaluating, deciding promotion,
publishing) keep its last epoch: a finished job shows how far its training went.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pose_trainer.jobs import JobCancelled

ProgressSink = Callable[[dict[str, Any]], bool]  # writes progress, returns "cancel requested"

RUN_FIELDS = ("fold", "member", "trial")  # which run of epochs the job is in
STEP_FIELDS = ("epoch", "epochs", "metrics")  # how far that run is, and how it does


class Reporter:
    """Collects progress fields and hands them to a sink, rate limited."""

    def __init__(
        self,
        sink: ProgressSink | None = None,
        *,
        every_s: float = 1.0,
        listeners: tuple[Callable[[dict[str, Any]], None], ...] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sink = sink
        self.every_s = every_s
        self.listeners = listeners
        self.state: dict[str, Any] = {}
        self._clock = clock
        self._last = -float("inf")
        # False once the job has done what a cancel could no longer undo (published).
        self.cancellable = True

    def update(self, *, force: bool = False, **fields: Any) -> None:
        """Merge fields into the progress; raise JobCancelled if the job should stop."""
        phase_changed = "phase" in fields and fields["phase"] != self.state.get("phase")
        new_run = any(k in fields and fields[k] != self.state.get(k) for k in RUN_FIELDS)
        if new_run:
            for key in STEP_FIELDS:
                self.state.pop(key, None)
        self.state.update(fields)
        for listener in self.listeners:
            listener(dict(self.state))
        now = self._clock()
        if not (force or phase_changed) and now - self._last < self.every_s:
            return
        self._last = now
        if self.sink is not None and self.sink(dict(self.state)) and self.cancellable:
            raise JobCancelled("cancel requested")


NULL_REPORTER = Reporter()
