"""Helpers shared by the exporter tests."""

from __future__ import annotations

import orjson
import psycopg
import redis

from pose_common.codec import encode_frames
from pose_common.streams import GROUP_EXPORTER
from tests import factories


def count_frames(database_url: str, session_id: str) -> tuple[int, int]:
    """COUNT(*) and COUNT(DISTINCT (seq, person)) of one session's stored frames."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT (seq, person)) FROM frames WHERE session_id = %s",
            (session_id,),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def add_batch(
    client: redis.Redis, stream: str, *, session: str, start: int, count: int, **frame: object
) -> bytes:
    """XADD one frames entry of count valid frames from seq start; returns the body."""
    body = orjson.dumps(factories.batch(start, count, **frame))
    client.xadd(stream, encode_frames(session=session, model="yoga", body=body))
    return body


def backlog(client: redis.Redis, stream: str, group: str = GROUP_EXPORTER) -> tuple[int, int]:
    """(lag, pending) of a consumer group: (0, 0) when everything is acknowledged."""
    for info in client.xinfo_groups(stream):
        if info["name"].decode() == group:
            lag = info["lag"]  # None when Redis cannot tell (then it is not known to be 0)
            return (-1 if lag is None else int(lag)), int(info["pending"])
    return -1, -1
