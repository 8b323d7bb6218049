"""Dumps: per-session and daily CSV/JSON files that read back equal to what was stored."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest
import redis
from psycopg_pool import ConnectionPool

from pose_common.codec import encode_predictions
from pose_common.consumer import ConsumerConfig, StreamConsumer, ensure_group
from pose_common.skeleton import keypoint_columns
from pose_common.streams import GROUP_EXPORTER, StreamKeys
from pose_exporter.database import DatabaseGate
from pose_exporter.dumps import Dumper, DumpInterrupted, DumpTracker, write_atomically
from pose_exporter.writer import FramesWriter, PredictionsWriter
from tests.exporter.support import add_batch


def store(client: redis.Redis, stream: str, handler: FramesWriter | PredictionsWriter) -> None:
    config = ConsumerConfig(stream=stream, group=GROUP_EXPORTER, block_ms=20)
    ensure_group(client, stream, GROUP_EXPORTER)
    consumer = StreamConsumer(client, config, handler)
    while consumer.poll_once():
        pass


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]


@pytest.fixture
def stored_session(
    redis_client: redis.Redis,
    keys: StreamKeys,
    gate: DatabaseGate,
    new_session: Callable[[], str],
) -> tuple[str, list[dict], DumpTracker]:
    """A session with 60 frames (half labelled) and predictions for the first 10, stored."""
    session, tracker = new_session(), DumpTracker()
    bodies = [
        add_batch(redis_client, keys.frames, session=session, start=0, count=30, label="tree"),
        add_batch(redis_client, keys.frames, session=session, start=30, count=30, seed=5),
    ]
    store(redis_client, keys.frames, FramesWriter(gate=gate, on_stored=tracker.mark))
    predictions = [
        {
            "seq": s,
            "label": "tree",
            "probability": 0.5,
            "probabilities": {"tree": 0.5},
            "latency_ms": 1.0,
        }
        for s in range(10)
    ]
    fields = encode_predictions(session=session, model="yoga", version=2, predictions=predictions)
    redis_client.xadd(keys.predictions, fields)
    store(redis_client, keys.predictions, PredictionsWriter(gate=gate))
    sent = [frame for body in bodies for frame in orjson.loads(body)["frames"]]
    return session, sent, tracker


def check_frames(frame: pd.DataFrame, session: str, sent: list[dict]) -> None:
    rows = frame[frame["session_id"] == session].reset_index(drop=True)
    assert rows["seq"].tolist() == [f["seq"] for f in sent]
    labels = [None if pd.isna(label) else label for label in rows["label"]]
    assert labels == [f.get("label") for f in sent]
    expected = np.array([f["keypoints"] for f in sent], dtype=np.float32).reshape(len(sent), 51)
    np.testing.assert_array_equal(rows[keypoint_columns()].to_numpy(np.float32), expected)
    assert rows["predicted_label"].notna().sum() == 10
    assert set(rows["model_version"].dropna()) == {2}


def test_a_round_writes_session_and_daily_files_that_read_back_equal(
    pool: ConnectionPool, tmp_path: Path, stored_session: tuple[str, list[dict], DumpTracker]
) -> None:
    session, sent, tracker = stored_session
    dumper = Dumper(pool=pool, root=tmp_path, tracker=tracker, every_s=60, stop=threading.Event())
    assert dumper.run_round()

    today = datetime.now(UTC).date().isoformat()
    check_frames(pd.read_csv(tmp_path / "sessions" / f"{session}.csv"), session, sent)
    check_frames(pd.read_json(tmp_path / "sessions" / f"{session}.json"), session, sent)
    # The day's file holds every session of the test database: whole-file type inference
    # (low_memory=False), or pandas guesses per chunk and warns of mixed types.
    daily = pd.read_csv(tmp_path / "daily" / f"{today}.csv", low_memory=False)
    check_frames(daily, session, sent)
    check_frames(pd.read_json(tmp_path / "daily" / f"{today}.json"), session, sent)
    assert leftovers(tmp_path) == []
    assert json.loads((tmp_path / "state.json").read_text())["clean_before"]
    assert tracker.take() == (set(), set())


def test_recovery_marks_what_was_received_after_the_recorded_dump(
    pool: ConnectionPool, tmp_path: Path, stored_session: tuple[str, list[dict], DumpTracker]
) -> None:
    session, _, _ = stored_session
    fresh = DumpTracker()
    dumper = Dumper(pool=pool, root=tmp_path, tracker=fresh, every_s=60, stop=threading.Event())
    recent = datetime.now(UTC) - timedelta(minutes=10)
    (tmp_path / "state.json").write_text(json.dumps({"clean_before": recent.isoformat()}))
    dumper.recover()
    sessions, days = fresh.take()
    assert session in sessions
    assert datetime.now(UTC).date() in days

    later = datetime.now(UTC) + timedelta(hours=1)
    (tmp_path / "state.json").write_text(json.dumps({"clean_before": later.isoformat()}))
    dumper.recover()
    assert fresh.take() == (set(), set())


def test_a_stopped_dump_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "sessions" / "s.csv"
    write_atomically(path=target, chunks=[b"old\n"])
    written: list[bytes] = []

    def stop_after_first() -> bool:
        return bool(written)

    def chunks() -> object:
        for chunk in (b"new\n", b"more\n"):
            written.append(chunk)
            yield chunk

    with pytest.raises(DumpInterrupted):
        write_atomically(path=target, chunks=chunks(), should_stop=stop_after_first)  # type: ignore[arg-type]
    assert target.read_bytes() == b"old\n"
    assert leftovers(tmp_path) == []
