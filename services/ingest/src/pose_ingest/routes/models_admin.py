"""Model registry admin API: list versions and jobs, start training, promote, roll back.

Admin token only. Ingest stays free of TensorFlow: it reads the registry tables and the
model store, writes job rows, and hands work to the trainer workers as Celery tasks sent
BY NAME (the names and the broker layout are the trainer's contract, pose_trainer
.celery_app). Promote and roll back wait for the worker's answer; training answers 202 at
once with the job id to poll.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, Literal

from celery import Celery
from celery.exceptions import TimeoutError as CeleryTimeout
from fastapi import APIRouter, Body, HTTPException, Query, Request, status
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel, ConfigDict, Field

from pose_common import model_catalog
from pose_ingest.deps import AdminDep, SettingsDep, StateDep
from pose_ingest.settings import IngestSettings

router = APIRouter(prefix="/v1/admin", tags=["models admin"], dependencies=[AdminDep])

# The trainer's contract (pose_trainer.celery_app / settings): task names, queue, key layout.
TRAIN_TASK = "pose_trainer.train"
PROMOTE_TASK = "pose_trainer.promote"
ROLLBACK_TASK = "pose_trainer.rollback"
TRAINER_QUEUE = "pose-trainer"
ANSWER_TIMEOUT_S = 120.0
JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
ModelName = Annotated[str, Field(pattern=model_catalog.NAME_PATTERN.pattern)]


class TrainBody(BaseModel):
    """A training request; the worker validates the config and the dataset in seconds."""

    model_config = ConfigDict(extra="forbid")

    config: str | dict[str, Any] = Field(description="Registered config name, or a mapping.")
    overrides: dict[str, Any] = Field(default_factory=dict)
    dataset: dict[str, Any] | None = None
    promote: Literal["auto", "never", "force"] = "auto"
    job_id: str | None = Field(default=None, pattern=JOB_ID.pattern)


class PromoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)
    force: bool = False


class RollbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_version: int | None = Field(default=None, ge=1)


def celery_client(request: Request, settings: IngestSettings) -> Celery:
    """One Celery client per app, created on first use (it connects lazily)."""
    client = getattr(request.app.state, "trainer_celery", None)
    if client is None:
        prefix = f"{settings.key_prefix}pose:celery:"
        client = Celery("pose_ingest_admin")
        client.conf.update(
            broker_url=settings.redis_url,
            result_backend=settings.redis_url,
            broker_transport_options={"global_keyprefix": prefix},
            result_backend_transport_options={"global_keyprefix": prefix},
            task_default_queue=TRAINER_QUEUE,
            task_serializer="json",
            result_serializer="json",
            accept_content=["json"],
        )
        request.app.state.trainer_celery = client
    return client


def _answer(client: Celery, task: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Send a task by name and wait for the worker's answer; a refusal becomes a 4xx."""
    result = client.send_task(task, kwargs=kwargs)
    try:
        return dict(result.get(timeout=ANSWER_TIMEOUT_S, propagate=True))
    except CeleryTimeout:
        raise HTTPException(status.HTTP_504_GATEWAY_TIMEOUT, "no trainer worker answered") from None
    except Exception as exc:  # the worker's BadRequest, rebuilt by Celery: name + message
        detail = str(exc) or type(exc).__name__
        code = status.HTTP_400_BAD_REQUEST if type(exc).__name__ == "BadRequest" else 502
        raise HTTPException(code, detail) from None


@router.get("/models")
def list_model_versions(state: StateDep, settings: SettingsDep) -> dict[str, Any]:
    """Every model with its versions, aliases and registry metrics."""
    with state.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT model, version, job_id, metrics, created_at FROM model_versions")
        rows = {(r["model"], r["version"]): r for r in cur.fetchall()}
    models = []
    for info in model_catalog.list_models(settings.model_dir):
        versions = []
        for version in info.versions:
            row = rows.get((info.name, version), {})
            versions.append(
                {
                    "version": version,
                    "aliases": sorted(a for a, v in info.aliases.items() if v == version),
                    "metrics": row.get("metrics")
                    or model_catalog.read_manifest(settings.model_dir, info.name, version).get(
                        "metrics", {}
                    ),
                    "job_id": row.get("job_id"),
                }
            )
        models.append({"name": info.name, "aliases": info.aliases, "versions": versions})
    return {"models": models}


@router.get("/models/{name}/events")
def model_events(
    name: str, state: StateDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> dict[str, Any]:
    """Publications, promotions, refusals and roll backs of a model, newest first."""
    with state.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "SELECT version, event, alias, actor, detail, created_at FROM model_events"
            " WHERE model = %s ORDER BY id DESC LIMIT %s",
            (name, limit),
        )
        return {"model": name, "events": cur.fetchall()}


@router.post("/models/{name}/train", status_code=status.HTTP_202_ACCEPTED)
def start_training(
    name: ModelName,
    body: Annotated[TrainBody, Body()],
    request: Request,
    state: StateDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Queue a training job (idempotent on job_id); poll GET /v1/admin/jobs/{job_id}."""
    job_id = body.job_id or f"train-{name}-{uuid.uuid4().hex[:12]}"
    job_request = {
        "model": name,
        "config": body.config,
        "overrides": body.overrides,
        "dataset": body.dataset,
        "promote": body.promote,
        "actor": "api",
    }
    with state.pool.connection() as conn:
        created = conn.execute(
            "INSERT INTO training_jobs (id, kind, model, request) VALUES (%s, 'train', %s, %s)"
            " ON CONFLICT (id) DO NOTHING RETURNING id",
            (job_id, name, Jsonb(job_request)),
        ).fetchone()
    if created:
        celery_client(request, settings).send_task(TRAIN_TASK, args=[job_id], task_id=job_id)
    return {"job_id": job_id, "created": bool(created)}


@router.get("/jobs/{job_id}")
def get_job(job_id: str, state: StateDep) -> dict[str, Any]:
    """A job's status, progress (epoch, metrics), result or error."""
    with state.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT * FROM training_jobs WHERE id = %s", (job_id,))
        row = cur.fetchone()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown job {job_id[:128]!r}")
    return row


@router.post("/jobs/{job_id}/cancel")
def cancel_job(job_id: str, request: Request, state: StateDep, settings: SettingsDep) -> dict:
    """Stop a job: a queued one never starts, a running one stops after its current epoch."""
    with state.pool.connection() as conn:
        row = conn.execute(
            "UPDATE training_jobs SET cancel_requested = true WHERE id = %s RETURNING status",
            (job_id,),
        ).fetchone()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown job {job_id[:128]!r}")
    celery_client(request, settings).control.revoke(job_id)
    return {"job_id": job_id, "status": row[0], "cancel_requested": True}


@router.post("/models/{name}/promote")
def promote(
    name: ModelName, body: Annotated[PromoteBody, Body()], request: Request, settings: SettingsDep
) -> dict[str, Any]:
    """Promote a version if it beats production on its evaluation split (or force=true)."""
    kwargs = {"model": name, "version": body.version, "force": body.force, "actor": "api"}
    return _answer(celery_client(request, settings), PROMOTE_TASK, kwargs)


@router.post("/models/{name}/rollback")
def rollback(
    name: ModelName, body: Annotated[RollbackBody, Body()], request: Request, settings: SettingsDep
) -> dict[str, Any]:
    """Point production back at the previous version (or to_version)."""
    kwargs = {"model": name, "to_version": body.to_version, "actor": "api"}
    return _answer(celery_client(request, settings), ROLLBACK_TASK, kwargs)
