"""Read-only queries behind the read API (synchronous: they run in the thread pool)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from pose_common.skeleton import NUM_KEYPOINTS

_LIST_SESSIONS = """
SELECT s.id::text AS id, s.name, s.model, s.created_at,
       (SELECT count(*) FROM frames f WHERE f.session_id = s.id) AS frames
FROM sessions s
ORDER BY s.created_at DESC, s.id
LIMIT %s OFFSET %s
"""
_COUNTS = """
SELECT (SELECT count(*) FROM frames WHERE session_id = %(id)s) AS frames,
       (SELECT count(*) FROM predictions WHERE session_id = %(id)s) AS predictions,
       (SELECT max(seq) FROM frames WHERE session_id = %(id)s) AS last_seq
"""
_FRAMES = """
SELECT seq, person, t, detector, detector_version, width, height, label, keypoints, received_at
FROM frames
WHERE session_id = %s AND (seq, person) > (%s, %s)
ORDER BY seq, person
LIMIT %s
"""
_PREDICTIONS = """
SELECT seq, person, model, version, label, probability, probabilities, latency_ms, created_at
FROM predictions
WHERE session_id = %s AND (seq, person) > (%s, %s)
ORDER BY seq, person, model
LIMIT %s
"""


def list_sessions(conn: psycopg.Connection, *, limit: int, offset: int) -> list[dict[str, Any]]:
    """Sessions, newest first, each with its stored frame count."""
    with conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(_LIST_SESSIONS, (limit, offset)).fetchall()


def count_session_rows(conn: psycopg.Connection, *, session_id: str) -> dict[str, Any]:
    """Stored frames and predictions of one session, and its highest stored seq."""
    with conn.cursor(row_factory=dict_row) as cursor:
        row = cursor.execute(_COUNTS, {"id": session_id}).fetchone()
    assert row is not None  # an aggregate always yields one row
    return row


def read_frames(
    conn: psycopg.Connection, *, session_id: str, after: tuple[int, int], limit: int
) -> list[dict[str, Any]]:
    """Stored frames after (seq, person), in order, keypoints back as 17 [x, y, score]."""
    with conn.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(_FRAMES, (session_id, *after, limit)).fetchall()
    for row in rows:
        flat = row["keypoints"]
        row["keypoints"] = [flat[i * 3 : i * 3 + 3] for i in range(NUM_KEYPOINTS)]
    return rows


def read_predictions(
    conn: psycopg.Connection, *, session_id: str, after: tuple[int, int], limit: int
) -> list[dict[str, Any]]:
    """Stored predictions after (seq, person), in order."""
    with conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(_PREDICTIONS, (session_id, *after, limit)).fetchall()
