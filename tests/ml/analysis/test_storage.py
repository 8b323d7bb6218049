"""Reading a stored session back for analysis: binary keypoints decoded by chunk, windows,
predictions for the timeline, and the same result as analysing the frames in memory."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import numpy as np
import psycopg
import pytest
from psycopg.types.json import Jsonb

from pose_ml.analysis import storage
from pose_ml.analysis.exercises import default_exercises
from pose_ml.analysis.report import SessionAnalyzer
from pose_ml.analysis.synthetic import synthetic_recording
from tests.ml.analysis.recordings import store_recording

START_T = 1_700_000_000.0


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database_url) as connection:
        yield connection
        connection.rollback()  # nothing a test stores outlives it


def _session(conn: psycopg.Connection) -> str:
    session_id = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO sessions (id, token_hash, model) VALUES (%s, %s, 'fitness')",
        (session_id, "0" * 64),
    )
    return session_id


def test_chunks_hold_the_stored_keypoints_in_seq_order(conn: psycopg.Connection) -> None:
    session_id = _session(conn)
    times, keypoints = synthetic_recording("squat", reps=1, noise_px=2.0)
    store_recording(conn, session_id=session_id, times=times, keypoints=keypoints, start_t=START_T)
    store_recording(
        conn, session_id=session_id, times=times[:5], keypoints=keypoints[:5] + 1, person=1
    )
    chunks = list(storage.iter_frame_chunks(conn, session_id=session_id, chunk_rows=16))
    assert [len(t) for t, _ in chunks] == [16] * (len(times) // 16) + [len(times) % 16]
    got_t = np.concatenate([t for t, _ in chunks])
    got = np.concatenate([k for _, k in chunks])
    np.testing.assert_array_equal(got_t, START_T + times)
    np.testing.assert_array_equal(got, keypoints.astype(np.float32).astype(np.float64))
    other = list(storage.iter_frame_chunks(conn, session_id=session_id, person=1))
    np.testing.assert_array_equal(other[0][1], (keypoints[:5] + 1).astype(np.float32))
    meta = storage.read_meta(conn, session_id=session_id, person=0)
    assert meta == storage.FrameMeta("blazepose-full", "1", 640, 480, START_T)


def test_malformed_stored_keypoints_are_a_clear_error(conn: psycopg.Connection) -> None:
    session_id = _session(conn)
    conn.execute(
        "INSERT INTO frames (session_id, seq, person, t, detector, width, height, keypoints)"
        " VALUES (%s, 0, 0, 1.0, 'x', 1, 1, %s::real[])",
        (session_id, [0.5] * 50),
    )
    with pytest.raises(ValueError, match="exactly 51"):
        list(storage.iter_frame_chunks(conn, session_id=session_id))
    assert storage.decode_keypoints([]).shape == (0, 17, 3)


def test_a_stored_session_analyses_as_the_same_frames_in_memory(conn: psycopg.Connection) -> None:
    session_id = _session(conn)
    times, keypoints = synthetic_recording("lunge", reps=3, noise_px=3.0)
    store_recording(conn, session_id=session_id, times=times, keypoints=keypoints, start_t=START_T)
    for seq in range(0, len(times), 10):
        conn.execute(
            "INSERT INTO predictions (session_id, seq, person, model, version, label,"
            " probability, probabilities, latency_ms) VALUES (%s, %s, 0, 'fitness', 1, %s, 0.9,"
            " %s, 1.0)",
            (session_id, seq, "lunge", Jsonb({"lunge": 0.9})),
        )
    from_db = SessionAnalyzer(default_exercises())
    meta = storage.analyse_stored_session(
        conn, session_id=session_id, model="fitness", analyzer=from_db, chunk_rows=100
    )
    in_memory = SessionAnalyzer(default_exercises())
    in_memory.add_frames(START_T + times, keypoints.astype(np.float32))
    assert meta is not None and meta.first_t == START_T
    db_report, memory_report = from_db.result().to_dict(), in_memory.result().to_dict()
    assert db_report["exercises"] == memory_report["exercises"]
    assert db_report["exercises"]["lunge"]["count"] == 3
    assert db_report["timeline"]["predictions"] == len(range(0, len(times), 10))
    assert [s["label"] for s in db_report["timeline"]["segments"]] == ["lunge"]


def test_a_window_reads_only_the_frames_between_its_times(conn: psycopg.Connection) -> None:
    session_id = _session(conn)
    times, keypoints = synthetic_recording("squat", reps=2)
    store_recording(conn, session_id=session_id, times=times, keypoints=keypoints, start_t=START_T)
    analyzer = SessionAnalyzer({})
    storage.analyse_stored_session(
        conn,
        session_id=session_id,
        model="fitness",
        analyzer=analyzer,
        window_s=(1.0, 2.5),
        predictions=False,
    )
    result = analyzer.result()
    assert result.frames == int(1.5 * 30) + 1
    assert result.start_t == START_T + 1.0


def test_a_session_without_frames_gives_no_meta(conn: psycopg.Connection) -> None:
    session_id = _session(conn)
    analyzer = SessionAnalyzer(default_exercises())
    assert (
        storage.analyse_stored_session(conn, session_id=session_id, model="m", analyzer=analyzer)
        is None
    )
    assert analyzer.result().frames == 0
