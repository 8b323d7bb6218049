"""Queue jobs: a training_jobs row first, then the Celery task carrying only its id.

Used by the CLI and the retrain schedule; ingest's admin API does the same by task name.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

import psycopg

from pose_trainer import jobs
from pose_trainer.celery_app import TASK_TRAIN, TASK_TUNE, get_app
from pose_trainer.runner import check_request, resolve_config
from pose_trainer.settings import TrainerSettings


def new_job_id(kind: str, model: str) -> str:
    return f"{kind}-{model}-{uuid.uuid4().hex[:12]}"


def create_checked_job(
    conn: psycopg.Connection,
    *,
    kind: Literal["train", "tune"],
    request: dict[str, Any],
    job_id: str | None = None,
) -> tuple[str, bool]:
    """Validate the request (config, data) and store its job row; returns (id, created)."""
    config = resolve_config(request)
    check_request(conn, config)
    request = {**request, "model": config.model}
    job_id = job_id or new_job_id(kind, config.model)
    created = jobs.create_job(conn, job_id=job_id, kind=kind, model=config.model, request=request)
    return job_id, created


def send_job(settings: TrainerSettings, *, kind: str, job_id: str) -> None:
    """Hand the job to the workers (task id = job id, so Celery state is found by it)."""
    task = TASK_TUNE if kind == "tune" else TASK_TRAIN
    get_app().send_task(task, args=[job_id], task_id=job_id, queue=settings.trainer_queue)
