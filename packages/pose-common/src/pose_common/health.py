"""Liveness for workers without an HTTP port: a heartbeat key and file touched from the loop."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import redis


class Heartbeat:
    """Writes the worker's status at most every `every_s` seconds; readers check its age."""

    def __init__(
        self,
        client: redis.Redis,
        key: str,
        *,
        file: Path | None = None,
        every_s: float = 2.0,
        ttl_s: int = 30,
    ) -> None:
        self.client = client
        self.key = key
        self.file = file
        self.every_s = every_s
        self.ttl_s = ttl_s
        self._last = 0.0

    def beat(self, status: dict[str, Any], *, force: bool = False) -> None:
        now = time.time()
        if not force and now - self._last < self.every_s:
            return
        self._last = now
        payload = json.dumps({"at": now, **status})
        self.client.set(self.key, payload, ex=self.ttl_s)
        if self.file is not None:
            write_atomically(self.file, payload)


def write_atomically(path: Path, text: str) -> None:
    """Replace path's content in one step, so a reader never sees it half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(text)
    os.replace(temp, path)


def file_is_fresh(path: Path, *, max_age_s: float) -> bool:
    """For container healthchecks: the heartbeat file exists and is recent."""
    try:
        return time.time() - path.stat().st_mtime <= max_age_s
    except FileNotFoundError:
        return False
