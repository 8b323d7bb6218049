"""Acceptance 1 and 4 of the pipeline: real ingest, inference and exporter processes.

Several sessions stream concurrently over WebSocket and HTTP; every frame must land in
PostgreSQL exactly once with a prediction equal to what the published model computes.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import psycopg
import pytest
import redis
import websockets

from pose_common.skeleton import KEYPOINT_NAMES
from pose_common.streams import StreamKeys
from pose_ml.features import keypoints_to_features
from pose_ml.model_store import build_mlp, load_model, publish_model
from tests import factories
from tests.e2e.conftest import Stack, wait_ready
from tests.processes import wait_until

LABELS = ["chair", "cobra", "dog", "tree", "warrior"]
pytestmark = pytest.mark.slow


def _publish(stack: Stack, *, name: str, seed: int) -> int:
    root = Path(stack.env["POSE_MODEL_DIR"])
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    try:
        return publish_model(
            root=root,
            name=name,
            model=build_mlp(len(LABELS), seed=seed),
            labels=LABELS,
            redis=client,
            models_stream=StreamKeys(stack.env["POSE_KEY_PREFIX"]).models,
        )
    finally:
        client.close()


def _create_session(stack: Stack, model: str) -> tuple[str, str]:
    reply = httpx.post(stack.base_url + "/v1/sessions", json={"model": model}, timeout=10)
    assert reply.status_code == 201, reply.text
    body = reply.json()
    return body["id"], body["token"]


async def _stream_ws(stack: Stack, session: str, token: str, batches: list[dict]) -> list[dict]:
    url = stack.base_url.replace("http", "ws") + f"/v1/sessions/{session}/stream?token={token}"
    acks: list[dict] = []
    async with websockets.connect(url) as ws:
        for batch in batches:
            await ws.send(json.dumps(batch))
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=20))
                if message["type"] == "ack":
                    acks.append(message)
                    break
                assert message["type"] == "prediction", message
    return acks


def _post_http(stack: Stack, session: str, token: str, batches: list[dict]) -> list[dict]:
    acks = []
    with httpx.Client(base_url=stack.base_url, timeout=20) as client:
        for batch in batches:
            reply = client.post(
                f"/v1/sessions/{session}/frames",
                json=batch,
                headers={"Authorization": f"Bearer {token}"},
            )
            assert reply.status_code == 200, reply.text
            acks.append(reply.json())
    return acks


def _expected_probabilities(
    stack: Stack, name: str, version: int, keypoints: np.ndarray
) -> np.ndarray:
    loaded = load_model(root=Path(stack.env["POSE_MODEL_DIR"]), name=name, version=version)
    features = keypoints_to_features(keypoints)
    return np.asarray(loaded.model(features, training=False))


def _stored(stack: Stack, session: str) -> tuple[np.ndarray, list[tuple]]:
    with psycopg.connect(stack.database_url) as conn:
        frames = conn.execute(
            "SELECT seq, keypoints FROM frames WHERE session_id = %s ORDER BY seq", (session,)
        ).fetchall()
        predictions = conn.execute(
            "SELECT seq, label, probabilities, model, version FROM predictions "
            "WHERE session_id = %s ORDER BY seq",
            (session,),
        ).fetchall()
    keypoints = np.asarray([row[1] for row in frames], dtype=np.float32).reshape(-1, 17, 3)
    return keypoints, predictions


def test_concurrent_sessions_over_ws_and_http_stored_once_with_model_predictions(
    stack: Stack,
) -> None:
    version = _publish(stack, name="yoga", seed=1)
    for module in ("pose_exporter", "pose_inference", "pose_ingest"):
        stack.start(module)
    wait_ready(stack)

    per_session = 300
    sessions = [_create_session(stack, "yoga") for _ in range(4)]
    plans = {
        sid: [factories.batch(start, 30, seed=i) for start in range(0, per_session, 30)]
        for i, (sid, _) in enumerate(sessions)
    }

    async def ws_sessions() -> list[list[dict]]:
        return await asyncio.gather(
            *(_stream_ws(stack, sid, token, plans[sid]) for sid, token in sessions[:2])
        )

    http_results: dict[str, list[dict]] = {}
    threads = [
        threading.Thread(
            target=lambda sid=sid, token=token: http_results.__setitem__(
                sid, _post_http(stack, sid, token, plans[sid])
            )
        )
        for sid, token in sessions[2:]
    ]
    for thread in threads:
        thread.start()
    ws_acks = asyncio.run(ws_sessions())
    for thread in threads:
        thread.join(timeout=60)

    assert [a[-1]["seq"] for a in ws_acks] == [per_session - 1] * 2
    assert all(acks[-1]["seq"] == per_session - 1 for acks in http_results.values())

    total = per_session * len(sessions)
    ids = [sid for sid, _ in sessions]
    mine = " WHERE session_id = ANY(%s::uuid[])"
    wait_until(
        lambda: stack.count("SELECT count(*) FROM predictions" + mine, ids) >= total,
        timeout=90,
        what=f"{total} stored predictions\n" + stack.log("pose_inference"),
    )
    wait_until(
        lambda: stack.count("SELECT count(*) FROM frames" + mine, ids) >= total,
        timeout=30,
        what=f"{total} stored frames",
    )
    assert stack.count("SELECT count(*) FROM frames" + mine, ids) == total
    distinct = "SELECT count(DISTINCT (session_id, seq, person)) FROM frames" + mine
    assert stack.count(distinct, ids) == total
    assert stack.count("SELECT count(*) FROM predictions" + mine, ids) == total

    for sid, _ in sessions:
        keypoints, predictions = _stored(stack, sid)
        assert len(keypoints) == per_session
        sent = np.asarray(
            [f["keypoints"] for b in plans[sid] for f in b["frames"]], dtype=np.float32
        )
        np.testing.assert_allclose(keypoints, sent, rtol=1e-6)
        expected = _expected_probabilities(stack, "yoga", version, sent)
        got = np.asarray([[row[2][label] for label in LABELS] for row in predictions])
        np.testing.assert_allclose(got, expected, atol=1e-5)
        assert [row[1] for row in predictions] == [LABELS[i] for i in expected.argmax(axis=1)]
        assert {(row[3], row[4]) for row in predictions} == {("yoga", version)}

    sid, token = sessions[0]
    _check_exports_round_trip(stack, sid, token, plans[sid], labels=LABELS)


def _check_exports_round_trip(
    stack: Stack, sid: str, token: str, batches: list[dict], *, labels: list[str]
) -> None:
    """CSV and JSON exports read back with pandas equal what was sent (acceptance 6)."""
    sent = [f for b in batches for f in b["frames"]]
    sent_kps = np.asarray([f["keypoints"] for f in sent], dtype=np.float32).reshape(len(sent), -1)
    columns = [f"{n}_{a}" for n in KEYPOINT_NAMES for a in ("x", "y", "score")]
    headers = {"Authorization": f"Bearer {token}"}
    for kind, read in (("csv", pd.read_csv), ("json", pd.read_json)):
        reply = httpx.get(f"{stack.base_url}/v1/sessions/{sid}/export.{kind}", headers=headers)
        assert reply.status_code == 200, reply.text
        frame = read(io.StringIO(reply.text))
        assert frame["seq"].tolist() == [f["seq"] for f in sent]
        assert (frame["session_id"] == sid).all()
        np.testing.assert_allclose(frame["t"].to_numpy(), [f["t"] for f in sent], rtol=1e-12)
        np.testing.assert_allclose(
            frame[columns].to_numpy(dtype=np.float32), sent_kps, rtol=1e-6, atol=1e-4
        )
        assert set(frame["predicted_label"]) <= set(labels)
        assert frame["predicted_label"].notna().all()


def test_new_version_published_while_frames_flow_switches_without_loss(stack: Stack) -> None:
    v1 = _publish(stack, name="yoga", seed=1)
    for module in ("pose_exporter", "pose_inference", "pose_ingest"):
        stack.start(module)
    wait_ready(stack)
    sid, token = _create_session(stack, "yoga")
    pid = stack.processes["pose_inference"].pid

    batches = [factories.batch(start, 30, seed=7) for start in range(0, 3000, 30)]
    published: dict[str, int] = {}

    async def stream_and_publish_midway() -> None:
        """Send at a steady pace; publish v2 once v1 predictions are coming back."""
        url = stack.base_url.replace("http", "ws") + f"/v1/sessions/{sid}/stream?token={token}"
        async with websockets.connect(url) as ws:
            # Warm up: the worker has loaded v1 once the first batch comes back classified.
            await ws.send(json.dumps(batches[0]))
            while json.loads(await asyncio.wait_for(ws.recv(), timeout=60))["type"] != "prediction":
                pass

            async def send() -> None:
                for batch in batches[1:]:
                    await ws.send(json.dumps(batch))
                    await asyncio.sleep(0.04)

            sender = asyncio.create_task(send())
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
                is_prediction = message["type"] == "prediction"
                if is_prediction and message["seq"] >= 900 and "v2" not in published:
                    assert message["version"] == v1
                    published["v2"] = await asyncio.to_thread(_publish, stack, name="yoga", seed=2)
                if message["type"] == "ack" and message["seq"] == 2999:
                    break
            await sender

    asyncio.run(stream_and_publish_midway())
    v2 = published["v2"]
    assert v2 == v1 + 1

    wait_until(
        lambda: stack.count("SELECT count(*) FROM predictions WHERE session_id = %s", sid) >= 3000,
        timeout=90,
        what="3000 predictions",
    )
    assert stack.processes["pose_inference"].pid == pid
    assert stack.processes["pose_inference"].poll() is None, "the worker restarted or died"
    keypoints, predictions = _stored(stack, sid)
    assert len(predictions) == 3000 == len(keypoints)
    versions = np.asarray([row[4] for row in predictions])
    assert set(versions) == {v1, v2}
    # The switch happens once: every v1 prediction precedes every v2 prediction.
    assert versions[-1] == v2 and np.all(np.diff(versions) >= 0)
    for version in (v1, v2):
        rows = versions == version
        expected = _expected_probabilities(stack, "yoga", int(version), keypoints[rows])
        got = np.asarray(
            [
                [row[2][label] for label in LABELS]
                for row, keep in zip(predictions, rows, strict=True)
                if keep
            ]
        )
        np.testing.assert_allclose(got, expected, atol=1e-5)
