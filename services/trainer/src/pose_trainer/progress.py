"""Progress of a running job: stored in its row, sent to Celery, checked for cancellation.

Training code calls reporter.update(phase=..., epoch=..., ...) as it goes; each call merges the
fields into the job's progress, writes it (at most every `every_s` seconds, and always on a
phase change) and raises JobCancelled when a cancel was requested. When the job starts a new
run of epochs (a new fold, member or trial, or the final fit after the last fold), the last
epoch and its metrics belong to the run it left and are dropped, so progress never shows
fold 2 with fold 1's final epoch. The phases after a fit (evaluating, deciding promotion,
publishing) keep its last epoch: a finished job shows how far its training went.

Every update also carries how far the whole job is, `fraction` (0..1), and `eta_s`, the
seconds it should still take at the pace so far. A training job says how many fits it will
make (`fits`: one per cross-validation fold and the final one) and which one it is in
(`fit`); each fit is an equal share, filled by its epochs. A tuning job counts its trials the
same way, and when it has a time budget (`budget_s`) it is at least as far as the share of the
budget spent. The phases after the last fit (evaluating, publishing, deciding promotion) sit
at AFTER_FITS until the job ends. A fit that stops early (early stopping) hands the rest of
its share to the next one at once, so the estimate is cautious rather than optimistic.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pose_trainer.jobs import JobCancelled

ProgressSink = Callable[[dict[str, Any]], bool]  # writes progress, returns "cancel requested"

RUN_FIELDS = ("fit", "fold", "member", "trial")  # which run of epochs the job is in
STEP_FIELDS = ("epoch", "epochs", "metrics")  # how far that run is, and how it does
FIT_PHASES = ("cross-validation", "training", "tuning")  # phases whose runs fill the bar
AFTER_FITS = 0.99  # the whole fraction while a finished fit's job evaluates and publishes
MIN_FRACTION_FOR_ETA = 0.01  # below this the pace says nothing yet


def _share(done: Any, total: Any, epoch: Any, epochs: Any) -> float | None:
    """(runs done + the current run's epochs) / runs, or None without a count of runs."""
    if not total:
        return None
    current = min(1.0, float(epoch) / float(epochs)) if epoch and epochs else 0.0
    return min(1.0, (max(int(done or 1), 1) - 1 + current) / int(total))


def job_fraction(state: dict[str, Any], *, budget_used_s: float | None = None) -> float | None:
    """How far the job is, 0..1, from its progress fields; None when it cannot say."""
    epoch, epochs = state.get("epoch"), state.get("epochs")
    if state.get("trials"):
        fraction = _share(state.get("trial"), state["trials"], epoch, epochs) or 0.0
        budget = state.get("budget_s")
        if budget and budget_used_s is not None:
            fraction = max(fraction, min(1.0, budget_used_s / float(budget)))
    else:
        fraction = _share(state.get("fit"), state.get("fits"), epoch, epochs)
        if fraction is None:
            return None
    if state.get("phase") not in FIT_PHASES:
        # Before the first fit (checking, loading data) nothing is done; after it, nearly all.
        return AFTER_FITS if state.get("fit") or state.get("trial") else 0.0
    return min(fraction, AFTER_FITS)


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
        self._work_started: float | None = None  # the first fit's start: the pace's origin
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
        now = self._clock()
        self._estimate(now)
        for listener in self.listeners:
            listener(dict(self.state))
        if not (force or phase_changed) and now - self._last < self.every_s:
            return
        self._last = now
        if self.sink is not None and self.sink(dict(self.state)) and self.cancellable:
            raise JobCancelled("cancel requested")

    def _estimate(self, now: float) -> None:
        """Set fraction and eta_s in the state (dropped while the job cannot say)."""
        if self._work_started is None and (self.state.get("fit") or self.state.get("trial")):
            self._work_started = now
        used = None if self._work_started is None else now - self._work_started
        fraction = job_fraction(self.state, budget_used_s=used)
        self.state.pop("eta_s", None)
        if fraction is None:
            self.state.pop("fraction", None)
            return
        self.state["fraction"] = round(fraction, 4)
        if used is None or fraction < MIN_FRACTION_FOR_ETA or fraction >= AFTER_FITS:
            return
        eta = used * (1.0 - fraction) / fraction
        budget = self.state.get("budget_s") if self.state.get("trials") else None
        if budget:
            eta = min(eta, max(0.0, float(budget) - used))
        self.state["eta_s"] = round(eta)


NULL_REPORTER = Reporter()
