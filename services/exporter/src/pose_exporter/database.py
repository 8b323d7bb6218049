"""PostgreSQL connections of the exporter: a checked pool, staging tables, an outage gate."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from psycopg_pool import ConnectionPool

log = logging.getLogger(__name__)

# Per-connection staging tables for COPY (COPY itself has no ON CONFLICT). ON COMMIT DELETE
# ROWS empties them at every commit without the catalog churn of creating one per batch.
STAGING_DDL = (
    """CREATE TEMP TABLE IF NOT EXISTS frames_staging (
        session_id uuid, seq int8, person int2, t float8, detector text, detector_version text,
        width int4, height int4, keypoints real[], label text
    ) ON COMMIT DELETE ROWS""",
    """CREATE TEMP TABLE IF NOT EXISTS predictions_staging (
        session_id uuid, seq int8, person int2, model text, version int4, label text,
        probability float4, probabilities text, latency_ms float4
    ) ON COMMIT DELETE ROWS""",
)
# TCP keepalives: a half-open connection is noticed instead of hanging a worker.
CONNECT_KWARGS = {
    "client_encoding": "UTF8",
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "application_name": "pose-exporter",
}


def prepare_connection(conn: psycopg.Connection) -> None:
    """Create the staging tables on a new connection (left idle, as the pool requires)."""
    for statement in STAGING_DDL:
        conn.execute(statement)
    conn.commit()


def open_pool(*, url: str, max_size: int, timeout_s: float) -> ConnectionPool:
    """A pool that pings each connection before handing it out (a restarted server's dead
    connections are replaced, not returned) and prepares each new one."""
    pool = ConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        timeout=timeout_s,
        kwargs=CONNECT_KWARGS,
        configure=prepare_connection,
        check=ConnectionPool.check_connection,
        open=False,
        name="pose-exporter",
    )
    pool.open(wait=True, timeout=max(timeout_s, 10.0))
    return pool


class DatabaseUnavailable(Exception):
    """PostgreSQL is known to be unreachable: fail fast and leave the entries pending."""


class DatabaseGate:
    """Pauses consuming while PostgreSQL is down, so entries do not burn their delivery
    attempts (and end in the dead-letter stream) during an outage or a restart."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool
        self._down = threading.Event()

    @property
    def is_down(self) -> bool:
        return self._down.is_set()

    def check_open(self) -> None:
        """Raise DatabaseUnavailable at once while an outage is known."""
        if self._down.is_set():
            raise DatabaseUnavailable("PostgreSQL is unreachable; waiting for it to return")

    def mark_down(self, exc: BaseException) -> None:
        if not self._down.is_set():
            log.warning("PostgreSQL unreachable (%s); pausing consumption", exc)
        self._down.set()

    def wait_until_up(self, *, stop: threading.Event, on_wait: Callable[[], None]) -> None:
        """Ping with backoff until PostgreSQL answers again or stop is set."""
        backoff = 0.5
        while self._down.is_set() and not stop.is_set():
            on_wait()
            try:
                with self.pool.connection(timeout=2.0) as conn:
                    conn.execute("SELECT 1")
            except psycopg.OperationalError:
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            log.info("PostgreSQL is reachable again; resuming")
            self._down.clear()
