"""Prometheus config and alert rules (checked and unit-tested by promtool), and the Grafana
dashboard: every query parses and reads only metrics that something really exports."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from devstack.services import ServiceSpec

from tests.deploy.conftest import REPO_ROOT
from tests.deploy.metric_names import (
    KNOWN_METRICS,
    POSE_METRICS,
    exported_series_names,
    metric_names,
)

PROMETHEUS_DIR = REPO_ROOT / "deploy" / "prometheus"
GRAFANA_DIR = REPO_ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "posestream.json"


def promtool() -> str:
    """The promtool `make test` installs under .tools/, else one on PATH, else a skip."""
    local = REPO_ROOT / ".tools" / "bin" / "promtool"
    found = str(local) if local.exists() else shutil.which("promtool")
    if found is None:
        pytest.skip("promtool not installed (`make test` puts it in .tools/bin)")
    return found


def run_promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args], capture_output=True, text=True, timeout=60, check=False
    )


def alert_rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for path in sorted((PROMETHEUS_DIR / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules.extend(group["rules"])
    return rules


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL) for every target of every panel, rows included."""
    panels = json.loads(DASHBOARD.read_text())["panels"]
    flat = [p for panel in panels for p in [panel, *panel.get("panels", [])]]
    return [(p["title"], t["expr"]) for p in flat for t in p.get("targets", [])]


def test_promtool_accepts_the_config() -> None:
    result = run_promtool("check", "config", str(PROMETHEUS_DIR / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_rules() -> None:
    files = [str(p) for p in sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))]
    result = run_promtool("check", "rules", *files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_alerts_fire_as_their_unit_tests_expect() -> None:
    tests = [str(p) for p in sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))]
    result = run_promtool("test", "rules", *tests)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rejects_a_broken_rule(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: rate(x[5m]\n"
    )
    assert run_promtool("check", "rules", str(broken)).returncode != 0


def test_prometheus_scrapes_every_service_on_its_port(
    services: list[ServiceSpec], compose: dict
) -> None:
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    targets = {
        job["job_name"]: [t for sc in job["static_configs"] for t in sc["targets"]]
        for job in config["scrape_configs"]
    }
    for spec in services:
        port = spec.port if spec.port is not None else spec.metrics_port
        assert targets[spec.name] == [f"{spec.name}:{port}"]
    assert targets["redis"] == ["redis-exporter:9121"]
    for job, hosts in targets.items():
        host = hosts[0].split(":")[0]
        assert host == "localhost" or host in compose["services"], job


def test_alert_rules_read_only_known_metrics() -> None:
    rules = alert_rules()
    assert {"PoseStreamLagHigh", "PoseServiceDown", "PoseDeadLettersGrowing"} <= {
        r["alert"] for r in rules
    }
    for rule in rules:
        unknown = metric_names(rule["expr"]) - KNOWN_METRICS
        assert not unknown, f"{rule['alert']} reads unknown metrics {unknown}"


def test_every_dashboard_query_parses_and_reads_known_metrics() -> None:
    queries = dashboard_queries()
    assert queries
    for title, expr in queries:
        names = metric_names(expr)
        assert names, f"{title}: {expr} reads no metric"
        assert not names - KNOWN_METRICS, f"{title} reads unknown metrics {names - KNOWN_METRICS}"


def test_dashboard_shows_every_pose_metric_and_stream_lag() -> None:
    used = set().union(*(metric_names(expr) for _title, expr in dashboard_queries()))
    assert used >= POSE_METRICS, f"not on the dashboard: {POSE_METRICS - used}"
    assert "redis_stream_group_lag" in used


def test_a_bad_query_is_caught() -> None:
    with pytest.raises(ValueError):
        metric_names("sum(rate(pose_ingest_frames_total[$__rate_interval])")


def test_pose_metrics_are_really_exported_by_the_services(services: list[ServiceSpec]) -> None:
    packages = {spec.python_package.replace("-", "_") for spec in services}
    modules = ["pose_common.metrics", *(f"{package}.metrics" for package in sorted(packages))]
    missing = POSE_METRICS - exported_series_names(modules)
    assert not missing, f"no service defines {sorted(missing)}"


def test_dashboard_panels_use_the_provisioned_datasource() -> None:
    provisioned = yaml.safe_load(
        (GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    uid = provisioned["datasources"][0]["uid"]
    dashboard = json.loads(DASHBOARD.read_text())
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == uid, panel["title"]


def test_grafana_loads_dashboards_from_where_compose_mounts_them(compose: dict) -> None:
    provider = yaml.safe_load(
        (GRAFANA_DIR / "provisioning" / "dashboards" / "posestream.yml").read_text()
    )
    path = provider["providers"][0]["options"]["path"]
    assert f"./deploy/grafana/dashboards:{path}:ro" in compose["services"]["grafana"]["volumes"]
