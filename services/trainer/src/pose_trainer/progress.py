"""Progress of a running job: stored in its row, sent to Celery, checked for cancellation.

Training code calls reporter.update(phase=..., epoch=..., ...) as it goes; each call merges the
fields into the job's progress, writes it (at most every `every_s` seconds, and always on a
phase change) and raises JobCancelled when a cancel was requested.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pose_trainer.jobs import JobCancelled

ProgressSink = Callable[[dict[str, Any]], bool]  # writes progress, returns "cancel requested"


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

    def update(self, *, force: bool = False, **fields: Any) -> None:
        """Merge fields into the progress; raise JobCancelled if the job should stop."""
        phase_changed = "phase" in fields and fields["phase"] != self.state.get("phase")
        self.state.update(fields)
        for listener in self.listeners:
            listener(dict(self.state))
        now = self._clock()
        if not (force or phase_changed) and now - self._last < self.every_s:
            return
        self._last = now
        if self.sink is not None and self.sink(dict(self.state)):
            raise JobCancelled("cancel requested")


NULL_REPORTER = Reporter()
