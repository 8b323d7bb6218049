"""Readiness checks: can this process reach Redis and a migrated PostgreSQL right now?"""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from anyio import to_thread
from psycopg_pool import ConnectionPool

CHECK_TIMEOUT_S = 2.0
OK = "ok"


async def check_redis(client: aioredis.Redis) -> str:
    """ "ok", or what went wrong."""
    try:
        await asyncio.wait_for(client.ping(), CHECK_TIMEOUT_S)
    except Exception as exc:  # any failure means "not ready", and says which
        return f"error: {type(exc).__name__}: {exc}"
    return OK


def _check_postgres_sync(pool: ConnectionPool) -> str:
    with pool.connection(timeout=CHECK_TIMEOUT_S) as conn:
        conn.execute("SELECT 1")
        row = conn.execute("SELECT to_regclass('sessions') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return "error: the sessions table is missing (the exporter applies migrations on start)"
    return OK


async def check_postgres(pool: ConnectionPool) -> str:
    """ "ok", or what went wrong (unreachable, or not migrated)."""
    try:
        return await to_thread.run_sync(_check_postgres_sync, pool)
    except Exception as exc:  # any failure means "not ready", and says which
        return f"error: {type(exc).__name__}: {exc}"
