"""How the CLI shows a job's progress: a tqdm bar on a terminal, one line per step in a log.

A job's progress (pose_trainer.progress) is a dict: phase, fold/folds, member/members,
trial/trials, epoch/epochs and the last epoch's metrics. On a terminal it drives a tqdm bar;
when stderr is a file or a pipe (`posestream train yoga 2> train.log`, CI, nohup) a bar would
be one endless line of carriage returns, so each new phase or epoch is printed as a line of
its own instead.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol, TextIO

# The epoch metrics shown; held_out_accuracy is the served model on the evaluation split,
# for watching only (pose_trainer.held_out_curve).
SHOWN_METRICS = ("loss", "accuracy", "val_accuracy", "held_out_accuracy")


class ProgressDisplay(Protocol):
    def show(self, progress: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


def where(progress: dict[str, Any]) -> str:
    """'training, fold 2/5, member 1/3': the phase and the position within it."""
    parts = [str(progress.get("phase") or "queued")]
    for key, total in (("fold", "folds"), ("member", "members"), ("trial", "trials")):
        if progress.get(key):
            parts.append(f"{key} {progress[key]}/{progress.get(total) or '?'}")
    return ", ".join(parts)


def shown_metrics(progress: dict[str, Any]) -> dict[str, Any]:
    metrics = progress.get("metrics") or {}
    return {key: metrics[key] for key in SHOWN_METRICS if key in metrics}


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class BarDisplay:
    """A tqdm bar of the current run of epochs, with where the job is and its metrics."""

    def __init__(self, file: TextIO, **tqdm_options: Any) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=0, unit="epoch", dynamic_ncols=True, file=file, **tqdm_options)
        self._run: str | None = None

    def show(self, progress: dict[str, Any]) -> None:
        bar = self.bar
        run, epochs = where(progress), progress.get("epochs") or 0
        epoch = int(progress.get("epoch") or 0)
        # A new phase, fold, member or trial (or a job started over) counts from zero.
        if run != self._run or epochs != bar.total or epoch < bar.n:
            bar.reset(total=epochs)
            self._run = run
        bar.set_description(run, refresh=False)
        bar.update(epoch - bar.n)  # update(), not n =: tqdm's rate counts real epochs
        bar.set_postfix(shown_metrics(progress), refresh=False)
        bar.refresh()

    def close(self) -> None:
        self.bar.close()


class LineDisplay:
    """One line per new phase, fold, member, trial or epoch, for logs and pipes."""

    def __init__(self, file: TextIO) -> None:
        self.file = file
        self._where: str | None = None
        self._step: tuple[Any, ...] | None = None

    def show(self, progress: dict[str, Any]) -> None:
        epoch, epochs = int(progress.get("epoch") or 0), progress.get("epochs")
        metrics = shown_metrics(progress)
        step = (epoch, epochs, tuple(metrics.items())) if epoch else None
        position = where(progress)
        if position == self._where and step == self._step:
            return
        line = position
        # A phase after a fit (deciding promotion, ...) still carries its last epoch: that
        # line was printed already.
        if step is not None and step != self._step:
            line += f": epoch {epoch}/{epochs or '?'}"
            if metrics:
                line += " " + " ".join(f"{k}={_number(v)}" for k, v in metrics.items())
        self._where, self._step = position, step
        print(line, file=self.file, flush=True)

    def close(self) -> None:
        self.file.flush()


def progress_display(file: TextIO | None = None) -> ProgressDisplay:
    """A bar when `file` (stderr by default) is a terminal, lines otherwise."""
    file = file or sys.stderr
    return BarDisplay(file) if file.isatty() else LineDisplay(file)
