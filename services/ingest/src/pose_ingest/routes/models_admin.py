"""Model registry admin API: configs, versions, reports, jobs; train, tune, promote, roll back.

Admin token only. Ingest stays free of TensorFlow: it reads the registry tables and the model
store, checks a training request's config and data itself (a bad one is a 400 at once),
writes the job row, and hands the work to the trainer workers as Celery tasks sent BY NAME
(pose_common.trainer_contract). Promote and roll back wait for the control worker's answer;
training answers 202 at once with the job id to poll.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Annotated, Any, Literal

from celery import Celery
from celery.exceptions import TimeoutError as CeleryTimeout
from fastapi import APIRouter, Body, HTTPException, Query, Request, Response, status
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel, ConfigDict, Field

from pose_common import job_cancel, model_catalog, registry_listing, trainer_contract
from pose_ingest.deps import AdminDep, SettingsDep, StateDep
from pose_ingest.settings import IngestSettings
from pose_ml.datasets.checks import DatasetError, check_dataset, with_dataset_overrides
from pose_ml.experiments import ConfigError, load_config, registered_configs

router = APIRouter(prefix="/v1/admin", tags=["models admin"], dependencies=[AdminDep])

JOB_ID = re.compile(trainer_contract.JOB_ID_PATTERN)
ModelName = Annotated[str, Field(pattern=model_catalog.NAME_PATTERN.pattern)]
REPORT_FILES = {"confusion.png": "image/png", "learning_curves.png": "image/png"}


class TrainBody(BaseModel):
    """A training or tuning request, checked here before anything is queued."""

    model_config = ConfigDict(extra="forbid")

    config: str | dict[str, Any] = Field(
        default="", description="Registered config name (default: the model's name), or a mapping."
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict, description='Config fields, nested or dotted: {"training.epochs": 5}'
    )
    dataset: dict[str, Any] | None = Field(
        default=None, description="Dataset fields to replace (labels, sessions, since, ...)."
    )
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
        client = Celery("pose_ingest_admin", set_as_current=False)
        client.conf.update(
            trainer_contract.client_config(
                redis_url=settings.redis_url, key_prefix=settings.key_prefix
            )
        )
        request.app.state.trainer_celery = client
    return client


def _answer(client: Celery, task: str, kwargs: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """Send a control task by name and wait for its answer; a refusal becomes a 4xx.

    The task expires when the wait does and is revoked on a timeout, so a 504 is not followed
    by the change happening later, when some control worker comes up.
    """
    try:
        result = client.send_task(
            task, kwargs=kwargs, queue=trainer_contract.CONTROL_QUEUE, expires=timeout_s
        )
    except Exception as exc:  # the broker (Redis) is unreachable
        raise _broker_unavailable(exc) from None
    try:
        return dict(result.get(timeout=timeout_s, propagate=True))
    except CeleryTimeout:
        result.revoke()
        raise HTTPException(
            status.HTTP_504_GATEWAY_TIMEOUT,
            f"no trainer control worker answered within {timeout_s:g} s; the request was"
            " withdrawn and changes nothing (is the trainer control worker running?)",
        ) from None
    except Exception as exc:  # the worker's exception, rebuilt by Celery: name + message
        detail = str(exc) or type(exc).__name__
        if type(exc).__name__ == trainer_contract.BAD_REQUEST:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, detail) from None
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, f"trainer failed: {detail}") from None
    finally:
        result.forget()


def _broker_unavailable(exc: Exception) -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        f"cannot reach the trainer queue (Redis): {type(exc).__name__}: {exc}",
        headers={"Retry-After": "5"},
    )


@router.get("/configs")
def list_configs() -> dict[str, Any]:
    """Registered experiment configs: name, the model each trains, description."""
    out = {}
    for name in registered_configs():
        try:
            config = load_config(name)
        except ConfigError as exc:
            out[name] = {"error": str(exc)}
            continue
        out[name] = {
            "model": config.model,
            "description": config.description,
            "labels": config.dataset.labels,
            "architecture": config.architecture.kind,
        }
    return {"configs": out}


@router.get("/models")
def list_model_versions(state: StateDep, settings: SettingsDep) -> dict[str, Any]:
    """Every model with its versions, aliases, metrics and the job/config that made each."""
    with state.pool.connection() as conn:
        return {"models": registry_listing.list_models(conn, settings.model_dir)}


def _version_dir(settings: IngestSettings, name: str, version: int) -> Any:
    try:
        directory = model_catalog.version_dir(settings.model_dir, name, version)
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    if not (directory / model_catalog.MANIFEST_FILE).is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"model {name!r} has no version {version}")
    return directory


@router.get("/models/{name}/versions/{version}")
def version_report(name: str, version: int, settings: SettingsDep) -> dict[str, Any]:
    """A version's manifest and evaluation report (metrics, confusion matrix, history, CV)."""
    directory = _version_dir(settings, name, version)
    manifest = json.loads((directory / model_catalog.MANIFEST_FILE).read_text())
    report_path = directory / model_catalog.REPORT_FILE
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    files = sorted(f for f in REPORT_FILES if (directory / f).is_file())
    return {"manifest": manifest, "report": report, "files": files}


