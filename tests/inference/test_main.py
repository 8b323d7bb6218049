"""`python -m pose_inference` as a process: no model yet, then picks one up; SIGTERM stops it."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import redis

from pose_common.streams import StreamKeys
from tests.inference.conftest import add_batches, publish, read_predictions, wait_for


def _heartbeat(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_entrypoint_serves_a_model_published_after_start_and_stops_on_sigterm(
    redis_client: redis.Redis, keys: StreamKeys, service_env: dict[str, str]
) -> None:
    env = {
        **service_env,
        "POSE_INFERENCE_BLOCK_MS": "100",
        "POSE_INFERENCE_HEARTBEAT_EVERY_S": "0.1",
        "POSE_DEFAULT_MODEL": "yoga",
        "POSE_METRICS_PORT": str(port := _free_port()),
    }
    heartbeat = Path(env["POSE_DATA_DIR"]) / "heartbeat" / "inference.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "pose_inference"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: _heartbeat(heartbeat).get("status") == "no model", timeout_s=60)
        assert _heartbeat(heartbeat)["no_model"] == ["yoga"]
        publish(Path(env["POSE_MODEL_DIR"]), "yoga", seed=1, client=redis_client, keys=keys)
        wait_for(lambda: _heartbeat(heartbeat).get("models") == {"yoga": 1})
        add_batches(redis_client, keys, session="s", model="yoga", starts=range(0, 30, 5))
        wait_for(
            lambda: sum(len(e.predictions) for e in read_predictions(redis_client, keys)) == 30
        )
        assert {e.version for e in read_predictions(redis_client, keys)} == {1}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            exposition = response.read().decode()
        assert 'pose_inference_frames_total{model="yoga",version="1"} 30.0' in exposition
        assert 'pose_inference_model_version{model="yoga"} 1.0' in exposition
        for name in ("batch_seconds", "model_load_errors_total", "frames_unclassified_total"):
            assert f"pose_inference_{name}" in exposition
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output.decode(errors="replace")[-3000:]
