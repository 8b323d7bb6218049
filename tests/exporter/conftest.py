"""Fixtures of the exporter tests: a pool on the run's database and session rows."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from pose_exporter.database import DatabaseGate, open_pool


@pytest.fixture
def pool(database_url: str) -> Iterator[ConnectionPool]:
    pool = open_pool(url=database_url, max_size=4, timeout_s=5.0)
    yield pool
    pool.close()


@pytest.fixture
def gate(pool: ConnectionPool) -> DatabaseGate:
    return DatabaseGate(pool)


@pytest.fixture
def new_session(database_url: str) -> Callable[[], str]:
    """Insert a sessions row (as ingest would) and return its id."""

    def create() -> str:
        session_id = str(uuid.uuid4())
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO sessions (id, token_hash, model) VALUES (%s, %s, %s)",
                (session_id, "0" * 64, "yoga"),
            )
        return session_id

    return create
