"""Capture sessions in PostgreSQL, cached in-process (a session never changes once created).

The pool is synchronous (exports stream from a server-side cursor in a worker thread), so
the async routes reach it through anyio's thread pool; the hot path hits only the cache.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from anyio import to_thread
from psycopg_pool import ConnectionPool

from pose_common.sessions import hash_token, new_session_id, new_session_token

_SELECT = "SELECT id::text, model, name, token_hash, created_at FROM sessions WHERE id = %s"
_INSERT = (
    "INSERT INTO sessions (id, token_hash, name, model, subject, source)"
    " VALUES (%s, %s, %s, %s, %s, 'api') RETURNING created_at"
)


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One capture session as ingest needs it."""

    id: str
    model: str
    name: str
    token_hash: str
    created_at: datetime


class SessionStore:
    """Create and look up sessions; lookups are cached (LRU) after the first hit."""

    def __init__(self, pool: ConnectionPool, *, cache_size: int = 10_000) -> None:
        self._pool = pool
        self._cache: OrderedDict[str, SessionRecord] = OrderedDict()
        self._cache_size = cache_size

    async def create(
        self, *, model: str, name: str, subject: str | None = None
    ) -> tuple[SessionRecord, str]:
        """Store a new session; returns it with its token (the only time the token exists)."""
        token = new_session_token()
        record = await to_thread.run_sync(self._insert, model, name, hash_token(token), subject)
        self._remember(record)
        return record, token

    async def get(self, session_id: str) -> SessionRecord | None:
        """The session with this (canonical UUID) id, or None when there is none."""
        record = self._cache.get(session_id)
        if record is not None:
            self._cache.move_to_end(session_id)
            return record
        record = await to_thread.run_sync(self._select, session_id)
        if record is not None:
            self._remember(record)
        return record

    def _remember(self, record: SessionRecord) -> None:
        self._cache[record.id] = record
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _insert(self, model: str, name: str, token_hash: str, subject: str | None) -> SessionRecord:
        session_id = new_session_id()
        with self._pool.connection() as conn:
            row = conn.execute(_INSERT, (session_id, token_hash, name, model, subject)).fetchone()
        assert row is not None  # INSERT ... RETURNING always yields the row
        return SessionRecord(session_id, model, name, token_hash, row[0])

    def _select(self, session_id: str) -> SessionRecord | None:
        with self._pool.connection() as conn:
            row = conn.execute(_SELECT, (session_id,)).fetchone()
        return None if row is None else SessionRecord(*row)
