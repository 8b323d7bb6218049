"""Streaming CSV and JSON exports of stored frames, shared by the ingest API and exporter dumps.

Rows come from a server-side cursor in chunks, so exporting a long session never holds it
in memory.  One record per frame: identifiers, capture metadata, the label, the 17 keypoints
as NAME_x, NAME_y, NAME_score columns, and the stored prediction if there is one.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import orjson
import psycopg

from pose_common.skeleton import keypoint_columns

META_COLUMNS = [
    "session_id",
    "seq",
    "person",
    "t",
    "detector",
    "detector_version",
    "width",
    "height",
    "label",
]
PREDICTION_COLUMNS = ["predicted_label", "predicted_probability", "model", "model_version"]
FRAME_COLUMNS = [*META_COLUMNS, *keypoint_columns(), *PREDICTION_COLUMNS]

_SELECT = """
SELECT f.session_id::text, f.seq, f.person, f.t, f.detector, f.detector_version, f.width,
       f.height, f.label, f.keypoints, p.label, p.probability, p.model, p.version
FROM frames f
LEFT JOIN LATERAL (
    SELECT label, probability, model, version FROM predictions p
    WHERE p.session_id = f.session_id AND p.seq = f.seq AND p.person = f.person
    ORDER BY p.created_at DESC LIMIT 1
) p ON true
"""


def iter_frame_records(
    conn: psycopg.Connection,
    *,
    session_id: str | None = None,
    received_from: datetime | None = None,
    received_until: datetime | None = None,
    chunk_rows: int = 2000,
) -> Iterator[list[Any]]:
    """Yield flat records (FRAME_COLUMNS order) from a server-side cursor, in seq order."""
    where, params = [], []
    if session_id is not None:
        where.append("f.session_id = %s")
        params.append(session_id)
    if received_from is not None:
        where.append("f.received_at >= %s")
        params.append(received_from)
    if received_until is not None:
        where.append("f.received_at < %s")
        params.append(received_until)
    query = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
    query += " ORDER BY f.session_id, f.seq, f.person"
    with conn.cursor(name="frame_export") as cursor:
        cursor.itersize = chunk_rows
        cursor.execute(query, params)
        for row in cursor:
            keypoints = row[9]
            yield [*row[:9], *keypoints, *row[10:]]


def csv_chunks(records: Iterable[list[Any]], *, rows_per_chunk: int = 500) -> Iterator[str]:
    """CSV text in chunks: header first, then the records."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FRAME_COLUMNS)
    for count, record in enumerate(records, start=1):
        writer.writerow(["" if v is None else v for v in record])
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def json_chunks(records: Iterable[list[Any]], *, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """A JSON array of objects (one per frame, FRAME_COLUMNS keys), streamed in chunks."""
    parts: list[bytes] = [b"["]
    first = True
    for count, record in enumerate(records, start=1):
        item = orjson.dumps({k: _clean(v) for k, v in zip(FRAME_COLUMNS, record, strict=True)})
        parts.append(item if first else b"," + item)
        first = False
        if count % rows_per_chunk == 0:
            yield b"".join(parts)
            parts = []
    parts.append(b"]")
    yield b"".join(parts)
