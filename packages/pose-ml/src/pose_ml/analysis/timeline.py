"""Class timeline: a session's per-frame predictions as segments of one label each.

A label change starts a new segment only once the new label has held for min_frames frames
in a row, so a flickering classifier gives a readable timeline (and a bounded one however
long the session); the frames of a flicker stay in the segment they interrupted.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class Segment:
    """One label from start_t to end_t (seconds, the frames' clock)."""

    label: str
    start_t: float
    end_t: float
    frames: int = 0
    probability_sum: float = 0.0

    @property
    def mean_probability(self) -> float:
        return self.probability_sum / self.frames if self.frames else 0.0

    def to_dict(self, origin: float = 0.0) -> dict[str, Any]:
        return {
            "label": self.label,
            "start_s": self.start_t - origin,
            "end_s": self.end_t - origin,
            "frames": self.frames,
            "mean_probability": self.mean_probability,
        }


@dataclass
class TimelineBuilder:
    """Feed (t, label, probability) in time order; segments() gives the timeline."""

    min_frames: int = 3
    _segments: list[Segment] = field(default_factory=list)
    _pending: list[tuple[float, str, float]] = field(default_factory=list)
    predictions: int = 0

    def add(self, t: float, label: str, probability: float) -> None:
        self.predictions += 1
        current = self._segments[-1] if self._segments else None
        if current is None or label == current.label:
            self._flush_pending_into(current)
            self._extend(t, label, probability)
            return
        if self._pending and self._pending[-1][1] != label:
            self._flush_pending_into(current)
        self._pending.append((t, label, probability))
        if len(self._pending) >= self.min_frames:
            first_t = self._pending[0][0]
            self._segments.append(Segment(label, first_t, first_t))
            pending, self._pending = self._pending, []
            for item in pending:
                self._extend(*item)

    def _extend(self, t: float, label: str, probability: float) -> None:
        if not self._segments or self._segments[-1].label != label:
            self._segments.append(Segment(label, t, t))
        segment = self._segments[-1]
        segment.end_t = t
        segment.frames += 1
        segment.probability_sum += probability

    def _flush_pending_into(self, segment: Segment | None) -> None:
        """A flicker too short to be a segment joins the one it interrupted."""
        for t, _label, probability in self._pending:
            assert segment is not None
            segment.end_t = t
            segment.frames += 1
            segment.probability_sum += probability
        self._pending = []

    def segments(self) -> list[Segment]:
        """The timeline so far, each segment ending where the next starts (no gaps)."""
        segments = [Segment(**asdict(s)) for s in self._segments]
        for segment, following in itertools.pairwise(segments):
            segment.end_t = following.start_t
        if segments:  # a trailing flicker too short to be a segment joins the last one
            for t, _label, probability in self._pending:
                segments[-1].end_t = t
                segments[-1].frames += 1
                segments[-1].probability_sum += probability
        return segments

    def seconds_per_label(self) -> dict[str, float]:
        """Total time per label over the timeline's segments."""
        totals: dict[str, float] = {}
        for segment in self.segments():
            totals[segment.label] = totals.get(segment.label, 0.0) + segment.end_t - segment.start_t
        return totals
