"""Settings shared by every service: read once from the environment, fail fast on bad values."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_ADMIN_TOKEN = "dev-admin-token"


class CommonSettings(BaseSettings):
    """What every PoseStream process needs: where Redis, PostgreSQL and storage are."""

    model_config = SettingsConfigDict(env_prefix="POSE_", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias=AliasChoices("REDIS_URL", "POSE_REDIS_URL"),
    )
    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/posestream",
        validation_alias=AliasChoices("DATABASE_URL", "POSE_DATABASE_URL"),
    )
    key_prefix: str = Field(default="", description="Prefix of every Redis key.")
    data_dir: Path = Path("var/data")
    model_dir: Path = Path("var/models")
    admin_token: str = DEV_ADMIN_TOKEN
    log_level: str = "INFO"
    log_json: bool = False
    default_model: str = "yoga"

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> CommonSettings:
        if self.env != "dev" and self.admin_token == DEV_ADMIN_TOKEN:
            raise ValueError(
                f"POSE_ADMIN_TOKEN must be set to a secret outside dev mode (POSE_ENV={self.env})"
            )
        if self.env != "dev" and len(self.admin_token) < 16:
            raise ValueError("POSE_ADMIN_TOKEN must be at least 16 characters")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with the psycopg 3 driver named, as SQLAlchemy wants it."""
        return to_sqlalchemy_url(self.database_url)

    @property
    def psycopg_url(self) -> str:
        """The database URL without a driver suffix, as psycopg wants it."""
        return self.database_url.replace("postgresql+psycopg://", "postgresql://", 1)


def to_sqlalchemy_url(url: str) -> str:
    """postgresql://... -> postgresql+psycopg://... (other forms unchanged)."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url
