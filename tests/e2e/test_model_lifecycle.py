"""Acceptance 3 of the trainer: a model trained and promoted through the admin API reaches the
running inference worker without a restart, and the live predictions of frames sent afterwards
carry the new version; a roll back works the same way.

Real processes: ingest, inference, the trainer worker and the trainer control worker.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
import websockets

from pose_ml.datasets.formats import read_yoga_csv, sessions_to_dataset
from tests.conftest import TEST_ADMIN_TOKEN, shared_path
from tests.e2e.conftest import Stack, wait_ready
from tests.processes import wait_until
from tests.trainer.conftest import QUICK, YOGA_CSV, YOGA_DATA

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("yoga_imported", "clean_registry")]
ADMIN = {"Authorization": f"Bearer {TEST_ADMIN_TOKEN}"}
FAST = {**QUICK, "training.epochs": 15, "architecture.hidden": [32]}


def _real_batches(count: int, *, start: int) -> list[dict]:
    """Batches of 10 real yoga poses (MoveNet keypoints from the shared data)."""
    dataset = sessions_to_dataset(read_yoga_csv(shared_path(*YOGA_CSV)))
    points = dataset.keypoints.tolist()
    batches = []
    for b in range(count):
        seqs = range(start + 10 * b, start + 10 * (b + 1))
        frames = [{"seq": s, "t": time.time(), "keypoints": points[s % len(points)]} for s in seqs]
        batches.append(
            {
                "detector": {"name": "movenet-thunder", "version": "4"},
                "width": 300,
                "height": 300,
                "frames": frames,
            }
        )
    return batches


async def _stream(stack: Stack, session: str, token: str, batches: list[dict]) -> dict[int, int]:
    """Send batches over the session's WebSocket; seq -> version of its live prediction."""
    url = stack.base_url.replace("http", "ws") + f"/v1/sessions/{session}/stream?token={token}"
    wanted = {frame["seq"] for batch in batches for frame in batch["frames"]}
    versions: dict[int, int] = {}
    async with websockets.connect(url) as ws:
        for batch in batches:
            await ws.send(json.dumps(batch))
        deadline = time.monotonic() + 60
        while not wanted <= set(versions) and time.monotonic() < deadline:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
            if message["type"] == "prediction":
                assert message["model"] == "yoga"
                versions[message["seq"]] = message["version"]
    missing = wanted - set(versions)
    assert not missing, f"no prediction for seqs {sorted(missing)[:10]}"
    return versions


def _train(client: httpx.Client, stack: Stack, overrides: dict, promote: str) -> dict:
    reply = client.post(
        "/v1/admin/models/yoga/train",
        json={"overrides": overrides, "dataset": YOGA_DATA, "promote": promote},
        headers=ADMIN,
    )
    assert reply.status_code == 202, reply.text
    job_id = reply.json()["job_id"]

    def finished() -> dict | None:
        job = client.get(f"/v1/admin/jobs/{job_id}", headers=ADMIN).json()
        return job if job["status"] in ("succeeded", "failed", "cancelled") else None

    job = wait_until(
        finished, timeout=240, interval=0.5, what=f"job {job_id}\n{stack.log('pose_trainer')}"
    )
    assert job["status"] == "succeeded", job
    return job["result"]


def test_promotion_and_roll_back_reach_the_running_inference_worker(stack: Stack) -> None:
    stack.env["POSE_DEFAULT_MODEL"] = "yoga"
    stack.env["POSE_TRAINER_SEED_DEFAULTS"] = "false"
    stack.start("pose_ingest")
    inference = stack.start("pose_inference")
    stack.start("pose_trainer", args=("worker",))
    stack.start("pose_trainer", tag="-control", args=("control",))
    wait_ready(stack)
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        first = _train(client, stack, FAST, promote="auto")
        assert first["version"] == 1 and first["promotion"]["promoted"]
        reply = client.post("/v1/sessions", json={"model": "yoga"})
        session, token = reply.json()["id"], reply.json()["token"]
        before = asyncio.run(_stream(stack, session, token, _real_batches(3, start=0)))
        assert set(before.values()) == {1}

        second = _train(client, stack, {**FAST, "training.seed": 7}, promote="never")
        assert second["version"] == 2 and not second["promotion"]["promoted"]
        still = asyncio.run(_stream(stack, session, token, _real_batches(3, start=30)))
        assert set(still.values()) == {1}, "a version that was not promoted must not serve"

        promoted = client.post(
            "/v1/admin/models/yoga/promote", json={"version": 2, "force": True}, headers=ADMIN
        )
        assert promoted.status_code == 200 and promoted.json()["production"] == 2
        after = asyncio.run(_stream(stack, session, token, _real_batches(3, start=60)))
        assert set(after.values()) == {2}, f"frames sent after the promotion: {after}"

        back = client.post("/v1/admin/models/yoga/rollback", json={}, headers=ADMIN)
        assert back.status_code == 200 and back.json()["production"] == 1
        rolled = asyncio.run(_stream(stack, session, token, _real_batches(3, start=90)))
        assert set(rolled.values()) == {1}, f"frames sent after the roll back: {rolled}"
    assert inference.poll() is None, "the inference worker restarted or died"
