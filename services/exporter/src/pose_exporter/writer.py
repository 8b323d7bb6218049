"""Store stream entries in PostgreSQL exactly once: the consumer handlers of the exporter.

For each batch of entries: decode and check every entry (a bad one gets Invalid(reason) and
is dead-lettered), drop entries of sessions that do not exist (one query for the batch),
then in ONE transaction COPY the rest into a staging table and INSERT ... ON CONFLICT DO
NOTHING into the real table, and commit.  The handler returns only after the commit, and
the consumer acknowledges only after the handler returns, so a crash at any point leaves
the entries pending and their redelivery stores nothing twice.  Database errors propagate
(the entries stay pending and are retried).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import psycopg

from pose_common.codec import decode_frames, decode_predictions
from pose_common.consumer import Entry, Invalid
from pose_exporter import metrics
from pose_exporter.database import DatabaseGate
from pose_exporter.rows import (
    COPY_SIGNATURE,
    COPY_TRAILER,
    FRAME_COLUMNS,
    PREDICTION_COLUMNS,
    PREDICTION_TYPES,
    PackedFrames,
    pack_frames,
    prediction_rows,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
# Called after a commit with the sessions written and the UTC day they were received.
OnStored = Callable[[Iterable[str], date], None]

COPY_FRAMES = f"COPY frames_staging ({FRAME_COLUMNS}) FROM STDIN (FORMAT BINARY)"
INSERT_FRAMES = (
    f"INSERT INTO frames ({FRAME_COLUMNS}) SELECT {FRAME_COLUMNS} FROM frames_staging"
    " ON CONFLICT DO NOTHING"
)
COPY_PREDICTIONS = f"COPY predictions_staging ({PREDICTION_COLUMNS}) FROM STDIN (FORMAT BINARY)"
INSERT_PREDICTIONS = (
    f"INSERT INTO predictions ({PREDICTION_COLUMNS})"
    " SELECT session_id, seq, person, model, version, label, probability,"
    " probabilities::jsonb, latency_ms FROM predictions_staging ON CONFLICT DO NOTHING"
)
# now() is the transaction's start, the received_at every inserted row gets by default.
KNOWN_SESSIONS = (
    "SELECT (now() AT TIME ZONE 'UTC')::date, array(SELECT id FROM sessions WHERE id = ANY(%s))"
)


@dataclass(slots=True)
class StoreResult:
    """What one transaction did."""

    staged: int = 0
    inserted: int = 0
    unknown: dict[str, Invalid] = field(default_factory=dict)
    sessions: set[str] = field(default_factory=set)
    day: date | None = None

    @property
    def duplicates(self) -> int:
        return self.staged - self.inserted


def decode_all(
    entries: Sequence[Entry], decode: Callable[[Entry], T]
) -> tuple[list[tuple[str, T]], dict[str, Invalid]]:
    """Decoded entries (with their ids) and a verdict for each one that cannot be decoded."""
    good: list[tuple[str, T]] = []
    bad: dict[str, Invalid] = {}
    for entry in entries:
        try:
            good.append((entry.id, decode(entry)))
        except ValueError as exc:
            bad[entry.id] = Invalid(str(exc))
    return good, bad


def _split_known(
    conn: psycopg.Connection, items: Sequence[tuple[str, T]], session_of: Callable[[T], uuid.UUID]
) -> tuple[list[T], dict[str, Invalid], date]:
    """Items whose session exists, verdicts for the others, and the transaction's UTC day."""
    sessions = list({session_of(item) for _, item in items})
    day, known_ids = conn.execute(KNOWN_SESSIONS, (sessions,)).fetchone()  # type: ignore[misc]
    known = set(known_ids)
    unknown = {
        entry_id: Invalid(f"unknown session {session_of(item)}")
        for entry_id, item in items
        if session_of(item) not in known
    }
    return [item for _, item in items if session_of(item) in known], unknown, day


