"""Ingest settings: the shared ones plus the POSE_INGEST_* knobs, read once from the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from pose_common.settings import CommonSettings

ONE_MIB = 1024 * 1024


class IngestSettings(CommonSettings):
    """Fields are named ingest_* under the shared POSE_ prefix, so env vars read POSE_INGEST_*."""

    # Same prefix as the base class: the shared fields keep their env names (POSE_KEY_PREFIX...).
    model_config = SettingsConfigDict(env_prefix="POSE_", extra="ignore")

    ingest_host: str = "0.0.0.0"
    ingest_port: int = Field(default=8000, ge=0, le=65535)
    ingest_max_body_bytes: int = Field(
        default=ONE_MIB, ge=1024, description="Largest HTTP batch body or WebSocket message."
    )
    ingest_max_lag_entries: int = Field(
        default=20_000,
        ge=1,
        description="Refuse batches while any consumer group is this many entries behind.",
    )
    ingest_cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated browser origins; empty or * allows all outside prod.",
    )
    ingest_backpressure_interval_s: float = Field(default=0.2, gt=0)
    ingest_retry_after_ms: int = Field(default=1000, ge=1)
    ingest_ws_send_queue: int = Field(default=256, ge=1, description="Replies queued per socket.")
    ingest_ws_prediction_queue: int = Field(
        default=1024, ge=1, description="Predictions queued per socket before the oldest drop."
    )
    ingest_ws_per_message_deflate: bool = Field(
        default=False,
        description="Compress WebSocket messages. Off: inflating each batch cost ~60% more "
        "server CPU per batch here, for ~20 kB/s saved per client.",
    )
    ingest_session_cache_size: int = Field(default=10_000, ge=1)
    ingest_graceful_shutdown_s: int = Field(default=10, ge=0)
    ingest_trainer_answer_timeout_s: float = Field(
        default=120.0, gt=0, description="How long promote/roll back wait for a trainer worker."
    )
    ingest_frontend_dir: Path | None = Field(
        default=None, description="Built browser app; default frontend/dist of the checkout."
    )

    @field_validator("ingest_cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip().rstrip("/") for item in value.split(",") if item.strip()]
        return value

    @property
    def allow_any_origin(self) -> bool:
        """Outside prod an empty list means "anyone"; "*" always does."""
        if "*" in self.ingest_cors_origins:
            return True
        return not self.ingest_cors_origins and self.env != "prod"


@lru_cache
def get_settings() -> IngestSettings:
    """The process-wide settings (read once, so a bad value fails at start)."""
    return IngestSettings()
