"""Acceptance 2 (inference half): kill -9 the inference worker mid-stream of 20,000 frames.

The restarted worker (a new process, so a new consumer name) must reclaim what the dead one
left pending; every frame then has exactly one stored prediction.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import orjson
import psycopg
import pytest
import redis

from pose_common.codec import encode_frames
from pose_common.streams import GROUP_INFERENCE, StreamKeys
from pose_ml.model_store import build_mlp, publish_model
from tests import factories
from tests.e2e.conftest import Stack
from tests.processes import kill_hard, wait_until

pytestmark = pytest.mark.slow
TOTAL = 20_000
PER_ENTRY = 50


def _new_session(database_url: str) -> str:
    sid = str(uuid.uuid4())
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO sessions (id, token_hash, model) VALUES (%s, %s, %s)",
            (sid, "x" * 64, "yoga"),
        )
    return sid


def _feed(client: redis.Redis, keys: StreamKeys, sid: str) -> None:
    for start in range(0, TOTAL, PER_ENTRY):
        body = orjson.dumps(factories.batch(start, PER_ENTRY, seed=3))
        client.xadd(keys.frames, encode_frames(session=sid, model="yoga", body=body))


def test_inference_killed_mid_stream_every_frame_gets_one_prediction(stack: Stack) -> None:
    keys = StreamKeys(stack.env["POSE_KEY_PREFIX"])
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    publish_model(
        root=Path(stack.env["POSE_MODEL_DIR"]),
        name="yoga",
        model=build_mlp(5, seed=1),
        labels=["chair", "cobra", "dog", "tree", "warrior"],
    )
    stack.start("pose_exporter")
    wait_until(
        lambda: stack.count("SELECT count(*) FROM sessions") >= 0, timeout=30, what="database"
    )
    sid = _new_session(stack.database_url)
    first = stack.start("pose_inference")
    feeder = threading.Thread(target=_feed, args=(client, keys, sid))
    feeder.start()

    wait_until(
        lambda: stack.count("SELECT count(*) FROM predictions WHERE session_id = %s", sid) >= 1000,
        timeout=90,
        what="first predictions\n" + stack.log("pose_inference"),
    )
    kill_hard(first)
    stored_at_kill = stack.count("SELECT count(*) FROM predictions WHERE session_id = %s", sid)
    assert stored_at_kill < TOTAL, "the worker finished before it could be killed"
    feeder.join(timeout=120)

    stack.start("pose_inference", tag="-restarted")
    wait_until(
        lambda: stack.count("SELECT count(*) FROM predictions WHERE session_id = %s", sid) >= TOTAL,
        timeout=180,
        what=f"{TOTAL} predictions\n" + stack.log("pose_inference", "-restarted"),
    )

    def drained() -> bool:
        groups = {g["name"].decode(): g for g in client.xinfo_groups(keys.frames)}
        group = groups[GROUP_INFERENCE]
        return group["pending"] == 0 and (group.get("lag") or 0) == 0

    wait_until(drained, timeout=60, what="inference group drained")
    wait_until(
        lambda: stack.count("SELECT count(*) FROM frames WHERE session_id = %s", sid) >= TOTAL,
        timeout=60,
        what="all frames",
    )
    assert stack.count("SELECT count(*) FROM frames WHERE session_id = %s", sid) == TOTAL
    assert stack.count("SELECT count(*) FROM predictions WHERE session_id = %s", sid) == TOTAL
    assert (
        stack.count(
            "SELECT count(DISTINCT (seq, person)) FROM predictions WHERE session_id = %s",
            sid,
        )
        == TOTAL
    )
    assert client.xlen(keys.dead_letter(keys.frames)) == 0
    client.close()
