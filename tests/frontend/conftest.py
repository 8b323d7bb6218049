"""A real backend (ingest serving the built page, inference, exporter) for browser tests.

One backend for all browser tests keeps them fast; each test opens its own session.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
import redis

from pose_common.streams import StreamKeys
from tests.conftest import TEST_ADMIN_TOKEN
from tests.frontend.browser import require_tools
from tests.frontend.build import ensure_frontend_built
from tests.processes import free_port, start_service, stop_service, tail, wait_until

CLASSIFIER = "squats"
CLASSIFIER_LABELS = ["squat_down", "squat_up", "standing"]
SERVICES = ("pose_exporter", "pose_inference", "pose_ingest")


@dataclass
class Backend:
    env: dict[str, str]
    log_dir: Path
    port: int
    database_url: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    restarts: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, module: str) -> None:
        tag = f".{self.restarts}" if module == "pose_ingest" and self.restarts else ""
        self.processes[module] = start_service(module, self.env, self.log_dir, tag=tag)

    def stop(self, module: str) -> None:
        stop_service(self.processes.pop(module))

    def restart_ingest_after(self, seconds: float) -> None:
        """Stop ingest (its WebSockets close), wait, start it again on the same port."""
        import time

        self.stop("pose_ingest")
        time.sleep(seconds)
        self.restarts += 1
        self.start("pose_ingest")
        self.wait_ready()

    def wait_ready(self, timeout: float = 60.0) -> None:
        def ready() -> bool:
            try:
                return httpx.get(self.base_url + "/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_until(ready, timeout=timeout, what="ingest /readyz")
        except AssertionError:
            raise AssertionError("ingest not ready:\n" + self.log("pose_ingest")) from None

    def log(self, module: str) -> str:
        return tail(self.log_dir / f"{module}.log")

    def query(self, sql: str, *params: object) -> list[tuple]:
        with psycopg.connect(self.database_url) as conn:
            return conn.execute(sql, params).fetchall()


def _publish_classifier(env: dict[str, str]) -> None:
    """A small (untrained) classifier, so live labels come back from inference."""
    from pose_ml.model_store import build_mlp, publish_model

    client = redis.Redis.from_url(env["REDIS_URL"])
    try:
        publish_model(
            root=Path(env["POSE_MODEL_DIR"]),
            name=CLASSIFIER,
            model=build_mlp(len(CLASSIFIER_LABELS), seed=3),
            labels=CLASSIFIER_LABELS,
            redis=client,
            models_stream=StreamKeys(env["POSE_KEY_PREFIX"]).models,
        )
    finally:
        client.close()


@pytest.fixture(scope="session")
def frontend_dist() -> Path:
    require_tools()
    return ensure_frontend_built()


@pytest.fixture(scope="package")
def backend(
    frontend_dist: Path,
    redis_url: str,
    database_url: str,
    key_prefix: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Backend]:
    work = tmp_path_factory.mktemp("frontend-backend")
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSE_") and k != "DATABASE_URL"}
    env.update(
        {
            "POSE_ENV": "test",
            "POSE_ADMIN_TOKEN": TEST_ADMIN_TOKEN,
            "REDIS_URL": redis_url,
            "DATABASE_URL": database_url,
            "POSE_KEY_PREFIX": f"{key_prefix}{uuid.uuid4().hex[:8]}:",
            "POSE_DATA_DIR": str(work / "data"),
            "POSE_MODEL_DIR": str(work / "models"),
            "POSE_METRICS_PORT": "0",
            "POSE_DEFAULT_MODEL": CLASSIFIER,
            "POSE_INGEST_GRACEFUL_SHUTDOWN_S": "1",
            "POSE_INFERENCE_RELOAD_EVERY_S": "0.5",
            "POSE_EXPORTER_DUMP_EVERY_S": "0",
            "OPENBLAS_NUM_THREADS": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
    )
    port = free_port()
    env["POSE_INGEST_PORT"] = str(port)
    _publish_classifier(env)
    backend = Backend(env, work / "logs", port, database_url)
    for module in SERVICES:
        backend.start(module)
    try:
        backend.wait_ready()
        yield backend
    finally:
        for module in list(backend.processes):
            backend.stop(module)
