"""How the CLI shows a job's progress: a tqdm bar on a terminal, one line per step in a log.

A job's progress (pose_trainer.progress) is a dict: phase, fold/folds, member/members,
trial/trials, epoch/epochs, the last epoch's metrics, and how far the whole job is (fraction,
0..1) with the seconds it should still take (eta_s). On a terminal it drives a tqdm bar of the
whole job, its description saying where the job is and which epoch of the current fit; when
stderr is a file or a pipe (`posestream train yoga 2> train.log`, CI, nohup) a bar would
be one endless line of carriage returns, so each new phase or epoch is printed as a line of
its own instead, ending with the job's percentage and time left.
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


def time_left(seconds: float) -> str:
    """'about 40 s left', 'about 3 min left', 'about 1 h 5 min left'."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"about {seconds} s left"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min left"
    return f"about {minutes // 60} h {minutes % 60} min left"


def job_share(progress: dict[str, Any]) -> str:
    """'job 42%, about 3 min left' (or '' when the job does not say how far it is)."""
    fraction = progress.get("fraction")
    if fraction is None:
        return ""
    text = f"job {float(fraction):.0%}"
    if progress.get("eta_s") is not None:
        text += f", {time_left(float(progress['eta_s']))}"
    return text


def _epoch(progress: dict[str, Any]) -> str:
    epoch = int(progress.get("epoch") or 0)
    return f"epoch {epoch}/{progress.get('epochs') or '?'}" if epoch else ""


class BarDisplay:
    """A tqdm bar of the whole job: where it is, the current epoch, metrics and time left.

    The bar fills with the job's fraction (percent of the job); a job that does not report
    one (a worker older than the field) fills with the current fit's epochs instead.
    """

    BAR_FORMAT = "{desc} {percentage:3.0f}%|{bar}| {postfix}"

    def __init__(self, file: TextIO, **tqdm_options: Any) -> None:
        from tqdm import tqdm

        self.bar = tqdm(
            total=100, dynamic_ncols=True, file=file, bar_format=self.BAR_FORMAT, **tqdm_options
        )

    def show(self, progress: dict[str, Any]) -> None:
        bar = self.bar
        fraction = progress.get("fraction")
        if fraction is None:
            epochs = progress.get("epochs") or 0
            fraction = int(progress.get("epoch") or 0) / epochs if epochs else 0.0
        bar.n = round(100 * float(fraction), 1)
        bar.set_description(", ".join(filter(None, (where(progress), _epoch(progress)))), False)
        metrics = " ".join(f"{k}={_number(v)}" for k, v in shown_metrics(progress).items())
        bar.set_postfix_str(" · ".join(filter(None, (metrics, job_share(progress)))), False)
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
        share = job_share(progress)
        if share:
            line += f" ({share})"
        self._where, self._step = position, step
        print(line, file=self.file, flush=True)

    def close(self) -> None:
        self.file.flush()


def progress_display(file: TextIO | None = None) -> ProgressDisplay:
    """A bar when `file` (stderr by default) is a terminal, lines otherwise."""
    file = file or sys.stderr
    return BarDisplay(file) if file.isatty() else LineDisplay(file)
