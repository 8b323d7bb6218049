"""Declarative exercise definitions (exercises.yaml beside this module, plus any extra file).

Each exercise names one signal, two thresholds (rest and depth: their gap is the hysteresis),
a minimum repetition duration and optional guards; reps.RepCounter does the counting.
Loading checks everything and says what is wrong, so a bad config fails at start-up.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import yaml

from pose_ml.analysis.signals import SignalSpec, compute_signal, parse_signal

DEFAULT_EXERCISES_FILE: Final[Path] = Path(__file__).with_name("exercises.yaml")
DEFAULT_MAX_GAP_S: Final[float] = 1.0
_KEYS: Final[frozenset[str]] = frozenset(
    {"title", "signal", "rest", "depth", "min_duration_s", "max_gap_s", "when"}
)


@dataclass(frozen=True, slots=True)
class Guard:
    """During a repetition this signal must stay within [minimum, maximum] where it is known."""

    signal: SignalSpec
    minimum: float = -math.inf
    maximum: float = math.inf

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"signal": self.signal.to_dict()}
        if math.isfinite(self.minimum):
            out["min"] = self.minimum
        if math.isfinite(self.maximum):
            out["max"] = self.maximum
        return out


@dataclass(frozen=True, slots=True)
class Exercise:
    """One countable exercise."""

    name: str
    title: str
    signal: SignalSpec
    rest: float
    depth: float
    min_duration_s: float
    max_gap_s: float = DEFAULT_MAX_GAP_S
    guards: tuple[Guard, ...] = ()

    @property
    def falling(self) -> bool:
        """True when the signal goes down during a repetition (rest above depth)."""
        return self.rest > self.depth

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "signal": self.signal.to_dict(),
            "unit": self.signal.unit,
            "rest": self.rest,
            "depth": self.depth,
            "min_duration_s": self.min_duration_s,
            "max_gap_s": self.max_gap_s,
            "when": [guard.to_dict() for guard in self.guards],
        }


def _number(raw: Mapping[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where}: {key} must be a finite number, got {value!r}")
    return float(value)


def _parse_guard(raw: Any, where: str) -> Guard:
    if not isinstance(raw, dict) or "signal" not in raw or set(raw) - {"signal", "min", "max"}:
        raise ValueError(f"{where}: a guard is {{signal: ..., min: x, max: y}}, got {raw!r}")
    low = _number(raw, "min", where, -math.inf) if "min" in raw else -math.inf
    high = _number(raw, "max", where, math.inf) if "max" in raw else math.inf
    return Guard(parse_signal(raw["signal"]), low, high)


def parse_exercise(name: str, raw: Any) -> Exercise:
    """An Exercise from its config mapping; ValueError naming the exercise and the problem."""
    where = f"exercise {name!r}"
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a mapping, got {raw!r}")
    if unknown := set(raw) - _KEYS:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(_KEYS)})")
    try:
        signal = parse_signal(raw.get("signal"))
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    rest, depth = _number(raw, "rest", where), _number(raw, "depth", where)
    if rest == depth:
        raise ValueError(f"{where}: rest and depth must differ (their gap is the hysteresis)")
    min_duration = _number(raw, "min_duration_s", where, 0.0)
    max_gap = _number(raw, "max_gap_s", where, DEFAULT_MAX_GAP_S)
    if min_duration < 0 or max_gap <= 0:
        raise ValueError(f"{where}: min_duration_s must be >= 0 and max_gap_s > 0")
    guards = raw.get("when") or []
    if not isinstance(guards, list):
        raise ValueError(f"{where}: when must be a list of guards")
    try:
        parsed_guards = tuple(_parse_guard(g, where) for g in guards)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    title = str(raw.get("title") or name.replace("_", " ").capitalize())
    return Exercise(name, title, signal, rest, depth, min_duration, max_gap, parsed_guards)


def parse_exercises(document: Any) -> dict[str, Exercise]:
    """{name: Exercise} from a whole config document ({version: 1, exercises: {...}})."""
    if not isinstance(document, dict) or document.get("version") != 1:
        raise ValueError("an exercises file needs 'version: 1' and an 'exercises' mapping")
    entries = document.get("exercises")
    if not isinstance(entries, dict) or not entries:
        raise ValueError("'exercises' must be a non-empty mapping of name -> definition")
    return {str(name): parse_exercise(str(name), raw) for name, raw in entries.items()}


def load_exercises(*, extra_files: Iterable[Path] = ()) -> dict[str, Exercise]:
    """The shipped definitions, then each extra file's (a same-named one replaces the shipped)."""
    exercises: dict[str, Exercise] = {}
    for path in (DEFAULT_EXERCISES_FILE, *extra_files):
        try:
            document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
            exercises.update(parse_exercises(document))
        except (OSError, yaml.YAMLError, ValueError) as exc:
            raise ValueError(f"{path}: {exc}") from exc
    return exercises


def exercise_signal(
    exercise: Exercise, *, angles: np.ndarray, keypoints: np.ndarray, min_score: float
) -> tuple[np.ndarray, np.ndarray]:
    """(N,) the exercise's signal (NaN where unknown) and (N,) False where a guard objects."""
    values = compute_signal(
        exercise.signal, angles=angles, keypoints=keypoints, min_score=min_score
    )
    guarded = np.ones(values.shape, dtype=bool)
    for guard in exercise.guards:
        check = compute_signal(
            guard.signal, angles=angles, keypoints=keypoints, min_score=min_score
        )
        with np.errstate(invalid="ignore"):
            guarded &= ~((check < guard.minimum) | (check > guard.maximum))  # NaN never objects
    return values, guarded


@functools.cache
def default_exercises() -> dict[str, Exercise]:
    """The shipped definitions, parsed once per process (treat the result as read-only)."""
    return load_exercises()
