"""Periodic CSV and JSON dumps: per session and per (UTC) day, under {data_dir}/dumps.

Which sessions and days need a new dump comes from the frames writer: after each commit it
marks the sessions and the day it wrote (DumpTracker).  A round takes the marks and rewrites
those files whole, streamed from a server-side cursor (memory stays flat however long the
session), each into a temp file in the same directory that is then renamed over the old one,
so a reader never sees half a file.  A small state file remembers up to when everything was
dumped, so marks lost with a crashed process are recovered from the database at start.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from prometheus_client import Counter
from psycopg_pool import ConnectionPool

from pose_common.export import csv_chunks, iter_frame_records, json_chunks
from pose_exporter import metrics

log = logging.getLogger(__name__)

# Longer than any batch transaction: a row's received_at (its transaction's start) can be
# this much older than its commit, so recovery looks this far before the recorded time.
RECOVERY_MARGIN = timedelta(minutes=5)
RECENTLY_RECEIVED = """
SELECT session_id::text, array_agg(DISTINCT (received_at AT TIME ZONE 'UTC')::date)
FROM frames WHERE received_at >= %s GROUP BY session_id
"""


class DumpInterrupted(Exception):
    """The process is stopping: the dump in progress is abandoned (its temp file removed)."""


class DumpTracker:
    """Sessions and UTC days with frames committed since their last dump (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: set[str] = set()
        self._days: set[date] = set()

    def mark(self, sessions: Iterable[str], day: date) -> None:
        with self._lock:
            self._sessions.update(sessions)
            self._days.add(day)

    def mark_many(self, *, sessions: Iterable[str] = (), days: Iterable[date] = ()) -> None:
        with self._lock:
            self._sessions.update(sessions)
            self._days.update(days)

    def take(self) -> tuple[set[str], set[date]]:
        """Everything marked so far; later marks start a new set."""
        with self._lock:
            taken = self._sessions, self._days
            self._sessions, self._days = set(), set()
            return taken


def write_atomically(
    *, path: Path, chunks: Iterable[bytes], should_stop: Callable[[], bool] = lambda: False
) -> None:
    """Write chunks to a temp file beside path, fsync, then rename it over path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                if should_stop():
                    raise DumpInterrupted(str(path))
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise


def _encoded(chunks: Iterable[str]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode()


def dump_frames(
    *,
    conn: psycopg.Connection,
    stem: Path,
    should_stop: Callable[[], bool] = lambda: False,
    **query: Any,
) -> None:
    """Write stem.csv and stem.json of the frames selected by query (iter_frame_records
    arguments), both from one snapshot so the two files always agree."""
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        with contextlib.closing(iter_frame_records(conn, **query)) as records:
            csv_path = stem.with_name(stem.name + ".csv")
            chunks = _encoded(csv_chunks(records))
            write_atomically(path=csv_path, chunks=chunks, should_stop=should_stop)
        with contextlib.closing(iter_frame_records(conn, **query)) as records:
            json_path = stem.with_name(stem.name + ".json")
            write_atomically(path=json_path, chunks=json_chunks(records), should_stop=should_stop)


def dump_session(
    *, conn: psycopg.Connection, root: Path, session_id: str, should_stop: Callable[[], bool]
) -> None:
    """Rewrite {root}/sessions/{session_id}.csv and .json with the whole session."""
    stem = root / "sessions" / session_id
    dump_frames(conn=conn, stem=stem, should_stop=should_stop, session_id=session_id)


def dump_day(
    *, conn: psycopg.Connection, root: Path, day: date, should_stop: Callable[[], bool]
) -> None:
    """Rewrite {root}/daily/{YYYY-MM-DD}.csv and .json with the frames received that UTC day."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    stem = root / "daily" / day.isoformat()
    dump_frames(
        conn=conn,
        stem=stem,
        should_stop=should_stop,
        received_from=start,
        received_until=start + timedelta(days=1),
    )


class Dumper:
    """Dump rounds on their own thread, so a long session never holds up consuming."""

    def __init__(
        self,
        *,
        pool: ConnectionPool,
        root: Path,
        tracker: DumpTracker,
        every_s: float,
        stop: threading.Event,
    ) -> None:
        self.pool = pool
        self.root = root
        self.tracker = tracker
        self.every_s = every_s
        self.stop = stop

    @property
    def state_path(self) -> Path:
        return self.root / "state.json"

    def run(self) -> None:
        """Recover the marks a previous process left, then one round every every_s seconds."""
        while not self.stop.is_set():
            try:
                count = self.recover()
            except psycopg.Error as exc:
                log.warning("dump recovery failed (%s); retrying", exc)
                self.stop.wait(self.every_s)
                continue
            log.info("dumps: %d sessions received frames since the last recorded dump", count)
            break
        while not self.stop.wait(self.every_s):
            try:
                self.run_round()
            except (psycopg.Error, OSError) as exc:
                log.warning("dump round failed (%s); retrying next round", exc)
            except Exception:  # a dump must never take consuming down with it
                log.exception("dump round failed; retrying next round")

    def recover(self) -> int:
        """Mark sessions and days received since the recorded time (all of them without one)."""
        clean_before = self._read_state()
        since = clean_before - RECOVERY_MARGIN if clean_before else datetime(1970, 1, 1, tzinfo=UTC)
        with self.pool.connection() as conn:
            rows = conn.execute(RECENTLY_RECEIVED, (since,)).fetchall()
        for session_id, days in rows:
            self.tracker.mark_many(sessions=[session_id], days=days)
        return len(rows)

    def run_round(self) -> bool:
        """Dump every marked session, then every marked day; True when all were written."""
        taken_at = self._database_now()
        sessions, days = self.tracker.take()
        failed_sessions = {
            session_id
            for session_id in sorted(sessions)
            if not self._dump(dump_session, metrics.SESSION_DUMPS, session_id=session_id)
        }
        failed_days = {
            day for day in sorted(days) if not self._dump(dump_day, metrics.DAILY_DUMPS, day=day)
        }
        if failed_sessions or failed_days:
            self.tracker.mark_many(sessions=failed_sessions, days=failed_days)
            return False
        if sessions or days:
            self._write_state(taken_at)
        return True

    def _dump(self, dump: Callable[..., None], counter: Counter, **what: object) -> bool:
        if self.stop.is_set():
            return False
        started = time.perf_counter()
        try:
            with self.pool.connection() as conn:
                dump(conn=conn, root=self.root, should_stop=self.stop.is_set, **what)
        except DumpInterrupted:
            return False
        except (psycopg.Error, OSError) as exc:
            metrics.DUMP_ERRORS.inc()
            log.warning("dump of %s failed (%s); retrying next round", what, exc)
            return False
        counter.inc()
        log.info("dumped %s in %.2f s", what, time.perf_counter() - started)
        return True

    def _database_now(self) -> datetime:
        """The database's clock: the one every received_at comes from."""
        with self.pool.connection() as conn:
            row = conn.execute("SELECT clock_timestamp()").fetchone()
        return row[0] if row else datetime.now(UTC)

    def _read_state(self) -> datetime | None:
        try:
            state = json.loads(self.state_path.read_text())
            return datetime.fromisoformat(state["clean_before"])
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable %s (%s): dumping everything", self.state_path, exc)
            return None

    def _write_state(self, clean_before: datetime) -> None:
        payload = json.dumps({"clean_before": clean_before.isoformat()}).encode()
        write_atomically(path=self.state_path, chunks=[payload])
