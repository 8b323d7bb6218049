"""scripts/run_stack.py (`make run`): the plan it resolves, and a real start-up and shutdown.

Runs against the test Redis and PostgreSQL with this run's database and a private key prefix,
on free ports, so it never touches a real `make run` on the default ports.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from devstack.services import ServiceSpec, load_services

from pose_common.health import file_is_fresh
from tests.conftest import TEST_ADMIN_TOKEN
from tests.deploy.conftest import REPO_ROOT
from tests.processes import free_port, tail, wait_until

RUN_STACK = REPO_ROOT / "scripts" / "run_stack.py"


@pytest.fixture
def stack_env(redis_url: str, database_url: str, unique_prefix: str) -> dict[str, str]:
    """The caller's environment for run_stack: our servers, prefix and free ports."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("POSE_") and k not in ("REDIS_URL", "DATABASE_URL")
    }
    env.update(
        {
            "POSE_ENV": "test",
            "POSE_ADMIN_TOKEN": TEST_ADMIN_TOKEN,
            "REDIS_URL": redis_url,
            "DATABASE_URL": database_url,
            "POSE_KEY_PREFIX": unique_prefix,
            "POSE_INGEST_PORT": str(free_port()),
        }
    )
    for spec in load_services():
        if spec.metrics_port is not None:
            env[spec.metrics_port_env] = str(free_port())
    return env


def dry_run(env: dict[str, str], state_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUN_STACK), "--dry-run", "--state-dir", str(state_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_dry_run_uses_the_given_servers_and_the_compose_commands(
    stack_env: dict[str, str], services: list[ServiceSpec], tmp_path: Path
) -> None:
    result = dry_run(stack_env, tmp_path)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["redis"] == {"url": stack_env["REDIS_URL"], "private": False, "argv": None}
    assert plan["postgres"]["url"] == stack_env["DATABASE_URL"]
    assert not plan["postgres"]["private"]
    assert [s["name"] for s in plan["services"]] == [spec.name for spec in services]
    for spec, planned in zip(services, plan["services"], strict=True):
        assert planned["argv"] == [sys.executable, *spec.command[1:]]
        assert planned["log_file"] == str(tmp_path / "log" / f"{spec.name}.log")
        env = planned["env"]
        assert env["POSE_KEY_PREFIX"] == stack_env["POSE_KEY_PREFIX"]
        assert env["POSE_ENV"] == "test"
        assert env["REDIS_URL"] == stack_env["REDIS_URL"]
        assert env["OPENBLAS_NUM_THREADS"] == "1"
        if spec.health == "http":
            assert env[spec.port_env] == stack_env["POSE_INGEST_PORT"]
            assert planned["health_url"].endswith(f":{stack_env['POSE_INGEST_PORT']}/healthz")
        else:
            assert env["POSE_METRICS_PORT"] == stack_env[spec.metrics_port_env]
            assert env["POSE_HEARTBEAT_FILE"] == str(tmp_path / "run" / f"{spec.name}.heartbeat")


def test_dry_run_defaults_to_dev_mode_with_storage_under_the_state_dir(
    stack_env: dict[str, str], tmp_path: Path
) -> None:
    for key in ("POSE_ENV", "POSE_INGEST_PORT", "POSE_INFERENCE_METRICS_PORT"):
        del stack_env[key]
    plan = json.loads(dry_run(stack_env, tmp_path).stdout)
    by_name = {s["name"]: s for s in plan["services"]}
    assert by_name["ingest"]["env"]["POSE_INGEST_PORT"] == "8000"
    assert by_name["inference"]["env"]["POSE_METRICS_PORT"] == "9101"
    for service in plan["services"]:
        assert service["env"]["POSE_ENV"] == "dev"
        assert service["env"]["POSE_DATA_DIR"] == str(tmp_path / "data")
        assert service["env"]["POSE_MODEL_DIR"] == str(tmp_path / "models")


def test_dry_run_never_prints_the_admin_token(stack_env: dict[str, str], tmp_path: Path) -> None:
    stack_env["POSE_ADMIN_TOKEN"] = "a-very-secret-admin-token"
    result = dry_run(stack_env, tmp_path)
    assert result.returncode == 0
    assert "a-very-secret-admin-token" not in result.stdout
    assert json.loads(result.stdout)["services"][0]["env"]["POSE_ADMIN_TOKEN"] == "***"


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("REDIS_URL", "redis://127.0.0.1:{port}/0"),
        ("DATABASE_URL", "postgresql://postgres@127.0.0.1:{port}/posestream"),
    ],
)
def test_an_unreachable_configured_server_is_a_clear_error(
    stack_env: dict[str, str], tmp_path: Path, variable: str, url: str
) -> None:
    stack_env[variable] = url.format(port=free_port())
    result = dry_run(stack_env, tmp_path)
    assert result.returncode == 1
    assert variable in result.stderr and "not reachable" in result.stderr


