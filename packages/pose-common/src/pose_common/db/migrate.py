"""Create the database if needed and bring its schema to the newest Alembic revision."""

from __future__ import annotations

from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from psycopg import sql
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pose_common.settings import to_sqlalchemy_url

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any constant shared by all processes: serialises concurrent upgrades at start-up.
_ADVISORY_LOCK_ID = 0x706F7365


def ensure_database(url: str) -> bool:
    """Create the database named in url when it does not exist; True when it was created."""
    target = make_url(to_sqlalchemy_url(url))
    admin = target.set(database="postgres").set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (target.database,)
        ).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target.database or "")))
        return True


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", to_sqlalchemy_url(url).replace("%", "%%"))
    return config


def upgrade_database(url: str) -> None:
    """Apply every pending migration, one process at a time."""
    engine = create_engine(to_sqlalchemy_url(url), poolclass=None)
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
            config = alembic_config(url)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    finally:
        engine.dispose()
