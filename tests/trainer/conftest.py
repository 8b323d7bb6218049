"""Trainer fixtures: settings on the run's Redis/PostgreSQL, imported shared data, and real
Celery worker processes (`python -m pose_trainer worker|control`)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pose_trainer.celery_app import create_app
from pose_trainer.settings import TrainerSettings
from tests.conftest import FITNESS_CSV, TEST_ADMIN_TOKEN, YOGA_CSV
from tests.processes import stop_service, tail, wait_until

__all__ = ["FITNESS_CSV", "YOGA_CSV"]
# Only the imported rows: other tests store frames with yoga labels in the same database.
YOGA_DATA = {"source_prefix": "import:yoga"}
FITNESS_DATA = {"source_prefix": "import:mlkit"}
# A fast yoga run for tests about the job machinery rather than accuracy.
QUICK = {
    "training.epochs": 3,
    "architecture.ensemble": 1,
    "architecture.hidden": [16],
    "augment.copies": 0,
    "evaluation.cross_validation": None,
}


@pytest.fixture
def trainer_settings(
    redis_url: str, database_url: str, unique_prefix: str, tmp_path: Path, clean_registry: None
) -> TrainerSettings:
    settings = TrainerSettings(
        env="test",
        admin_token=TEST_ADMIN_TOKEN,
        REDIS_URL=redis_url,
        DATABASE_URL=database_url,
        key_prefix=unique_prefix,
        model_dir=tmp_path / "models",
        data_dir=tmp_path / "data",
        metrics_port=0,
        trainer_seed_defaults=False,
    )
    create_app(settings)
    return settings


@dataclass
class Workers:
    """Trainer processes started for one test, with their logs for failure messages."""

    env: dict[str, str]
    log_dir: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, role: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [*_python(), "-m", "pose_trainer", role],
            env=self.env,
            stdout=open(self.log_dir / f"trainer-{role}.log", "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        self.processes[role] = proc
        return proc

    def log(self, role: str) -> str:
        return tail(self.log_dir / f"trainer-{role}.log", 60)

    def logs(self) -> str:
        return "\n".join(f"--- {role} ---\n{self.log(role)}" for role in self.processes)


def _python() -> list[str]:
    import sys

    return [sys.executable]


@pytest.fixture
def workers(
    service_env: dict[str, str], trainer_settings: TrainerSettings, tmp_path: Path
) -> Iterator[Workers]:
    env = dict(service_env)
    env.update(
        {
            "POSE_MODEL_DIR": str(trainer_settings.model_dir),
            "POSE_DATA_DIR": str(trainer_settings.data_dir),
            "POSE_TRAINER_SEED_DEFAULTS": "false",
            "POSE_TRAINER_HEARTBEAT_EVERY_S": "0.5",
        }
    )
    env.pop("POSE_HEARTBEAT_FILE", None)
    log_dir = tmp_path / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    w = Workers(env, log_dir)
    yield w
    for proc in w.processes.values():
        stop_service(proc, timeout=30)


def wait_for_worker(workers: Workers, settings: TrainerSettings, role: str) -> None:
    """Until the role's Celery worker answers a ping."""
    from pose_trainer.celery_app import get_app

    def answered() -> bool:
        proc = workers.processes[role]
        if proc.poll() is not None:
            raise AssertionError(f"trainer {role} exited:\n{workers.log(role)}")
        replies = get_app().control.ping(timeout=0.5) or []
        return any(name.startswith(f"{role}@") for reply in replies for name in reply)

    try:
        wait_until(answered, timeout=90, interval=0.5, what=f"trainer {role} to answer a ping")
    except AssertionError:
        raise AssertionError(f"trainer {role} never answered:\n{workers.log(role)}") from None


def job_row(database_url: str, job_id: str) -> dict[str, Any] | None:
    from psycopg.rows import dict_row

    with psycopg.connect(database_url) as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT * FROM training_jobs WHERE id = %s", (job_id,))
        return cur.fetchone()


Check = Callable[[], Any]
