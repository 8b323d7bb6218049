"""Report plots as PNG or SVG bytes: angles over time with rep boundaries, class timeline.

Figures are built with matplotlib's object API on the Agg canvas (no pyplot, no global
backend switch), so plotting is safe in a server's worker threads.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Final, Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from pose_ml.analysis.angles import ANGLE_INDEX
from pose_ml.analysis.report import SessionAnalysis

ImageFormat = Literal["png", "svg"]
DEFAULT_ANGLES: Final[tuple[str, ...]] = ("left_knee", "right_knee", "left_hip", "right_hip")
MAX_REP_SPANS: Final[int] = 400  # more spans than this are unreadable anyway
REP_COLOURS: Final[tuple[str, ...]] = ("tab:green", "tab:orange", "tab:purple", "tab:red")
_DPI: Final[int] = 100


def _encode(figure: Figure, fmt: ImageFormat) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=_DPI, bbox_inches="tight")
    return buffer.getvalue()


def plotted_angles(analysis: SessionAnalysis) -> list[str]:
    """The angles an exercise with reps counts on, else the legs'."""
    chosen: list[str] = []
    for name, exercise in analysis.exercises.items():
        if not analysis.reps[name] or exercise.signal.kind != "angle":
            continue
        joint = exercise.signal.names[0]
        for candidate in (joint, f"left_{joint}", f"right_{joint}"):
            if candidate in ANGLE_INDEX and candidate not in chosen:
                chosen.append(candidate)
    return chosen or list(DEFAULT_ANGLES)


def _shade_reps(axes: Axes, analysis: SessionAnalysis) -> None:
    """A numbered band per counted rep; a hatched one for a rep the recording cut off."""
    spans = 0
    for number, (exercise, reps) in enumerate(analysis.reps.items()):
        colour = REP_COLOURS[number % len(REP_COLOURS)]
        partial = analysis.partial[exercise]
        for rep in [*reps, *([partial] if partial else [])][: max(MAX_REP_SPANS - spans, 0)]:
            start, end = rep.start_t - analysis.start_t, rep.end_t - analysis.start_t
            style = (
                {"alpha": 0.15} if rep.complete else {"alpha": 0.3, "hatch": "//", "fill": False}
            )
            axes.axvspan(start, end, color=colour, linewidth=0, **style)
            axes.text((start + end) / 2, 182, str(rep.index), ha="center", fontsize=7)
            spans += 1
        if reps or partial:
            axes.plot([], [], color=colour, alpha=0.4, linewidth=6, label=f"{exercise} reps")


def angle_plot(
    analysis: SessionAnalysis,
    *,
    angles: Sequence[str] | None = None,
    fmt: ImageFormat = "png",
) -> bytes:
    """Angles (degrees) over session time, each counted rep shaded and numbered."""
    names = list(angles) if angles else plotted_angles(analysis)
    unknown = [name for name in names if name not in ANGLE_INDEX]
    if unknown:
        raise ValueError(f"unknown angles {unknown}; known: {sorted(ANGLE_INDEX)}")
    figure = Figure(figsize=(10, 4))
    axes = figure.add_subplot()
    times = analysis.series_times - analysis.start_t
    for name in names:
        axes.plot(times, analysis.series_angles[:, ANGLE_INDEX[name]], label=name, linewidth=1.2)
    _shade_reps(axes, analysis)
    axes.set(xlabel="time (s)", ylabel="angle (degrees)", ylim=(0, 190))
    axes.set_title(f"Joint angles over time ({analysis.frames} frames)")
    axes.grid(alpha=0.3)
    if names:
        axes.legend(loc="lower right", fontsize=8, ncols=2)
    return _encode(figure, fmt)


def timeline_plot(analysis: SessionAnalysis, *, fmt: ImageFormat = "png") -> bytes:
    """The predicted class over session time, one row per label."""
    figure = Figure(figsize=(10, 2.5))
    axes = figure.add_subplot()
    labels = sorted({segment.label for segment in analysis.timeline})
    row = {label: i for i, label in enumerate(labels)}
    palette = [f"C{i % 10}" for i in range(max(len(labels), 1))]
    for segment in analysis.timeline:
        start = segment.start_t - analysis.start_t
        width = max(segment.end_t - segment.start_t, 1e-3)
        axes.broken_barh(
            [(start, width)], (row[segment.label] - 0.4, 0.8), color=palette[row[segment.label]]
        )
    axes.set_yticks(np.arange(len(labels)), labels=labels)
    axes.set(xlabel="time (s)", xlim=(0, max(analysis.duration_s, 1e-3)))
    title = "Predicted class over time"
    axes.set_title(title if labels else f"{title}: no stored predictions")
    axes.grid(axis="x", alpha=0.3)
    return _encode(figure, fmt)
