"""Fan predictions out to the WebSockets of their session.

One task per process reads the predictions stream with plain XREAD (no group: every ingest
replica must see every prediction, since any of them may hold the session's socket).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from pose_common.codec import PredictionsEntry, decode_predictions
from pose_ingest import metrics
from pose_ingest.outbox import Outbox

log = logging.getLogger(__name__)


def prediction_messages(entry: PredictionsEntry) -> list[str]:
    """One {"type": "prediction", ...Prediction fields...} text message per prediction."""
    return [
        orjson.dumps(
            {"type": "prediction", **item, "model": entry.model, "version": entry.version}
        ).decode()
        for item in entry.predictions
    ]


class PredictionHub:
    """Which outboxes (connected sockets) want the predictions of which session."""

    def __init__(self) -> None:
        self._outboxes: dict[str, set[Outbox]] = {}

    def subscribe(self, session_id: str, outbox: Outbox) -> None:
        self._outboxes.setdefault(session_id, set()).add(outbox)

    def unsubscribe(self, session_id: str, outbox: Outbox) -> None:
        outboxes = self._outboxes.get(session_id)
        if outboxes is not None:
            outboxes.discard(outbox)
            if not outboxes:
                del self._outboxes[session_id]

    def wants(self, session_id: str) -> bool:
        return session_id in self._outboxes

    def dispatch(self, session_id: str, messages: list[str]) -> None:
        """Queue messages for every socket of the session (dropping the oldest when full)."""
        for outbox in self._outboxes.get(session_id, ()):
            for message in messages:
                if outbox.offer_prediction(message):
                    metrics.PREDICTIONS_RELAYED.inc()
                else:
                    metrics.PREDICTIONS_DROPPED.inc()


class PredictionRelay:
    """Reads new predictions entries and hands them to the hub."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        stream: str,
        hub: PredictionHub,
        block_ms: int = 1000,
        count: int = 256,
    ) -> None:
        self._client = client
        self._stream = stream
        self._hub = hub
        self._block_ms = block_ms  # must stay below the client's socket timeout
        self._count = count
        self.last_id: str | None = None

    async def prime(self) -> None:
        """Start after the newest entry now on the stream (XREAD's "$", but without the gap
        that re-sending "$" on every call would leave between calls)."""
        newest = await self._client.xrevrange(self._stream, count=1)
        self.last_id = _text(newest[0][0]) if newest else "0-0"

    async def read_once(self) -> int:
        """Wait up to block_ms for entries and deliver them; returns how many were read."""
        if self.last_id is None:
            await self.prime()
        assert self.last_id is not None
        response = await self._client.xread(
            {self._stream: self.last_id}, count=self._count, block=self._block_ms
        )
        read = 0
        for _stream, entries in response or ():
            for entry_id, fields in entries:
                self.last_id = _text(entry_id)
                self.deliver(fields)
                read += 1
        return read

    def deliver(self, fields: Mapping[bytes, bytes]) -> None:
        """Decode an entry only when a socket of its session is connected here."""
        session = fields.get(b"s")
        if session is None or not self._hub.wants(session.decode(errors="replace")):
            return
        try:
            entry = decode_predictions(dict(fields))
        except ValueError as exc:
            log.warning("skipping malformed predictions entry: %s", exc)
            return
        self._hub.dispatch(entry.session, prediction_messages(entry))

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until stop is set (checked at least every block_ms); Redis errors are retried.

        A stop event rather than cancellation alone: redis-py can swallow a cancellation
        that lands mid-command (redis/redis-py#2028).
        """
        while not stop.is_set():
            try:
                await self.read_once()
            except RedisError as exc:
                log.warning("prediction relay: %s; retrying", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
