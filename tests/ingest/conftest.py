"""Fixtures of the ingest tests: an app on the real Redis and PostgreSQL, in-process or served.

The in-process TestClient covers HTTP; WebSocket behaviour that depends on the server
(message size limit, close frames, concurrent clients) runs against a real uvicorn.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pose_ingest.__main__ import server_config
from pose_ingest.app import create_app
from pose_ingest.settings import IngestSettings
from tests.conftest import TEST_ADMIN_TOKEN

ADMIN_TOKEN = TEST_ADMIN_TOKEN
SettingsFactory = Callable[..., IngestSettings]


@pytest.fixture
def make_settings(
    redis_url: str, database_url: str, unique_prefix: str, tmp_path: Path
) -> SettingsFactory:
    """Settings for this test's Redis prefix and database; keyword overrides win."""

    def build(**overrides: Any) -> IngestSettings:
        values: dict[str, Any] = {
            "env": "test",
            "REDIS_URL": redis_url,
            "DATABASE_URL": database_url,
            "key_prefix": unique_prefix,
            "admin_token": ADMIN_TOKEN,
            "model_dir": tmp_path / "models",
            "data_dir": tmp_path / "data",
            "ingest_backpressure_interval_s": 0.05,
            "ingest_cors_origins": [],
        }
        values.update(overrides)
        return IngestSettings(**values)

    return build


@pytest.fixture
def ingest_settings(make_settings: SettingsFactory) -> IngestSettings:
    return make_settings()


@pytest.fixture
def client(ingest_settings: IngestSettings) -> Iterator[TestClient]:
    """The app in-process; server errors come back as 500s so a test can assert on them."""
    with TestClient(create_app(ingest_settings), raise_server_exceptions=False) as test_client:
        yield test_client


def create_session(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/sessions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def session(client: TestClient) -> dict[str, Any]:
    """A fresh session: {id, token, model, stream_url}."""
    return create_session(client)


AppOpener = Callable[[IngestSettings], tuple[TestClient, dict[str, Any]]]


@pytest.fixture
def open_app() -> Iterator[AppOpener]:
    """Open an app with other settings and a session on it: (client, session)."""
    with ExitStack() as stack:

        def open_one(settings: IngestSettings) -> tuple[TestClient, dict[str, Any]]:
            app = create_app(settings)
            client = stack.enter_context(TestClient(app, raise_server_exceptions=False))
            return client, create_session(client)

        yield open_one


@dataclass(frozen=True)
class LiveServer:
    app: FastAPI
    host: str
    port: int

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def stream_url(self, session_id: str, token: str | None) -> str:
        query = "" if token is None else f"?token={token}"
        return f"{self.ws_url}/v1/sessions/{session_id}/stream{query}"


@contextmanager
def serve(settings: IngestSettings) -> Iterator[LiveServer]:
    """A real uvicorn serving a fresh app on a free port, in a background thread."""
    app = create_app(settings)
    config = server_config(app, settings, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield LiveServer(app=app, host="127.0.0.1", port=port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert not thread.is_alive(), "uvicorn did not stop within 10 s"


@pytest.fixture
def live_server(ingest_settings: IngestSettings) -> Iterator[LiveServer]:
    with serve(ingest_settings) as server:
        yield server
