"""The production version of every model a worker serves, swapped without a restart.

Models are loaded lazily, the first time a frame for that name arrives. reload() re-reads
the "production" alias of every known name (a cheap file read) every `reload_every_s`
seconds and at once for names announced on the models stream. A new version is loaded
BEFORE it replaces the old one: a version that fails to load is logged and counted, and the
old one keeps serving. The version replaced stays loaded, so a roll back is instant.

Frames of a name with no production version are not lost and not stuck: the handler
acknowledges them without a prediction and counts them in
pose_inference_frames_unclassified_total{model}; the heartbeat says "no model" for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import redis

from pose_common import model_catalog as catalog
from pose_inference import metrics
from pose_ml.model_store import LoadedModel, load_model

log = logging.getLogger(__name__)

Loader = Callable[..., LoadedModel]


class ModelRegistry:
    """Loaded production versions per model name (plus the one before, for roll back)."""

    def __init__(
        self,
        *,
        root: Path,
        reload_every_s: float = 2.0,
        loader: Loader = load_model,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = Path(root)
        self.reload_every_s = reload_every_s
        self._loader = loader
        self._clock = clock
        self._current: dict[str, LoadedModel] = {}
        self._previous: dict[str, LoadedModel] = {}
        self._missing: set[str] = set()
        self._failed: dict[str, int] = {}  # name -> version that would not load
        self._last_reload = clock()

    def get(self, name: str) -> LoadedModel | None:
        """The model serving `name` now, loading it on first use; None when none is published."""
        model = self._current.get(name)
        if model is None and name not in self._missing:
            self._refresh(name, force=False)
            model = self._current.get(name)
        return model

    def known(self) -> set[str]:
        return set(self._current) | self._missing

    def reload(self, *, announced: Iterable[str] = ()) -> None:
        """Follow alias changes: announced names now, every known name when the period is due."""
        announced_names = set(announced)
        names = announced_names & self.known()
        if self._clock() - self._last_reload >= self.reload_every_s:
            self._last_reload = self._clock()
            names |= self.known()
        for name in sorted(names):
            self._refresh(name, force=name in announced_names)

    def status(self) -> dict[str, Any]:
        """For the heartbeat: versions served and names that have no model."""
        no_model = sorted(self._missing)
        return {
            "status": "no model" if no_model or not self._current else "ok",
            "models": {name: model.version for name, model in sorted(self._current.items())},
            "no_model": no_model,
        }

    def _production_version(self, name: str) -> int | None:
        try:
            return catalog.resolve_alias(self.root, name, catalog.PRODUCTION)
        except ValueError:  # not a valid model name: it can never have a model
            return None

    def _refresh(self, name: str, *, force: bool) -> None:
        """Serve what the production alias of `name` points at, if it can be loaded."""
        version = self._production_version(name)
        current = self._current.get(name)
        if version is None:
            if current is None:
                self._mark_missing(name)
            return  # alias removed: keep serving what we have rather than drop frames
        if current is not None and current.version == version:
            return
        if not force and self._failed.get(name) == version:
            return  # already failed; retried when the model is announced again
        previous = self._previous.get(name)
        loaded = previous if previous is not None and previous.version == version else None
        loaded = loaded or self._load(name, version)
        if loaded is None:
            return
        if current is not None:
            self._previous[name] = current
        self._current[name] = loaded
        self._missing.discard(name)
        self._failed.pop(name, None)
        metrics.MODEL_VERSION.labels(name).set(version)
        log.info(
            "model %s: serving version %d (was %s)", name, version, current and current.version
        )

    def _load(self, name: str, version: int) -> LoadedModel | None:
        try:
            return self._loader(root=self.root, name=name, version=version)
        except Exception as exc:
            metrics.MODEL_LOAD_ERRORS.labels(name).inc()
            self._failed[name] = version
            log.error(
                "model %s version %d failed to load, keeping the old one: %s", name, version, exc
            )
            if name not in self._current:
                self._mark_missing(name)
            return None

    def _mark_missing(self, name: str) -> None:
        if name not in self._missing:
            self._missing.add(name)
            metrics.MODEL_VERSION.labels(name).set(0)
            log.warning("model %s has no production version: its frames go unclassified", name)


class ModelEvents:
    """Reads the models stream without blocking, from where it stood when the worker started."""

    def __init__(self, client: redis.Redis, stream: str) -> None:
        self.client = client
        self.stream = stream
        self._cursor: str | None = None

    def start(self) -> None:
        """Skip the events already there: aliases are read when a model is first loaded."""
        last = self.client.xrevrange(self.stream, count=1)
        self._cursor = _text(last[0][0]) if last else "0-0"

    def read(self) -> set[str]:
        """Names of the models published, promoted or rolled back since the last read."""
        if self._cursor is None:
            self.start()
            return set()
        response = self.client.xread({self.stream: self._cursor}, count=100)
        names: set[str] = set()
        for _stream, messages in response or []:
            for raw_id, fields in messages:
                self._cursor = _text(raw_id)
                name = fields.get(b"name")
                if name:
                    names.add(_text(name))
        return names


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