@router.get("/models/{name}/versions/{version}/{filename}")
def version_file(name: str, version: int, filename: str, settings: SettingsDep) -> Response:
    """A plot of a version's report: confusion.png or learning_curves.png."""
    if filename not in REPORT_FILES:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no report file {filename[:64]!r}")
    path = _version_dir(settings, name, version) / filename
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"version {version} has no {filename}")
    return Response(path.read_bytes(), media_type=REPORT_FILES[filename])


@router.get("/models/{name}/events")
def model_events(
    name: str,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=registry_listing.MAX_EVENTS)] = 50,
    before: Annotated[int | None, Query(ge=1, description="`next` of the page before")] = None,
) -> dict[str, Any]:
    """Publications, promotions, refusals and roll backs of a model, newest first, a page at a
    time: pass the answer's `next` as `before` for older ones (None: there are none)."""
    with state.pool.connection() as conn:
        page = registry_listing.event_page(conn, name, limit=limit, before=before)
    return {"model": name, **page}


def _queue_job(
    kind: Literal["train", "tune"],
    name: str,
    body: TrainBody,
    request: Request,
    state: StateDep,
    settings: IngestSettings,
) -> dict[str, Any]:
    """Check the config and the data, store the job row, send the task (idempotent on job_id).

    A job row whose task cannot be sent is marked failed (503); one that exists already and
    is still queued is sent again (its first send may never have reached the broker).
    """
    if isinstance(body.config, str) and body.config and body.config not in registered_configs():
        # Never a path: the API does not read files of the host it runs on.
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"unknown config {body.config[:128]!r}; registered: {sorted(registered_configs())}"
            " (or send the config itself as a mapping)",
        )
    try:
        json.dumps(
            {"config": body.config, "overrides": body.overrides, "dataset": body.dataset},
            allow_nan=False,
        )
    except ValueError:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            "the request holds NaN or Infinity; config values must be finite numbers",
        ) from None
    try:
        config = load_config(body.config or name, overrides=body.overrides)
        config = with_dataset_overrides(config, body.dataset)
    except (ConfigError, DatasetError) as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    if config.model != name:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"config {config.name!r} trains model {config.model!r}, not {name!r}",
        )
    job_id = body.job_id or f"{kind}-{name}-{uuid.uuid4().hex[:12]}"
    job_request = {
        "model": name,
        "config": body.config or name,
        "overrides": body.overrides,
        "dataset": body.dataset,
        "promote": body.promote,
        "actor": "api",
    }
    with state.pool.connection() as conn:
        try:
            counts = check_dataset(conn, config.dataset)
        except DatasetError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
        created = conn.execute(
            "INSERT INTO training_jobs (id, kind, model, request) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (id) DO NOTHING RETURNING id",
            (job_id, kind, name, Jsonb(job_request)),
        ).fetchone()
        existing = conn.execute(
            "SELECT status FROM training_jobs WHERE id = %s", (job_id,)
        ).fetchone()
    # Sent once the row is committed (a worker must find it).
    if created or (existing and existing[0] == "queued"):
        try:
            celery_client(request, settings).send_task(
                trainer_contract.JOB_TASKS[kind],
                args=[job_id],
                task_id=job_id,
                queue=trainer_contract.TRAINING_QUEUE,
            )
        except Exception as exc:  # the broker (Redis) is unreachable: nothing would run it
            with state.pool.connection() as conn:
                conn.execute(
                    "UPDATE training_jobs SET status = 'failed', finished_at = now(),"
                    " updated_at = now(), error = %s WHERE id = %s AND status = 'queued'",
                    (f"could not be queued: {type(exc).__name__}: {exc}", job_id),
                )
            raise _broker_unavailable(exc) from None
    return {"job_id": job_id, "created": bool(created), "kind": kind, "frames": counts}


