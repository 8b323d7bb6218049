"""Session analysis: one pass over a recording, chunk by chunk, with memory that stays flat.

Feed frames (and predictions) in time order; every statistic is a running one (counts, sums,
minima, maxima), reps are recorded as they complete, and the series kept for plots and
comparison is decimated to a fixed number of points.  So an hour at 30 fps costs what a minute
does, apart from time.  Steps per chunk of frames:

1. smooth the keypoints with the One Euro filter (its state carries over between chunks);
2. joint angles of the smoothed keypoints;
3. per exercise, its signal and guards, fed frame by frame to its RepCounter;
4. running angle ranges, mean keypoint confidence, and the decimated series.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pose_common.skeleton import NUM_KEYPOINTS
from pose_ml.analysis.angles import ANGLE_NAMES, compute_angles
from pose_ml.analysis.exercises import Exercise, exercise_signal
from pose_ml.analysis.one_euro import DEFAULT_MIN_SCORE, KeypointFilter, OneEuroParams
from pose_ml.analysis.reps import Rep, RepCounter
from pose_ml.analysis.series import DecimatedSeries
from pose_ml.analysis.timeline import Segment, TimelineBuilder


@dataclass(frozen=True, slots=True)
class AnalysisConfig:
    """How a session is analysed."""

    smoothing: OneEuroParams | None = field(default_factory=OneEuroParams)  # None: raw points
    min_score: float = DEFAULT_MIN_SCORE
    series_points: int = 4000
    timeline_min_frames: int = 3


@dataclass(frozen=True)
class SessionAnalysis:
    """What one pass over a session found (times in the frames' clock, seconds)."""

    frames: int
    start_t: float
    end_t: float
    mean_confidence: float | None
    angle_min: np.ndarray
    angle_max: np.ndarray
    angle_sum: np.ndarray
    angle_frames: np.ndarray
    exercises: dict[str, Exercise]
    reps: dict[str, list[Rep]]
    partial: dict[str, Rep | None]
    series_times: np.ndarray  # decimated (P,)
    series_angles: np.ndarray  # (P, len(ANGLE_NAMES))
    series_signals: np.ndarray  # (P, len(exercises)) in exercises order
    timeline: list[Segment]
    predictions: int
    config: AnalysisConfig

    @property
    def duration_s(self) -> float:
        return self.end_t - self.start_t if self.frames else 0.0

    def angle_ranges(self) -> dict[str, dict[str, float | int | None]]:
        out: dict[str, dict[str, float | int | None]] = {}
        for i, name in enumerate(ANGLE_NAMES):
            known = int(self.angle_frames[i])
            out[name] = {
                "min": float(self.angle_min[i]) if known else None,
                "max": float(self.angle_max[i]) if known else None,
                "mean": float(self.angle_sum[i] / known) if known else None,
                "frames": known,
            }
        return out

    def _rep_dict(self, rep: Rep) -> dict[str, Any]:
        return {
            "index": rep.index,
            "start_s": rep.start_t - self.start_t,
            "bottom_s": rep.bottom_t - self.start_t,
            "end_s": rep.end_t - self.start_t,
            "duration_s": rep.duration_s,
            "depth": rep.depth,
            "range": rep.range,
            "complete": rep.complete,
        }

    def exercise_summary(self, name: str) -> dict[str, Any]:
        exercise, reps, partial = self.exercises[name], self.reps[name], self.partial[name]
        return {
            "title": exercise.title,
            "unit": exercise.signal.unit,
            "count": len(reps),
            "reps": [self._rep_dict(rep) for rep in reps],
            "partial": None if partial is None else self._rep_dict(partial),
            "mean_range": float(np.mean([r.range for r in reps])) if reps else None,
            "mean_duration_s": float(np.mean([r.duration_s for r in reps])) if reps else None,
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready summary (times relative to the first frame)."""
        fps = (self.frames - 1) / self.duration_s if self.duration_s > 0 else None
        seconds: dict[str, float] = {}
        for segment in self.timeline:
            seconds[segment.label] = seconds.get(segment.label, 0.0) + (
                segment.end_t - segment.start_t
            )
        smoothing = self.config.smoothing
        return {
            "frames": self.frames,
            "duration_s": self.duration_s,
            "start_t": self.start_t if self.frames else None,
            "fps": fps,
            "mean_confidence": self.mean_confidence,
            "min_score": self.config.min_score,
            "smoothing": None if smoothing is None else smoothing.to_dict(),
            "angles": self.angle_ranges(),
            "exercises": {name: self.exercise_summary(name) for name in self.exercises},
            "timeline": {
                "predictions": self.predictions,
                "segments": [s.to_dict(self.start_t) for s in self.timeline],
                "seconds_per_label": seconds,
            },
        }


class SessionAnalyzer:
    """Accumulates a session chunk by chunk; result() gives the SessionAnalysis."""

    def __init__(
        self, exercises: Mapping[str, Exercise], config: AnalysisConfig | None = None
    ) -> None:
        self.config = config or AnalysisConfig()
        self.exercises = dict(exercises)
        self._filter = (
            None
            if self.config.smoothing is None
            else KeypointFilter(self.config.smoothing, min_score=self.config.min_score)
        )
        self._counters = {name: RepCounter(ex) for name, ex in self.exercises.items()}
        self._reps: dict[str, list[Rep]] = {name: [] for name in self.exercises}
        width = len(ANGLE_NAMES)
        self._min, self._max = np.full(width, np.inf), np.full(width, -np.inf)
        self._sum, self._known = np.zeros(width), np.zeros(width, dtype=np.int64)
        self._frames, self._score_sum = 0, 0.0
        self._start_t = self._end_t = 0.0
        self._series = DecimatedSeries(
            width + len(self.exercises), max_points=self.config.series_points
        )
        self._timeline = TimelineBuilder(min_frames=self.config.timeline_min_frames)

    def _smooth(self, times: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
        return keypoints if self._filter is None else self._filter.filter_chunk(times, keypoints)

    def _count(self, name: str, times: list[float], values: np.ndarray, ok: np.ndarray) -> None:
        counter, reps = self._counters[name], self._reps[name]
        for t, value, guarded in zip(times, values.tolist(), ok.tolist(), strict=True):
            rep = counter.update(t, value, guarded)
            if rep is not None:
                reps.append(rep)

    def _accumulate_angles(self, angles: np.ndarray) -> None:
        known = np.isfinite(angles)
        self._min = np.minimum(self._min, np.where(known, angles, np.inf).min(axis=0))
        self._max = np.maximum(self._max, np.where(known, angles, -np.inf).max(axis=0))
        self._sum += np.where(known, angles, 0.0).sum(axis=0)
        self._known += known.sum(axis=0)

    def add_frames(self, times: np.ndarray, keypoints: np.ndarray) -> None:
        """A chunk of frames in time order: (N,) seconds and (N, 17, 3) keypoints."""
        times = np.asarray(times, dtype=np.float64)
        keypoints = np.asarray(keypoints, dtype=np.float64)
        if len(times) == 0:
            return
        if self._frames == 0:
            self._start_t = float(times[0])
        self._end_t = float(times[-1])
        self._frames += len(times)
        self._score_sum += float(np.nansum(keypoints[:, :, 2]))
        smoothed = self._smooth(times, keypoints)
        angles = compute_angles(smoothed, min_score=self.config.min_score)
        self._accumulate_angles(angles)
        time_list = times.tolist()
        signals = np.empty((len(times), len(self.exercises)))
        for column, (name, exercise) in enumerate(self.exercises.items()):
            values, guarded = exercise_signal(
                exercise, angles=angles, keypoints=smoothed, min_score=self.config.min_score
            )
            signals[:, column] = values
            self._count(name, time_list, values, guarded)
        self._series.extend(times, np.hstack([angles, signals]))

    def add_prediction(self, t: float, label: str, probability: float) -> None:
        """One stored prediction, in time order."""
        self._timeline.add(t, label, probability)

    def result(self) -> SessionAnalysis:
        """What was found so far (the analyzer may go on being fed)."""
        width = len(ANGLE_NAMES)
        values = self._series.values
        return SessionAnalysis(
            frames=self._frames,
            start_t=self._start_t,
            end_t=self._end_t,
            mean_confidence=self._score_sum / (self._frames * NUM_KEYPOINTS)
            if self._frames
            else None,
            angle_min=self._min.copy(),
            angle_max=self._max.copy(),
            angle_sum=self._sum.copy(),
            angle_frames=self._known.copy(),
            exercises=dict(self.exercises),
            reps={name: list(reps) for name, reps in self._reps.items()},
            partial={name: counter.finish() for name, counter in self._counters.items()},
            series_times=self._series.times,
            series_angles=values[:, :width],
            series_signals=values[:, width:],
            timeline=self._timeline.segments(),
            predictions=self._timeline.predictions,
            config=self.config,
        )
