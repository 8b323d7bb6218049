"""The CLI's display of a job's progress: a tqdm bar on a terminal, lines in a log."""

from __future__ import annotations

import io

from pose_trainer.progress_display import BarDisplay, LineDisplay, progress_display

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


def test_the_bar_shows_where_the_job_is_and_its_epoch_metrics() -> None:
    out = Terminal()
    display = BarDisplay(out, ncols=200)
    display.show(PROGRESS)
    line = out.getvalue().rsplit("\r", 1)[-1]
    assert display.bar.total == 25 and display.bar.n == 7
    assert "training, fold 2/5" in line and "7/25" in line
    assert "held_out_accuracy=0.84" in line and "loss=0.41" in line
    assert "held_out_loss" not in line
    # A new phase starts its own count of epochs.
    display.show({"phase": "deciding promotion"})
    assert display.bar.n == 0 and "deciding promotion" in out.getvalue().rsplit("\r", 1)[-1]
    display.close()


def test_a_log_gets_one_line_per_new_epoch_or_phase_and_no_carriage_returns() -> None:
    out = io.StringIO()
    display = LineDisplay(out)
    display.show({"phase": "queued"})
    display.show({"phase": "cross-validation", "fold": 1, "folds": 5})
    for epoch in (1, 1, 2):  # the same epoch polled twice is printed once
        display.show({**PROGRESS, "epoch": epoch, "epochs": 2})
    # The phase after the fit still carries its last epoch: not printed again.
    display.show({**PROGRESS, "epoch": 2, "epochs": 2, "phase": "deciding promotion"})
    display.close()
    assert "\r" not in out.getvalue()
    assert out.getvalue().splitlines() == [
        "queued",
        "cross-validation, fold 1/5",
        "training, fold 2/5: epoch 1/2 loss=0.41 accuracy=0.9 held_out_accuracy=0.84",
        "training, fold 2/5: epoch 2/2 loss=0.41 accuracy=0.9 held_out_accuracy=0.84",
        "deciding promotion, fold 2/5",
    ]


def test_the_display_is_a_bar_only_on_a_terminal() -> None:
    assert isinstance(progress_display(io.StringIO()), LineDisplay)
    bar = progress_display(Terminal())
    assert isinstance(bar, BarDisplay)
    bar.close()
