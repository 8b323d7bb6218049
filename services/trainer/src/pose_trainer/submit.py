"""Queue jobs: a training_jobs row first, then the Celery task carrying only its id.

Used by the CLI and the retrain schedule; ingest's admin API does the same by task name.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any, Literal

import psycopg

from pose_common.trainer_contract import JOB_ID_PATTERN
from pose_trainer import jobs
from pose_trainer.celery_app import TASK_TRAIN, TASK_TUNE, get_app
from pose_trainer.errors import BadRequest, QueueUnavailable
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
    if job_id is not None and not re.match(JOB_ID_PATTERN, job_id):
        raise BadRequest(
            f"invalid job id {job_id[:140]!r}: 1-128 letters, digits and _.:- (starting with a"
            " letter or digit)"
        )
    try:
        json.dumps(request, allow_nan=False)
    except ValueError:
        raise BadRequest(
            "the request holds NaN or Infinity; config values must be finite numbers"
        ) from None
    config = resolve_config(request)
    check_request(conn, config)
    request = {**request, "model": config.model}
    job_id = job_id or new_job_id(kind, config.model)
    created = jobs.create_job(conn, job_id=job_id, kind=kind, model=config.model, request=request)
    return job_id, created


def send_job(settings: TrainerSettings, *, kind: str, job_id: str) -> None:
    """Hand the job to the workers (task id = job id, so Celery state is found by it)."""
    task = TASK_TUNE if kind == "tune" else TASK_TRAIN
    try:
        get_app().send_task(task, args=[job_id], task_id=job_id, queue=settings.trainer_queue)
    except Exception as exc:  # kombu, redis or Celery's result backend: Redis is away
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        raise QueueUnavailable(
            f"cannot reach Redis (REDIS_URL), the trainer's queue, to send job {job_id}:"
            f" {lines[0] if lines else type(exc).__name__}"
        ) from exc
