"""The CLI's display of a job's progress: a tqdm bar on a terminal, lines in a log."""

from __future__ import annotations

import io

from pose_trainer.progress_display import BarDisplay, LineDisplay, progress_display, time_left

PROGRESS = {
    "phase": "training",
    "fold": 2,
    "folds": 5,
    "epoch": 7,
    "epochs": 25,
    "metrics": {"loss": 0.41, "accuracy": 0.9, "held_out_accuracy": 0.84, "held_out_loss": 1.2},
}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_fills_with_the_whole_job_and_shows_where_it_is_and_the_time_left() -> None:
    out = Terminal()
    display = BarDisplay(out, ncols=200)
    display.show({**PROGRESS, "fraction": 0.42, "eta_s": 185})
    line = out.getvalue().rsplit("\r", 1)[-1]
    assert display.bar.n == 42.0
    assert "training, fold 2/5, epoch 7/25" in line and " 42%" in line
    assert "held_out_accuracy=0.84" in line and "loss=0.41" in line
    assert "held_out_loss" not in line
    assert "job 42%, about 3 min left" in line
    # A job that does not report its fraction fills the bar with the current fit's epochs.
    display.show(PROGRESS)
    assert display.bar.n == 28.0 and "left" not in out.getvalue().rsplit("\r", 1)[-1]
    display.show({"phase": "deciding promotion", "fraction": 0.99})
    assert display.bar.n == 99.0 and "deciding promotion" in out.getvalue().rsplit("\r", 1)[-1]
    display.close()


def test_time_left_reads_in_seconds_minutes_or_hours() -> None:
    assert time_left(40.4) == "about 40 s left"
    assert time_left(185) == "about 3 min left"
    assert time_left(3900) == "about 1 h 5 min left"
    assert time_left(-3) == "about 0 s left"


def test_a_log_gets_one_line_per_new_epoch_or_phase_and_no_carriage_returns() -> None:
    out = io.StringIO()
    display = LineDisplay(out)
    display.show({"phase": "queued"})
    display.show({"phase": "cross-validation", "fold": 1, "folds": 5})
    for epoch in (1, 1, 2):  # the same epoch polled twice is printed once
        display.show({**PROGRESS, "epoch": epoch, "epochs": 2, "fraction": epoch / 4})
    # The phase after the fit still carries its last epoch: not printed again.
    display.show({**PROGRESS, "epoch": 2, "epochs": 2, "phase": "deciding promotion"})
    display.close()
    assert "\r" not in out.getvalue()
    assert out.getvalue().splitlines() == [
        "queued",
        "cross-validation, fold 1/5",
        "training, fold 2/5: epoch 1/2 loss=0.41 accuracy=0.9 held_out_accuracy=0.84 (job 25%)",
        "training, fold 2/5: epoch 2/2 loss=0.41 accuracy=0.9 held_out_accuracy=0.84 (job 50%)",
        "deciding promotion, fold 2/5",
    ]


def test_the_display_is_a_bar_only_on_a_terminal() -> None:
    assert isinstance(progress_display(io.StringIO()), LineDisplay)
    bar = progress_display(Terminal())
    assert isinstance(bar, BarDisplay)
    bar.close()