@pytest.fixture
def running_stack(stack_env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """run_stack.py started for real; whatever happens, nothing it started outlives the test."""
    output = (tmp_path / "run_stack.out").open("wb")
    process = subprocess.Popen(
        [sys.executable, str(RUN_STACK), "--state-dir", str(tmp_path / "var"), "--grace", "20"],
        env=stack_env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    children: list[psutil.Process] = []
    process.children = children  # type: ignore[attr-defined]
    yield process
    for child in [*children, *psutil.Process().children(recursive=True)]:
        if child.pid != process.pid and child.is_running():
            child.kill()
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)
    output.close()


@pytest.mark.slow
def test_make_run_starts_every_service_and_stops_them_on_sigterm(
    running_stack: subprocess.Popen[bytes],
    stack_env: dict[str, str],
    services: list[ServiceSpec],
    tmp_path: Path,
) -> None:
    out = tmp_path / "run_stack.out"
    logs = tmp_path / "var" / "log"

    def explain() -> str:
        parts = [f"--- run_stack output\n{tail(out)}"]
        parts += [f"--- {log.name}\n{tail(log)}" for log in sorted(logs.glob("*.log"))]
        return "\n".join(parts)

    port = stack_env["POSE_INGEST_PORT"]

    def ingest_healthy() -> bool:
        assert running_stack.poll() is None, explain()
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(ingest_healthy, timeout=120, interval=0.5, what="ingest /healthz")
    supervisor = psutil.Process(running_stack.pid)
    children = supervisor.children()
    running_stack.children.extend(children)  # type: ignore[attr-defined]
    expected = {(sys.executable, *spec.command[1:]) for spec in services}
    assert {tuple(child.cmdline()) for child in children} == expected, explain()

    try:
        for spec in services:
            if spec.health != "heartbeat":
                continue
            heartbeat = tmp_path / "var" / "run" / f"{spec.name}.heartbeat"
            wait_until(
                lambda h=heartbeat: file_is_fresh(h, max_age_s=30),
                timeout=60,
                interval=0.5,
                what=f"{spec.name} heartbeat at POSE_HEARTBEAT_FILE",
            )
            metrics = httpx.get(f"http://127.0.0.1:{stack_env[spec.metrics_port_env]}/metrics")
            assert f"pose_{spec.image}_" in metrics.text
        wait_until(lambda: "PoseStream is up" in out.read_text(), timeout=10, what="the banner")

        # Out of the box: the control worker installed the shipped models, ingest lists them.
        def served() -> set[str]:
            listing = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=5).json()
            return {m["name"] for m in listing["models"] if m["production"]}

        wait_until(lambda: served() >= {"yoga", "fitness"}, timeout=60, what="default models")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{explain()}") from error
    running_stack.send_signal(signal.SIGTERM)
    assert running_stack.wait(timeout=60) == 0, explain()
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE, child
    text = out.read_text()
    for spec in services:
        assert f"[{spec.name}] stopped" in text
    assert "restarting" not in text, explain()
