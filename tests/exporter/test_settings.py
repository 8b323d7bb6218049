"""Exporter settings: read from POSE_* variables, refused when a blocking read would time out."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pose_exporter.settings import ExporterSettings


def test_defaults_and_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("POSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("POSE_EXPORTER_DUMP_EVERY_S", "0")
    monkeypatch.setenv("POSE_METRICS_PORT", "9999")
    settings = ExporterSettings()
    assert settings.exporter_dump_every_s == 0
    assert settings.metrics_port == 9999
    assert settings.heartbeat_path == tmp_path / "heartbeat" / "exporter.json"
    assert settings.dumps_dir == tmp_path / "dumps"


def test_a_block_as_long_as_the_socket_timeout_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSE_EXPORTER_BLOCK_MS", "10000")
    with pytest.raises(ValidationError, match="POSE_EXPORTER_BLOCK_MS"):
        ExporterSettings()


def test_the_deploy_heartbeat_variable_is_honoured_and_empty_means_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("POSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("POSE_HEARTBEAT_FILE", "/tmp/pose-heartbeat")
    assert ExporterSettings().heartbeat_path == Path("/tmp/pose-heartbeat")
    monkeypatch.setenv("POSE_HEARTBEAT_FILE", "")
    assert ExporterSettings().heartbeat_path == tmp_path / "heartbeat" / "exporter.json"
