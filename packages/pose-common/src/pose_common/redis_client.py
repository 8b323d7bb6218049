"""Redis connections with timeouts (a half-open socket must never hang a worker)."""

from __future__ import annotations

import redis
import redis.asyncio as aioredis

SOCKET_TIMEOUT_S = 10.0  # every blocking XREADGROUP in the code blocks for less than this


def connect(url: str) -> redis.Redis:
    """A synchronous client for workers."""
    return redis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=5.0,
        socket_keepalive=True,
        health_check_interval=30,
        retry_on_timeout=True,
    )


def connect_async(url: str) -> aioredis.Redis:
    """An asyncio client for the ingest service."""
    return aioredis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=5.0,
        socket_keepalive=True,
        health_check_interval=30,
    )
