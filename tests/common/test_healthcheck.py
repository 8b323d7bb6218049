"""pose_common.healthcheck: the container healthcheck CLI for heartbeat files and URLs."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pose_common.healthcheck import main
from tests.processes import free_port


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def http_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_fresh_heartbeat_is_healthy(tmp_path: Path) -> None:
    heartbeat = tmp_path / "heartbeat"
    heartbeat.write_text("{}")
    assert main([str(heartbeat), "30"]) == 0


def test_stale_heartbeat_is_unhealthy(tmp_path: Path) -> None:
    heartbeat = tmp_path / "heartbeat"
    heartbeat.write_text("{}")
    old = time.time() - 120
    os.utime(heartbeat, (old, old))
    assert main([str(heartbeat), "30"]) == 1


def test_missing_heartbeat_is_unhealthy(tmp_path: Path) -> None:
    assert main([str(tmp_path / "never-written"), "30"]) == 1


def test_heartbeat_without_max_age_is_a_usage_error(tmp_path: Path) -> None:
    assert main([str(tmp_path / "heartbeat")]) == 2


def test_url_answering_2xx_is_healthy(http_url: str) -> None:
    assert main([f"{http_url}/healthz"]) == 0


def test_url_answering_5xx_is_unhealthy(http_url: str) -> None:
    assert main([f"{http_url}/broken"]) == 1


def test_url_nobody_listens_on_is_unhealthy() -> None:
    assert main([f"http://127.0.0.1:{free_port()}/healthz", "--timeout", "1"]) == 1


def test_runs_as_a_module_with_exit_codes(tmp_path: Path) -> None:
    heartbeat = tmp_path / "heartbeat"
    command = [sys.executable, "-m", "pose_common.healthcheck", str(heartbeat), "30"]
    assert subprocess.run(command, capture_output=True, check=False).returncode == 1
    heartbeat.write_text("{}")
    assert subprocess.run(command, capture_output=True, check=False).returncode == 0
