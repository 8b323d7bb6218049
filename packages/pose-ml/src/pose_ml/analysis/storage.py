"""Read a stored session for analysis: frames and predictions in chunks from server-side cursors.

Keypoints arrive in PostgreSQL's binary array format and are decoded a whole chunk at a time
with numpy (one frombuffer per chunk instead of 51 Python floats per row), so reading an
hour-long session stays fast and holds only one chunk in memory.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import psycopg
from psycopg.adapt import Loader
from psycopg.pq import Format

from pose_common.skeleton import NUM_KEYPOINTS
from pose_ml.analysis.report import SessionAnalyzer

DEFAULT_CHUNK_ROWS: Final[int] = 5000
FLOAT4_ARRAY_OID: Final[int] = 1021
_HEADER_INTS: Final[int] = 5  # ndim, has-null flag, element type, length, lower bound
_ROW_INTS: Final[int] = _HEADER_INTS + 2 * NUM_KEYPOINTS * 3  # then (length, value) per element

_META = """
SELECT detector, detector_version, width, height, t FROM frames
WHERE session_id = %s AND person = %s ORDER BY seq LIMIT 1
"""
_FRAMES = """
SELECT t, keypoints FROM frames
WHERE session_id = %s AND person = %s AND t >= %s AND t <= %s
ORDER BY seq
"""
_PREDICTIONS = """
SELECT f.t, p.label, p.probability
FROM predictions p
JOIN frames f ON f.session_id = p.session_id AND f.seq = p.seq AND f.person = p.person
WHERE p.session_id = %s AND p.person = %s AND p.model = %s
ORDER BY p.seq
"""


@dataclass(frozen=True, slots=True)
class FrameMeta:
    """What the first stored frame says about the capture."""

    detector: str
    detector_version: str
    width: int
    height: int
    first_t: float  # capture time of the first frame: report times count from it

    def detector_dict(self) -> dict[str, str]:
        return {"name": self.detector, "version": self.detector_version}


class RawArrayLoader(Loader):
    """Leaves a binary float4[] as bytes: the chunk is decoded by numpy in one go."""

    format = Format.BINARY

    def load(self, data: Any) -> bytes:
        return bytes(data)


def decode_keypoints(raw: list[bytes]) -> np.ndarray:
    """Binary float4[51] values -> (N, 17, 3) float64; ValueError if one is not 51 floats."""
    if not raw:
        return np.empty((0, NUM_KEYPOINTS, 3))
    ints = np.frombuffer(b"".join(raw), dtype=">i4")
    if ints.size != len(raw) * _ROW_INTS:
        raise ValueError("a stored frame does not hold exactly 51 keypoint values")
    ints = ints.reshape(len(raw), _ROW_INTS)
    expected = (ints[:, 0] == 1) & (ints[:, 1] == 0) & (ints[:, 3] == NUM_KEYPOINTS * 3)
    if not expected.all():
        raise ValueError("a stored frame does not hold exactly 51 non-null keypoint values")
    values = ints[:, _HEADER_INTS + 1 :: 2].view(">f4")
    return values.astype(np.float64).reshape(len(raw), NUM_KEYPOINTS, 3)


def read_meta(conn: psycopg.Connection, *, session_id: str, person: int) -> FrameMeta | None:
    """Capture metadata of a session's person, or None when it has no stored frame."""
    row = conn.execute(_META, (session_id, person)).fetchone()
    return None if row is None else FrameMeta(*row)


def iter_frame_chunks(
    conn: psycopg.Connection,
    *,
    session_id: str,
    person: int = 0,
    t_from: float = -math.inf,
    t_until: float = math.inf,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(times (N,), keypoints (N, 17, 3)) chunks of one person's frames in seq order."""
    with conn.cursor(name="analysis_frames", binary=True) as cursor:
        cursor.adapters.register_loader(FLOAT4_ARRAY_OID, RawArrayLoader)
        cursor.execute(_FRAMES, (session_id, person, t_from, t_until))
        while rows := cursor.fetchmany(chunk_rows):
            times = np.fromiter((row[0] for row in rows), dtype=np.float64, count=len(rows))
            yield times, decode_keypoints([row[1] for row in rows])


def iter_predictions(
    conn: psycopg.Connection,
    *,
    session_id: str,
    model: str,
    person: int = 0,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Iterator[tuple[float, str, float]]:
    """(frame time, label, probability) of one model's stored predictions, in seq order."""
    with conn.cursor(name="analysis_predictions") as cursor:
        cursor.itersize = chunk_rows
        cursor.execute(_PREDICTIONS, (session_id, person, model))
        for t, label, probability in cursor:
            yield float(t), str(label), float(probability)


def analyse_stored_session(
    conn: psycopg.Connection,
    *,
    session_id: str,
    model: str,
    analyzer: SessionAnalyzer,
    person: int = 0,
    window_s: tuple[float | None, float | None] = (None, None),
    predictions: bool = True,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> FrameMeta | None:
    """Feed a stored session (frames, then `model`'s predictions) to the analyzer.

    window_s limits the frames to (start, end) seconds after the first frame.
    """
    meta = read_meta(conn, session_id=session_id, person=person)
    if meta is None:
        return None
    start_s, end_s = window_s
    chunks = iter_frame_chunks(
        conn,
        session_id=session_id,
        person=person,
        t_from=-math.inf if start_s is None else meta.first_t + start_s,
        t_until=math.inf if end_s is None else meta.first_t + end_s,
        chunk_rows=chunk_rows,
    )
    for times, keypoints in chunks:
        analyzer.add_frames(times, keypoints)
    if not predictions:
        return meta
    stored = iter_predictions(
        conn, session_id=session_id, model=model, person=person, chunk_rows=chunk_rows
    )
    for t, label, probability in stored:
        analyzer.add_prediction(t, label, probability)
    return meta