def store_frames(
    *, conn: psycopg.Connection, items: Sequence[tuple[str, PackedFrames]]
) -> StoreResult:
    """One transaction: skip unknown sessions, COPY the rest to staging, insert what is new."""
    with conn.transaction():
        keep, unknown, day = _split_known(conn, items, lambda packed: packed.session)
        result = StoreResult(unknown=unknown, day=day)
        if keep:
            with conn.cursor() as cursor:
                with cursor.copy(COPY_FRAMES) as copy:
                    copy.write(b"".join([COPY_SIGNATURE, *(p.data for p in keep), COPY_TRAILER]))
                cursor.execute(INSERT_FRAMES)
                result.inserted = cursor.rowcount
            result.staged = sum(packed.count for packed in keep)
            result.sessions = {str(packed.session) for packed in keep}
    return result


def store_predictions(
    *, conn: psycopg.Connection, items: Sequence[tuple[str, list[tuple[Any, ...]]]]
) -> StoreResult:
    """One transaction: skip unknown sessions, COPY the rest to staging, insert what is new."""
    with conn.transaction():
        keep, unknown, day = _split_known(conn, items, lambda rows: rows[0][0])
        result = StoreResult(unknown=unknown, day=day)
        if keep:
            with conn.cursor() as cursor:
                with cursor.copy(COPY_PREDICTIONS) as copy:
                    copy.set_types(list(PREDICTION_TYPES))
                    for rows in keep:
                        for row in rows:
                            copy.write_row(row)
                cursor.execute(INSERT_PREDICTIONS)
                result.inserted = cursor.rowcount
            result.staged = sum(len(rows) for rows in keep)
    return result


class FramesWriter:
    """Handler of the frames stream: entries in, verdicts for the ones to dead-letter out."""

    def __init__(self, *, gate: DatabaseGate, on_stored: OnStored | None = None) -> None:
        self.gate = gate
        self.on_stored = on_stored

    def __call__(self, entries: Sequence[Entry]) -> dict[str, Invalid]:
        items, verdicts = decode_all(entries, lambda e: pack_frames(decode_frames(e.fields)))
        if not items:
            return verdicts
        started = time.perf_counter()
        result = _guarded(self.gate, lambda conn: store_frames(conn=conn, items=items))
        metrics.FRAMES_BATCH_SECONDS.observe(time.perf_counter() - started)
        metrics.FRAMES_WRITTEN.inc(result.inserted)
        metrics.FRAMES_DUPLICATE.inc(result.duplicates)
        if self.on_stored is not None and result.sessions and result.day is not None:
            self.on_stored(result.sessions, result.day)
        log.debug(
            "stored %d frames (%d already there) of %d entries up to %s in %.1f ms",
            result.inserted,
            result.duplicates,
            len(entries),
            entries[-1].id,
            (time.perf_counter() - started) * 1000,
        )
        return {**verdicts, **result.unknown}


class PredictionsWriter:
    """Handler of the predictions stream: entries in, verdicts for the ones to dead-letter out."""

    def __init__(self, *, gate: DatabaseGate) -> None:
        self.gate = gate

    def __call__(self, entries: Sequence[Entry]) -> dict[str, Invalid]:
        items, verdicts = decode_all(
            entries, lambda e: prediction_rows(decode_predictions(e.fields))
        )
        if not items:
            return verdicts
        started = time.perf_counter()
        result = _guarded(self.gate, lambda conn: store_predictions(conn=conn, items=items))
        metrics.PREDICTIONS_BATCH_SECONDS.observe(time.perf_counter() - started)
        metrics.PREDICTIONS_WRITTEN.inc(result.inserted)
        metrics.PREDICTIONS_DUPLICATE.inc(result.duplicates)
        return {**verdicts, **result.unknown}


def _guarded(gate: DatabaseGate, store: Callable[[psycopg.Connection], StoreResult]) -> StoreResult:
    """Run store on a pooled connection; a lost server closes the gate and propagates."""
    gate.check_open()
    try:
        with gate.pool.connection() as conn:
            return store(conn)
    except psycopg.OperationalError as exc:
        gate.mark_down(exc)
        raise
