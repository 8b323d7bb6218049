"""Trainer settings: the shared POSE_* ones plus POSE_TRAINER_*, read once, failing fast."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator

from pose_common.settings import CommonSettings
from pose_common.trainer_contract import CONTROL_QUEUE, TRAINING_QUEUE


class TrainerSettings(CommonSettings):
    """How the Celery workers, the beat scheduler and the CLI reach the broker and storage."""

    trainer_queue: str = Field(default=TRAINING_QUEUE, description="Training and tuning jobs.")
    trainer_control_queue: str = Field(
        default=CONTROL_QUEUE,
        description="Promote, roll back, evaluate, retrain checks: never behind a training job.",
    )
    trainer_visibility_timeout_s: int = Field(
        default=6 * 3600,
        ge=60,
        description="Redis re-delivers an unacknowledged task after this: above the longest job.",
    )
    trainer_job_time_limit_s: int = Field(default=3 * 3600, ge=10)
    trainer_retrain_every_s: float = Field(
        default=3600.0, gt=0, description="How often beat checks for enough new labelled frames."
    )
    trainer_recover_every_s: float = Field(
        default=60.0,
        gt=0,
        description="How often beat looks for running jobs whose worker died, to queue them again.",
    )
    trainer_max_attempts: int = Field(
        default=3, ge=1, description="Starts of a job before one whose worker keeps dying fails."
    )
    trainer_seed_defaults: bool = Field(
        default=True, description="Install the shipped default models where a name has none."
    )
    trainer_answer_timeout_s: float = Field(default=120.0, gt=0)
    metrics_port: int = Field(default=9103, ge=0, le=65535, description="0 turns /metrics off.")
    trainer_heartbeat_every_s: float = Field(default=2.0, gt=0)
    trainer_heartbeat_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("POSE_TRAINER_HEARTBEAT_FILE", "POSE_HEARTBEAT_FILE"),
        description="Heartbeat file; default {data_dir}/heartbeat/trainer-<role>.json.",
    )

    @field_validator("trainer_heartbeat_file", mode="before")
    @classmethod
    def _empty_means_default(cls, value: object) -> object:
        return None if value == "" else value

    def heartbeat_path(self, role: str) -> Path:
        return self.trainer_heartbeat_file or self.data_dir / "heartbeat" / f"trainer-{role}.json"


@lru_cache
def get_settings() -> TrainerSettings:
    """The process's settings, read from the environment on first use."""
    return TrainerSettings()
