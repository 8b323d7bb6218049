"""Settings of the exporter worker: POSE_* environment variables, read once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator, model_validator

from pose_common.redis_client import SOCKET_TIMEOUT_S
from pose_common.settings import CommonSettings


class ExporterSettings(CommonSettings):
    """How the exporter reads both streams, writes PostgreSQL, dumps files and reports health."""

    exporter_batch_entries: int = Field(default=64, ge=1, le=10_000)
    exporter_block_ms: int = Field(default=500, ge=1)
    exporter_reclaim_idle_ms: int = Field(
        default=60_000, ge=1, description="Idle time before a peer's pending entry is taken over."
    )
    exporter_reclaim_every_s: float = Field(default=5.0, ge=0)
    exporter_max_deliveries: int = Field(default=5, ge=1)
    exporter_frames_consumers: int = Field(
        default=2,
        ge=1,
        le=16,
        description="Frames consumer threads: one packs a batch while another waits on COPY.",
    )
    exporter_dump_every_s: float = Field(
        default=60.0, ge=0, description="Seconds between CSV/JSON dump rounds; 0 turns dumps off."
    )
    exporter_db_timeout_s: float = Field(
        default=5.0, gt=0, description="Longest wait for a PostgreSQL connection."
    )
    metrics_port: int = Field(default=9102, ge=0, le=65535, description="0 turns /metrics off.")
    exporter_heartbeat_file: Path | None = Field(
        default=None,
        # POSE_HEARTBEAT_FILE is what deploy/ (compose, Dockerfile healthchecks) sets.
        validation_alias=AliasChoices("POSE_EXPORTER_HEARTBEAT_FILE", "POSE_HEARTBEAT_FILE"),
        description="Heartbeat file; default {data_dir}/heartbeat/exporter.json.",
    )

    @field_validator("exporter_heartbeat_file", mode="before")
    @classmethod
    def _empty_means_default(cls, value: object) -> object:
        # An empty variable would otherwise become Path("."), a directory.
        return None if value == "" else value

    @model_validator(mode="after")
    def _block_shorter_than_socket_timeout(self) -> ExporterSettings:
        # A blocking XREADGROUP longer than the socket timeout would end in a TimeoutError.
        if self.exporter_block_ms >= SOCKET_TIMEOUT_S * 1000:
            raise ValueError(
                f"POSE_EXPORTER_BLOCK_MS must be below the Redis socket timeout "
                f"({SOCKET_TIMEOUT_S * 1000:.0f} ms)"
            )
        return self

    @property
    def heartbeat_path(self) -> Path:
        return self.exporter_heartbeat_file or self.data_dir / "heartbeat" / "exporter.json"

    @property
    def dumps_dir(self) -> Path:
        return self.data_dir / "dumps"


@lru_cache
def get_settings() -> ExporterSettings:
    """The process's settings, read from the environment on first use."""
    return ExporterSettings()
