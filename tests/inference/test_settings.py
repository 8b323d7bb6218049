"""Inference settings: environment names, defaults, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pose_inference.settings import InferenceSettings


def test_reads_pose_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSE_INFERENCE_BATCH_ENTRIES", "128")
    monkeypatch.setenv("POSE_METRICS_PORT", "0")
    monkeypatch.setenv("POSE_DATA_DIR", "/tmp/pose-data")
    settings = InferenceSettings()
    assert settings.inference_batch_entries == 128
    assert settings.metrics_port == 0
    assert settings.heartbeat_path == Path("/tmp/pose-data/heartbeat/inference.json")


def test_heartbeat_file_follows_the_deploy_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSE_HEARTBEAT_FILE", "/tmp/pose-heartbeat")
    assert InferenceSettings().heartbeat_path == Path("/tmp/pose-heartbeat")
    monkeypatch.setenv("POSE_HEARTBEAT_FILE", "")
    monkeypatch.setenv("POSE_DATA_DIR", "/tmp/pose-data")
    assert InferenceSettings().heartbeat_path == Path("/tmp/pose-data/heartbeat/inference.json")


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("POSE_METRICS_PORT", "POSE_HEARTBEAT_FILE", "POSE_INFERENCE_BLOCK_MS"):
        monkeypatch.delenv(variable, raising=False)
    settings = InferenceSettings()
    assert settings.metrics_port == 9101
    assert settings.inference_block_ms < 10_000


def test_refuses_a_block_longer_than_the_socket_timeout() -> None:
    with pytest.raises(ValidationError, match="socket timeout"):
        InferenceSettings(inference_block_ms=10_000)
    with pytest.raises(ValidationError):
        InferenceSettings(inference_batch_entries=0)
