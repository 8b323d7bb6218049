"""A Redis stream consumer that never loses an entry (DESIGN.md sections 2 and 7).

The loop, in order of preference for where work comes from:
1. on start, this consumer's own pending entries (left by an earlier run with the same name),
2. entries idle too long in other consumers' pending lists (XAUTOCLAIM, cursor kept),
3. new entries (XREADGROUP >).

The handler gets a batch of entries and returns a verdict for each one it could not take:
``Invalid(reason)`` entries go to the dead-letter stream and are acknowledged; when the
handler raises, the batch stays pending and is retried entry by entry so that one poison
entry cannot hold up the others; an entry delivered more than ``max_deliveries`` times is
dead-lettered with the last error.  Entries are acknowledged only after the handler returned,
that is, after its effect is committed.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import redis

from pose_common import metrics

log = logging.getLogger(__name__)

Fields = dict[bytes, bytes]


@dataclass(frozen=True, slots=True)
class Entry:
    """One stream entry handed to a handler."""

    id: str
    fields: Fields


@dataclass(frozen=True, slots=True)
class Invalid:
    """Verdict for an entry that can never succeed: dead-letter it with this reason."""

    reason: str


# Handler: entries in, {entry id: Invalid} out for the ones to dead-letter. Raising = transient.
Handler = Callable[[Sequence[Entry]], Mapping[str, Invalid]]


@dataclass(slots=True)
class ConsumerConfig:
    stream: str
    group: str
    consumer: str = field(default_factory=lambda: unique_consumer_name())
    batch_entries: int = 64
    block_ms: int = 500
    reclaim_idle_ms: int = 30_000
    reclaim_every_s: float = 5.0
    max_deliveries: int = 5
    dead_letter_stream: str | None = None
    service: str = "consumer"

    @property
    def dead_letter(self) -> str:
        return self.dead_letter_stream or self.stream + ":dead"


def unique_consumer_name() -> str:
    """host-pid-random: unique per live process, as Redis consumer names must be."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def ensure_group(client: redis.Redis, stream: str, group: str) -> None:
    """Create the consumer group (and the stream) if missing; reading from the start."""
    try:
        client.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _decode_id(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


class StreamConsumer:
    """Runs a handler over a consumer group until stop() is called."""

    def __init__(self, client: redis.Redis, config: ConsumerConfig, handler: Handler) -> None:
        self.client = client
        self.config = config
        self.handler = handler
        self._stop = threading.Event()
        self._reclaim_cursor = "0-0"
        self._last_reclaim = 0.0
        self._last_errors: dict[str, str] = {}
        self.processed = 0

    def stop(self) -> None:
        """Ask the loop to finish the batch in hand and return."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self, idle_hook: Callable[[], None] | None = None) -> None:
        """Consume until stopped; idle_hook runs between batches (heartbeats, reloads)."""
        ensure_group(self.client, self.config.stream, self.config.group)
        self._drain_own_pending()
        while not self._stop.is_set():
            if idle_hook is not None:
                idle_hook()
            self.poll_once()

    def poll_once(self) -> int:
        """One step of the loop: reclaim if due, else read new entries. Returns entries handled."""
        now = time.monotonic()
        if now - self._last_reclaim >= self.config.reclaim_every_s:
            self._last_reclaim = now
            claimed = self._reclaim()
            if claimed:
                return self._process(claimed)
        try:
            response = self.client.xreadgroup(
                self.config.group,
                self.config.consumer,
                {self.config.stream: ">"},
                count=self.config.batch_entries,
                block=self.config.block_ms,
            )
        except redis.ResponseError as exc:
            if "NOGROUP" in str(exc):
                log.warning("consumer group %s vanished; re-creating it", self.config.group)
                ensure_group(self.client, self.config.stream, self.config.group)
                return 0
            raise
        entries = self._entries(response)
        return self._process(entries) if entries else 0

    def _entries(self, response: list | None) -> list[Entry]:
        if not response:
            return []
        out: list[Entry] = []
        for _stream, messages in response:  # RESP2 shape: [[stream, [(id, fields), ...]]]
            for raw_id, fields in messages:
                if fields is None:  # deleted while pending (e.g. trimmed): nothing to do
                    self._ack([_decode_id(raw_id)])
                    continue
                out.append(Entry(_decode_id(raw_id), fields))
        return out

    def _drain_own_pending(self) -> None:
        """Re-handle what this consumer name read before but never acknowledged."""
        last = "0"
        while not self._stop.is_set():
            response = self.client.xreadgroup(
                self.config.group,
                self.config.consumer,
                {self.config.stream: last},
                count=self.config.batch_entries,
            )
            entries = self._entries(response)
            if not entries:
                return
            self._process(entries)
            last = entries[-1].id

    def _reclaim(self) -> list[Entry]:
        """XAUTOCLAIM entries idle too long; dead-letter those delivered too often."""
        result = self.client.xautoclaim(
            self.config.stream,
            self.config.group,
            self.config.consumer,
            min_idle_time=self.config.reclaim_idle_ms,
            start_id=self._reclaim_cursor,
            count=self.config.batch_entries,
        )
        next_cursor, messages = result[0], result[1]
        self._reclaim_cursor = _decode_id(next_cursor)
        for raw_id in result[2] if len(result) > 2 else []:  # deleted entries: clear them
            self._ack([_decode_id(raw_id)])
        entries = [Entry(_decode_id(i), f) for i, f in messages if f is not None]
        if not entries:
            return []
        metrics.RECLAIMED.labels(self.config.service, self.config.stream).inc(len(entries))
        counts = self._delivery_counts([e.id for e in entries])
        keep: list[Entry] = []
        for entry in entries:
            if counts.get(entry.id, 0) > self.config.max_deliveries:
                reason = self._last_errors.pop(entry.id, "delivered too many times")
                self._dead_letter(entry, f"gave up after {counts[entry.id]} deliveries: {reason}")
            else:
                keep.append(entry)
        return keep

    def _delivery_counts(self, ids: list[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry_id in ids:
            rows = self.client.xpending_range(
                self.config.stream, self.config.group, min=entry_id, max=entry_id, count=1
            )
            if rows:
                counts[entry_id] = int(rows[0]["times_delivered"])
        return counts

    def _process(self, entries: list[Entry]) -> int:
        try:
            verdicts = self.handler(entries)
        except Exception as exc:  # transient: isolate the failing entry by going one by one
            log.warning("batch of %d failed (%s); retrying entry by entry", len(entries), exc)
            metrics.HANDLER_ERRORS.labels(self.config.service, self.config.stream).inc()
            return self._process_one_by_one(entries)
        self._settle(entries, verdicts)
        return len(entries)

    def _process_one_by_one(self, entries: list[Entry]) -> int:
        done = 0
        for entry in entries:
            try:
                verdicts = self.handler([entry])
            except Exception as exc:
                # Left pending: reclaimed after reclaim_idle_ms, dead-lettered past the cap.
                self._last_errors[entry.id] = f"{type(exc).__name__}: {exc}"[:500]
                log.exception("entry %s failed; it stays pending for a retry", entry.id)
                continue
            self._settle([entry], verdicts)
            done += 1
        return done

    def _settle(self, entries: Sequence[Entry], verdicts: Mapping[str, Invalid]) -> None:
        for entry in entries:
            verdict = verdicts.get(entry.id)
            if verdict is not None:
                self._dead_letter(entry, verdict.reason)
        self._ack([e.id for e in entries])
        self.processed += len(entries)
        for entry in entries:
            self._last_errors.pop(entry.id, None)

    def _dead_letter(self, entry: Entry, reason: str) -> None:
        """Park an entry with its reason, then acknowledge it (atomically)."""
        fields: dict[bytes | str, bytes | str] = {
            "stream": self.config.stream,
            "id": entry.id,
            "group": self.config.group,
            "reason": reason[:2000],
        }
        for key, value in entry.fields.items():
            name = key.decode() if isinstance(key, bytes) else key
            fields["orig_" + name] = value
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(self.config.dead_letter, fields)
        pipe.xack(self.config.stream, self.config.group, entry.id)
        pipe.execute()
        metrics.DEAD_LETTERED.labels(self.config.service, self.config.stream).inc()
        log.warning("dead-lettered %s from %s: %s", entry.id, self.config.stream, reason)

    def _ack(self, ids: list[str]) -> None:
        if ids:
            self.client.xack(self.config.stream, self.config.group, *ids)
