"""The exporter's handlers against the real Redis and PostgreSQL: stored exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import msgpack
import numpy as np
import orjson
import psycopg
import redis

from pose_common.codec import encode_frames, encode_predictions
from pose_common.consumer import ConsumerConfig, Entry, Handler, StreamConsumer, ensure_group
from pose_common.streams import GROUP_EXPORTER, StreamKeys
from pose_exporter import metrics
from pose_exporter.database import DatabaseGate
from pose_exporter.writer import FramesWriter, PredictionsWriter
from tests.exporter.support import add_batch, backlog, count_frames


def consumer(
    client: redis.Redis, stream: str, handler: Handler, **config: object
) -> StreamConsumer:
    settings: dict[str, object] = {"block_ms": 20, "batch_entries": 8, **config}
    consumer = StreamConsumer(
        client,
        ConsumerConfig(stream=stream, group=GROUP_EXPORTER, **settings),
        handler,  # type: ignore[arg-type]
    )
    ensure_group(client, stream, GROUP_EXPORTER)
    return consumer


def drain(consumer: StreamConsumer) -> None:
    while consumer.poll_once():
        pass


def test_frames_are_stored_once_with_their_values(
    redis_client: redis.Redis,
    keys: StreamKeys,
    gate: DatabaseGate,
    database_url: str,
    new_session: Callable[[], str],
) -> None:
    session = new_session()
    bodies = [
        add_batch(redis_client, keys.frames, session=session, start=30 * i, count=30, seed=i)
        for i in range(10)
    ]
    drain(consumer(redis_client, keys.frames, FramesWriter(gate=gate)))

    assert count_frames(database_url, session) == (300, 300)
    assert backlog(redis_client, keys.frames) == (0, 0)
    sent = [f for body in bodies for f in orjson.loads(body)["frames"]]
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT seq, person, t, detector, detector_version, width, height, keypoints, label"
            " FROM frames WHERE session_id = %s ORDER BY seq",
            (session,),
        ).fetchall()
    assert [r[0] for r in rows] == [f["seq"] for f in sent]
    assert {(r[1], r[3], r[4], r[5], r[6], r[8]) for r in rows} == {
        (0, "movenet-lightning", "4", 640, 480, None)
    }
    assert [r[2] for r in rows] == [f["t"] for f in sent]
    stored = np.array([r[7] for r in rows], dtype=np.float32)
    expected = np.array([f["keypoints"] for f in sent], dtype=np.float32).reshape(300, 51)
    np.testing.assert_array_equal(stored, expected)


def test_labels_and_people_are_kept(
    redis_client: redis.Redis,
    keys: StreamKeys,
    gate: DatabaseGate,
    database_url: str,
    new_session: Callable[[], str],
) -> None:
    session = new_session()
    add_batch(redis_client, keys.frames, session=session, start=0, count=5, label="tree pose")
    add_batch(redis_client, keys.frames, session=session, start=0, count=5, person=1)
    drain(consumer(redis_client, keys.frames, FramesWriter(gate=gate)))
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT person, label, count(*) FROM frames WHERE session_id = %s"
            " GROUP BY person, label ORDER BY person",
            (session,),
        ).fetchall()
    assert rows == [(0, "tree pose", 5), (1, None, 5)]


def test_an_entry_delivered_twice_is_stored_once(
    redis_client: redis.Redis,
    keys: StreamKeys,
    gate: DatabaseGate,
    database_url: str,
    new_session: Callable[[], str],
) -> None:
    session = new_session()
    body = add_batch(redis_client, keys.frames, session=session, start=0, count=30)
    fields = encode_frames(session=session, model="yoga", body=body)
    redis_client.xadd(keys.frames, fields)  # the same content again: a re-sent batch
    duplicates_before = metrics.FRAMES_DUPLICATE._value.get()
    writer = FramesWriter(gate=gate)
    drain(consumer(redis_client, keys.frames, writer, batch_entries=1))
    assert count_frames(database_url, session) == (30, 30)
    assert metrics.FRAMES_DUPLICATE._value.get() - duplicates_before == 30

    # Re-handling an already acknowledged entry (a redelivery after a crash) adds nothing.
    entries = redis_client.xrange(keys.frames)
    verdicts = writer([Entry(i.decode(), f) for i, f in entries])
    assert verdicts == {}
    assert count_frames(database_url, session) == (30, 30)


def test_predictions_are_stored_once(
    redis_client: redis.Redis,
    keys: StreamKeys,
    gate: DatabaseGate,
    database_url: str,
    new_session: Callable[[], str],
) -> None:
    session = new_session()
    predictions = [
        {
            "seq": seq,
            "person": 0,
            "label": "tree",
            "probability": 0.75,
            "probabilities": {"tree": 0.75, "warrior": 0.25},
            "latency_ms": 3.5,
        }
        for seq in range(20)
    ]
    fields = encode_predictions(session=session, model="yoga", version=3, predictions=predictions)
    redis_client.xadd(keys.predictions, fields)
    redis_client.xadd(keys.predictions, fields)
    drain(consumer(redis_client, keys.predictions, PredictionsWriter(gate=gate)))
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT seq, model, version, label, probability, probabilities, latency_ms"
            " FROM predictions WHERE session_id = %s ORDER BY seq",
            (session,),
        ).fetchall()
    assert [r[0] for r in rows] == list(range(20))
    assert rows[0][1:] == ("yoga", 3, "tree", 0.75, {"tree": 0.75, "warrior": 0.25}, 3.5)
    assert backlog(redis_client, keys.predictions) == (0, 0)


def test_poison_and_unknown_session_are_dead_lettered_with_reasons(
    redis_client: redis.Redis,
    keys: StreamKeys,
    gate: DatabaseGate,
    database_url: str,
    new_session: Callable[[], str],
) -> None:
    session, stranger = new_session(), "00000000-0000-4000-8000-000000000000"
    add_batch(redis_client, keys.frames, session=session, start=0, count=10)
    bad = orjson.loads(add_batch(redis_client, keys.frames, session=stranger, start=0, count=3))
    bad["frames"][1]["keypoints"] = bad["frames"][1]["keypoints"][:16]
    redis_client.xadd(
        keys.frames, encode_frames(session=session, model="y", body=orjson.dumps(bad))
    )
    redis_client.xadd(keys.frames, {"v": "1", "s": session, "m": "y", "ts": "1", "d": b"{nope"})
    add_batch(redis_client, keys.frames, session=session, start=10, count=10)
    drain(consumer(redis_client, keys.frames, FramesWriter(gate=gate)))

    assert count_frames(database_url, session) == (20, 20)
    dead = redis_client.xrange(keys.dead_letter(keys.frames))
    reasons = [fields[b"reason"].decode() for _, fields in dead]
    assert len(reasons) == 3
    assert reasons[0] == f"unknown session {stranger}"
    assert reasons[1] == "frames[1]: expected 17 keypoints, got 16"
    assert reasons[2].startswith("frames payload is not JSON")
    assert backlog(redis_client, keys.frames) == (0, 0)


def test_poison_prediction_is_dead_lettered(
    redis_client: redis.Redis,
    keys: StreamKeys,
    gate: DatabaseGate,
    new_session: Callable[[], str],
) -> None:
    session = new_session()
    payload = [{"seq": 0, "label": "x", "probability": 2e39, "probabilities": {}, "latency_ms": 1}]
    redis_client.xadd(
        keys.predictions,
        {"v": "1", "s": session, "m": "yoga", "n": "1", "d": msgpack.packb(payload)},
    )
    drain(consumer(redis_client, keys.predictions, PredictionsWriter(gate=gate)))
    (dead,) = redis_client.xrange(keys.dead_letter(keys.predictions))
    assert b"probability and latency_ms must be finite numbers" in dead[1][b"reason"]


def test_entries_stay_pending_while_the_database_is_down(
    redis_client: redis.Redis,
    keys: StreamKeys,
    gate: DatabaseGate,
    database_url: str,
    new_session: Callable[[], str],
) -> None:
    session = new_session()
    add_batch(redis_client, keys.frames, session=session, start=0, count=10)
    reader = consumer(
        redis_client, keys.frames, FramesWriter(gate=gate), reclaim_idle_ms=0, reclaim_every_s=0.0
    )
    gate.mark_down(RuntimeError("simulated outage"))
    reader.poll_once()  # reads the entry, the write fails fast: transient, so it stays pending
    assert backlog(redis_client, keys.frames) == (0, 1)
    assert redis_client.xlen(keys.dead_letter(keys.frames)) == 0

    gate.wait_until_up(stop=threading.Event(), on_wait=lambda: None)  # the server answers
    assert not gate.is_down
    drain(reader)  # the pending entry is reclaimed and stored
    assert count_frames(database_url, session) == (10, 10)
    assert backlog(redis_client, keys.frames) == (0, 0)
