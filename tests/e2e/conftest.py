"""A whole running backend (ingest, inference, exporter as real processes) for e2e tests."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.processes import free_port, start_service, stop_service, tail, wait_until


@dataclass
class Stack:
    env: dict[str, str]
    log_dir: Path
    base_url: str
    database_url: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, module: str, *, tag: str = "", args: tuple[str, ...] = ()) -> subprocess.Popen:
        proc = start_service(module, self.env, self.log_dir, tag=tag, args=args)
        self.processes[module + tag] = proc
        return proc

    def log(self, module: str, tag: str = "") -> str:
        return tail(self.log_dir / f"{module}{tag}.log")

    def count(self, query: str, *params: object) -> int:
        with psycopg.connect(self.database_url) as conn:
            row = conn.execute(query, params).fetchone()
            return int(row[0]) if row else 0


@pytest.fixture
def stack(service_env: dict[str, str], database_url: str, tmp_path: Path) -> Iterator[Stack]:
    port = free_port()
    env = dict(service_env)
    env.update(
        {
            "POSE_INGEST_PORT": str(port),
            "POSE_INFERENCE_RELOAD_EVERY_S": "0.5",
            "POSE_INFERENCE_RECLAIM_IDLE_MS": "2000",
            "POSE_EXPORTER_RECLAIM_IDLE_MS": "2000",
            "POSE_EXPORTER_DUMP_EVERY_S": "0",
        }
    )
    s = Stack(env, tmp_path / "logs", f"http://127.0.0.1:{port}", database_url)
    yield s
    for proc in s.processes.values():
        stop_service(proc)


def wait_ready(stack: Stack, *, timeout: float = 60.0) -> None:
    """Until ingest answers /readyz."""

    def ready() -> bool:
        try:
            return httpx.get(stack.base_url + "/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(ready, timeout=timeout, what="ingest /readyz")
    except AssertionError:
        raise AssertionError("ingest did not become ready:\n" + stack.log("pose_ingest")) from None
