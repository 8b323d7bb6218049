"""Settings of the inference worker: POSE_* environment variables, read once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator, model_validator

from pose_common.redis_client import SOCKET_TIMEOUT_S
from pose_common.settings import CommonSettings


class InferenceSettings(CommonSettings):
    """How the inference worker reads frames, reloads models and reports health."""

    inference_batch_entries: int = Field(default=64, ge=1, le=10_000)
    inference_block_ms: int = Field(default=500, ge=1)
    inference_reclaim_idle_ms: int = Field(default=30_000, ge=1)
    inference_max_deliveries: int = Field(default=5, ge=1)
    inference_reload_every_s: float = Field(default=2.0, gt=0)
    inference_tf_threads: int = Field(
        default=1, ge=1, description="TensorFlow intra-op threads (small MLPs: 1 is fastest)."
    )
    inference_history_ttl_s: int = Field(
        default=600,
        ge=1,
        description="Seconds a person's frame history (temporal models) outlives its last frame.",
    )
    inference_history_frames: int = Field(
        default=300,
        ge=1,
        description="Frames of history kept per person (at least two windows of the model).",
    )
    metrics_port: int = Field(default=9101, ge=0, le=65535, description="0 turns /metrics off.")
    inference_heartbeat_every_s: float = Field(default=2.0, gt=0)
    inference_heartbeat_file: Path | None = Field(
        default=None,
        # POSE_HEARTBEAT_FILE is what deploy/ (compose, Dockerfile healthchecks) sets.
        validation_alias=AliasChoices("POSE_INFERENCE_HEARTBEAT_FILE", "POSE_HEARTBEAT_FILE"),
        description="Heartbeat file; default {data_dir}/heartbeat/inference.json.",
    )

    @field_validator("inference_heartbeat_file", mode="before")
    @classmethod
    def _empty_means_default(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _block_shorter_than_socket_timeout(self) -> InferenceSettings:
        # A blocking XREADGROUP longer than the socket timeout would end in a TimeoutError.
        if self.inference_block_ms >= SOCKET_TIMEOUT_S * 1000:
            raise ValueError(
                f"POSE_INFERENCE_BLOCK_MS must be below the Redis socket timeout "
                f"({SOCKET_TIMEOUT_S * 1000:.0f} ms)"
            )
        return self

    @property
    def heartbeat_path(self) -> Path:
        return self.inference_heartbeat_file or self.data_dir / "heartbeat" / "inference.json"


@lru_cache
def get_settings() -> InferenceSettings:
    """The process's settings, read from the environment on first use."""
    return InferenceSettings()
