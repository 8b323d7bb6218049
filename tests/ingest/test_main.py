"""`python -m pose_ingest` serves on POSE_INGEST_HOST:PORT and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time

import httpx
from websockets.sync.client import connect

from tests.factories import batch


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, *, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            if httpx.get(url + "/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("ingest did not become ready")


def test_entrypoint_serves_and_stops_on_sigterm(service_env: dict[str, str]) -> None:
    port = free_port()
    env = {**service_env, "POSE_INGEST_HOST": "127.0.0.1", "POSE_INGEST_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "pose_ingest"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, process)
        created = httpx.post(url + "/v1/sessions", json={}).json()
        with connect(created["stream_url"] + "?token=" + created["token"]) as ws:
            ws.send(json.dumps(batch(0, 3)))
            assert json.loads(ws.recv(timeout=5)) == {"type": "ack", "seq": 2, "count": 3}
        process.send_signal(signal.SIGTERM)
        _out, log = process.communicate(timeout=15)
        # uvicorn re-raises the signal once it has shut down gracefully.
        assert process.returncode in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
