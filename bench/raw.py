"""Raw baselines: what Redis, PostgreSQL and TensorFlow do with nothing of ours in the way."""

from __future__ import annotations

import time
import uuid

import orjson
import psycopg
import redis

from pose_common.codec import encode_frames


def sample_body(frames: int = 30, seed: int = 0) -> bytes:
    from tests import factories

    return orjson.dumps(factories.batch(0, frames, seed=seed))


def xadd_batched_frames_per_s(client: redis.Redis, stream: str, *, seconds: float = 2.0) -> float:
    """One XADD per 30-frame entry, 100 entries per pipeline: the ingest ceiling."""
    fields = encode_frames(session="bench", model="yoga", body=sample_body())
    sent = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        pipe = client.pipeline(transaction=False)
        for _ in range(100):
            pipe.xadd(stream, fields)
        pipe.execute()
        sent += 100 * 30
    elapsed = time.perf_counter() - start
    client.delete(stream)
    return sent / elapsed


def read_ack_frames_per_s(client: redis.Redis, stream: str, *, entries: int = 4000) -> float:
    """XREADGROUP + JSON decode + XACK of 30-frame entries: the consumer ceiling."""
    fields = encode_frames(session="bench", model="yoga", body=sample_body())
    pipe = client.pipeline(transaction=False)
    for _ in range(entries):
        pipe.xadd(stream, fields)
    pipe.execute()
    client.xgroup_create(stream, "raw", id="0")
    done = 0
    start = time.perf_counter()
    while done < entries:
        response = client.xreadgroup("raw", "c", {stream: ">"}, count=64)
        ids = []
        for _stream, messages in response:
            for entry_id, entry_fields in messages:
                orjson.loads(entry_fields[b"d"])
                ids.append(entry_id)
        client.xack(stream, "raw", *ids)
        done += len(ids)
    elapsed = time.perf_counter() - start
    client.delete(stream)
    return done * 30 / elapsed


def copy_rows_per_s(database_url: str, *, rows: int = 60_000) -> float:
    """Binary COPY of frame-shaped rows (real[] keypoints) into a temp table: the DB ceiling."""
    keypoints = [float(i) for i in range(51)]
    data = [
        (uuid.UUID(int=1), i, 0, 1.0, "bench", "", 640, 480, keypoints, None) for i in range(rows)
    ]
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "CREATE TEMP TABLE raw_frames (session_id uuid, seq bigint, person smallint, t float8,"
            " detector text, detector_version text, width int, height int, keypoints real[],"
            " label text)"
        )
        start = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY raw_frames FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(
                [
                    "uuid",
                    "int8",
                    "int2",
                    "float8",
                    "text",
                    "text",
                    "int4",
                    "int4",
                    "float4[]",
                    "text",
                ]
            )
            for row in data:
                copy.write_row(row)
        conn.commit()
        return rows / (time.perf_counter() - start)
