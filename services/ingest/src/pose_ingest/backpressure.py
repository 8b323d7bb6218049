"""Refuse new batches while a consumer group on the frames stream is too far behind.

The stream is never trimmed (trimming would drop entries nobody has read yet), so this is
what keeps Redis from growing without bound: a background task samples XINFO GROUPS and
the hot path reads one boolean.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from pose_ingest import metrics

log = logging.getLogger(__name__)


def group_backlog(group: Mapping[str, Any]) -> int:
    """Entries a group still has to finish: pending (read, not acked) + lag (not yet read).

    Redis reports no lag after deletions inside the unread range; pending alone is then the
    best lower bound there is (counting the unread range would mean reading it).
    """
    lag = group.get("lag")
    return int(group.get("pending") or 0) + (int(lag) if lag is not None else 0)


def worst_backlog(groups: Sequence[Mapping[str, Any]]) -> int:
    """The largest backlog of any group (0 when the stream has no groups yet)."""
    return max((group_backlog(g) for g in groups), default=0)


class BackpressureMonitor:
    """Samples the frames stream's groups every interval; `refusing` is the verdict."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        stream: str,
        max_lag_entries: int,
        interval_s: float,
        retry_after_ms: int,
    ) -> None:
        self._client = client
        self._stream = stream
        self.max_lag_entries = max_lag_entries
        self.interval_s = interval_s
        self.retry_after_ms = retry_after_ms
        self.refusing = False
        self.backlog = 0

    @property
    def retry_after_s(self) -> int:
        """Retry-After is whole seconds; never 0, which would invite an instant retry."""
        return max(1, math.ceil(self.retry_after_ms / 1000))

    async def sample_once(self) -> int:
        """Read the groups' state now and update the verdict; returns the worst backlog."""
        try:
            groups = await self._client.xinfo_groups(self._stream)
        except ResponseError as exc:
            if "no such key" not in str(exc).lower():
                raise
            groups = []  # no stream yet, so no group can be behind
        self.backlog = worst_backlog([_text_keys(g) for g in groups])
        self.refusing = self.backlog > self.max_lag_entries
        metrics.STREAM_BACKLOG.set(self.backlog)
        return self.backlog

    async def run(self, stop: asyncio.Event) -> None:
        """Sample until stop is set; a Redis hiccup keeps the last verdict and is retried.

        A stop event rather than cancellation alone: redis-py can swallow a cancellation
        that lands mid-command (redis/redis-py#2028), which would leave this loop running.
        """
        while not stop.is_set():
            try:
                await self.sample_once()
            except RedisError as exc:
                log.warning("backpressure sample failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval_s)


def _text_keys(group: Mapping[Any, Any]) -> dict[str, Any]:
    return {k.decode() if isinstance(k, bytes) else str(k): v for k, v in group.items()}
