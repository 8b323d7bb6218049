"""A job's progress as its reporter merges, rate-limits and forwards it."""

from __future__ import annotations

from typing import Any

import pytest

from pose_trainer.jobs import JobCancelled
from pose_trainer.progress import Reporter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_new_fold_or_trial_drops_the_last_runs_epoch_and_metrics() -> None:
    seen: list[dict[str, Any]] = []
    reporter = Reporter(listeners=(seen.append,))
    reporter.update(phase="cross-validation", fold=1, folds=5, force=True)
    reporter.update(epoch=25, epochs=25, metrics={"loss": 0.1}, fold=1, folds=5)
    reporter.update(phase="cross-validation", fold=2, folds=5, force=True)
    assert seen[-1] == {"phase": "cross-validation", "fold": 2, "folds": 5}
    reporter.update(epoch=1, epochs=25, metrics={"loss": 1.3}, fold=2, folds=5)
    assert seen[-1]["epoch"] == 1 and seen[-1]["metrics"] == {"loss": 1.3}
    # The final fit after the last fold starts from nothing too ...
    reporter.update(phase="training", fold=None, folds=None, force=True)
    assert "epoch" not in seen[-1] and "metrics" not in seen[-1]
    reporter.update(epoch=25, epochs=25, metrics={"loss": 0.2})
    # ... and what comes after it keeps its last epoch: how far the training went.
    reporter.update(phase="deciding promotion", version=2, force=True)
    assert seen[-1]["epoch"] == 25 and seen[-1]["metrics"] == {"loss": 0.2}
    reporter.update(phase="tuning", trial=1, trials=3, force=True)
    assert "epoch" not in seen[-1]
    reporter.update(epoch=2, metrics={"accuracy": 0.5})
    reporter.update(phase="tuning", trial=1, trials=3, force=True)  # the same trial: kept
    assert seen[-1]["epoch"] == 2
    reporter.update(phase="tuning", trial=2, trials=3, force=True)
    assert "epoch" not in seen[-1] and seen[-1]["trial"] == 2


def test_the_sink_is_rate_limited_but_phase_changes_and_forced_updates_go_through() -> None:
    clock, written = Clock(), []
    reporter = Reporter(lambda state: written.append(state) or False, every_s=1.0, clock=clock)
    reporter.update(phase="training", force=True)
    for epoch in range(1, 6):  # five epochs within one second: none written
        reporter.update(epoch=epoch)
    assert [w.get("epoch") for w in written] == [None]
    clock.now = 1.5
    reporter.update(epoch=6)
    reporter.update(epoch=7)
    reporter.update(phase="evaluating")
    assert [(w["phase"], w.get("epoch")) for w in written] == [
        ("training", None),
        ("training", 6),
        ("evaluating", 7),
    ]


def test_a_cancel_request_from_the_sink_stops_the_job() -> None:
    reporter = Reporter(lambda state: state.get("epoch") == 3)
    reporter.update(epoch=2, force=True)
    with pytest.raises(JobCancelled):
        reporter.update(epoch=3, force=True)


def test_the_job_fraction_fills_fit_by_fit_and_the_time_left_follows_the_pace() -> None:
    clock, seen = Clock(), []
    reporter = Reporter(listeners=(seen.append,), clock=clock)
    reporter.update(phase="loading data", fits=3, force=True)
    assert seen[-1]["fraction"] == 0.0 and "eta_s" not in seen[-1]
    reporter.update(phase="cross-validation", fit=1, fold=1, folds=2, force=True)
    assert seen[-1]["fraction"] == 0.0
    clock.now = 30.0
    reporter.update(epoch=5, epochs=10, fit=1, fold=1, folds=2)  # half of one fit of three
    assert seen[-1]["fraction"] == pytest.approx(1 / 6, abs=1e-4)
    assert seen[-1]["eta_s"] == 150  # 30 s for a sixth: 150 s for the other five
    reporter.update(phase="cross-validation", fit=2, fold=2, folds=2, force=True)
    assert seen[-1]["fraction"] == pytest.approx(1 / 3, abs=1e-4)  # fit 1 done, early or not
    clock.now = 90.0
    reporter.update(phase="training", fit=3, fold=None, folds=None, force=True)
    reporter.update(epoch=10, epochs=10, fit=3)
    # The last epoch of the last fit: evaluating and publishing are still to come.
    assert seen[-1]["fraction"] == 0.99 and "eta_s" not in seen[-1]
    reporter.update(phase="evaluating", force=True)
    assert seen[-1]["fraction"] == 0.99


def test_a_tuning_job_is_as_far_as_its_trials_or_its_time_budget_whichever_is_further() -> None:
    clock, seen = Clock(), []
    reporter = Reporter(listeners=(seen.append,), clock=clock)
    reporter.update(phase="tuning", trial=1, trials=4, budget_s=100.0, force=True)
    clock.now = 10.0
    reporter.update(epoch=5, epochs=10)  # half a trial of four: 1/8 of the trials
    assert seen[-1]["fraction"] == 0.125
    assert seen[-1]["eta_s"] == 70  # 10 s per eighth, 7 eighths left
    clock.now = 60.0
    reporter.update(phase="tuning", trial=2, trials=4, force=True)  # a quarter of the trials
    assert seen[-1]["fraction"] == 0.6  # 60 of the 100 s budget spent
    assert seen[-1]["eta_s"] == 40  # never more than the budget left


def test_a_job_that_cannot_say_how_far_it_is_reports_no_fraction() -> None:
    seen: list[dict[str, Any]] = []
    reporter = Reporter(listeners=(seen.append,))
    reporter.update(phase="checking data", force=True)
    reporter.update(epoch=3, epochs=10)
    assert "fraction" not in seen[-1] and "eta_s" not in seen[-1]
