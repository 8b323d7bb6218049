"""Moving a model alias (promote, roll back) on shared storage, without TensorFlow.

An alias is a text file holding a version number ({root}/{name}/aliases/{alias}, see
pose_common.model_catalog). It changes by writing a temp file and os.replace, so a reader
sees the old version or the new one, never half a file; then an event on the models stream
tells every inference worker to reload. Kept apart from pose_ml.model_store (which needs
TensorFlow to publish and load versions) so `posestream rollback` in an incident does not
wait seconds for TensorFlow to import.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from typing import Literal

import redis as redis_lib

from pose_common import model_catalog as catalog
from pose_common.streams import MODELS

__all__ = ["announce", "fsync_dir", "point_alias", "set_alias"]

log = logging.getLogger(__name__)


def fsync_dir(path: Path) -> None:
    """Make a rename or replace inside `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def point_alias(*, root: Path, name: str, alias: str, version: int) -> None:
    """Atomically make `alias` hold `version` (temp file + os.replace)."""
    if not catalog.NAME_PATTERN.match(alias):
        raise ValueError(f"invalid alias {alias!r}")
    target = catalog.alias_file(root, name, alias)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{alias}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(f"{version}\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    fsync_dir(target.parent)


def announce(
    client: redis_lib.Redis | None,
    stream: str | None,
    *,
    name: str,
    version: int,
    alias: str | None,
    event: str,
) -> None:
    """One models-stream event (published, promoted, rolled_back); nothing without a client."""
    if client is None:
        return
    fields = {"name": name, "version": str(version), "alias": alias or "", "event": event}
    client.xadd(stream or MODELS, fields)  # type: ignore[arg-type]


def set_alias(
    *,
    root: Path,
    name: str,
    version: int,
    alias: str = catalog.PRODUCTION,
    redis: redis_lib.Redis | None = None,
    models_stream: str | None = None,
    event: Literal["promoted", "rolled_back"] | None = None,
) -> int | None:
    """Promote or roll back: point `alias` at an existing version; return the previous one.

    The models-stream event is `event`, or without one "rolled_back" when the alias moves to
    an older version and "promoted" otherwise.
    """
    root = Path(root)
    if not (catalog.version_dir(root, name, version) / catalog.MANIFEST_FILE).is_file():
        raise ValueError(f"model {name!r} has no published version {version}")
    previous = catalog.resolve_alias(root, name, alias)
    point_alias(root=root, name=name, alias=alias, version=version)
    if event is None:
        event = "rolled_back" if previous is not None and version < previous else "promoted"
    log.info("model %s alias %s: %s -> %d (%s)", name, alias, previous, version, event)
    announce(redis, models_stream, name=name, version=version, alias=alias, event=event)
    return previous