@router.post("/models/{name}/train", status_code=status.HTTP_202_ACCEPTED)
def start_training(
    name: ModelName,
    request: Request,
    state: StateDep,
    settings: SettingsDep,
    body: Annotated[TrainBody | None, Body()] = None,
) -> dict[str, Any]:
    """Queue a training job; poll GET /v1/admin/jobs/{job_id} for its progress."""
    return _queue_job("train", name, body or TrainBody(), request, state, settings)


@router.post("/models/{name}/tune", status_code=status.HTTP_202_ACCEPTED)
def start_tuning(
    name: ModelName,
    request: Request,
    state: StateDep,
    settings: SettingsDep,
    body: Annotated[TrainBody | None, Body()] = None,
) -> dict[str, Any]:
    """Queue a hyperparameter search within the config's trial/time budget."""
    return _queue_job("tune", name, body or TrainBody(), request, state, settings)


@router.get("/jobs")
def list_jobs(
    state: StateDep,
    model: str | None = None,
    limit: Annotated[int, Query(ge=1, le=registry_listing.MAX_JOBS)] = 20,
    status_: Annotated[registry_listing.JobStatus | None, Query(alias="status")] = None,
    before: Annotated[
        str | None, Query(max_length=128, description="`next` of the page before")
    ] = None,
) -> dict[str, Any]:
    """Recent jobs, newest first (optionally of one model, in one status), a page at a time:
    pass the answer's `next` as `before` for older ones (None: there are none)."""
    with state.pool.connection() as conn:
        try:
            return registry_listing.job_page(
                conn, model=model, limit=limit, status=status_, before=before
            )
        except registry_listing.UnknownCursor as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


@router.get("/jobs/{job_id}")
def get_job(job_id: str, state: StateDep) -> dict[str, Any]:
    """A job's status, progress (phase, fold, epoch, metrics), result or error."""
    with state.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT * FROM training_jobs WHERE id = %s", (job_id,))
        row = cur.fetchone()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown job {job_id[:128]!r}")
    return row


@router.post("/jobs/{job_id}/cancel")
def cancel_job(job_id: str, request: Request, state: StateDep, settings: SettingsDep) -> dict:
    """Stop a job: a queued one never starts, a running one stops at its next epoch.

    409 for a job that has finished already or is publishing its version (its row is left as
    it is).
    """
    with state.pool.connection() as conn:
        found, taken = job_cancel.request_cancel(conn, job_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown job {job_id[:128]!r}")
    if not taken:
        raise HTTPException(status.HTTP_409_CONFLICT, job_cancel.cancel_refusal(job_id, found))
    celery_client(request, settings).control.revoke(job_id)
    return {"job_id": job_id, "status": found, "cancel_requested": True}


@router.post("/models/{name}/promote")
def promote(
    name: ModelName,
    body: Annotated[PromoteBody, Body()],
    request: Request,
    response: Response,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Promote a version if it beats production on its evaluation split (or force=true).

    409 with the reason when it does not.
    """
    kwargs = {"model": name, "version": body.version, "force": body.force, "actor": "api"}
    answer = _answer(
        celery_client(request, settings),
        trainer_contract.TASK_PROMOTE,
        kwargs,
        settings.ingest_trainer_answer_timeout_s,
    )
    if not answer.get("promoted"):
        response.status_code = status.HTTP_409_CONFLICT
    return answer


@router.post("/models/{name}/rollback")
def rollback(
    name: ModelName,
    request: Request,
    settings: SettingsDep,
    body: Annotated[RollbackBody | None, Body()] = None,
) -> dict[str, Any]:
    """Point production back at the version it held before (or to_version)."""
    body = body or RollbackBody()
    kwargs = {"model": name, "to_version": body.to_version, "actor": "api"}
    return _answer(
        celery_client(request, settings),
        trainer_contract.TASK_ROLLBACK,
        kwargs,
        settings.ingest_trainer_answer_timeout_s,
    )
