"""A job from its row to its outcome: the steps of a training (or tuning) run.

For a training job:
1. claim the row (a finished job returns its stored result: jobs are idempotent);
2. load the config with the request's overrides, check the data it selects (fail fast);
3. read the dataset from PostgreSQL, train and evaluate (pose_trainer.training);
4. evaluate the current production version on the candidate's evaluation split;
5. publish the candidate (model, manifest, report, plots, evaluation split) and its registry
   row - once per job, a re-delivered job finds its version and does not publish again;
6. promote it if it beats production (or if forced), else point "candidate" at it;
7. store the result in the row.
Cancellation and shutdown are checked at every progress report.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any, Literal

import psycopg

from pose_common import model_catalog as catalog
from pose_common.trainer_contract import PHASE_DECIDING, PHASE_PUBLISHING
from pose_ml.datasets.checks import DatasetError, check_dataset, with_dataset_overrides
from pose_ml.datasets.store import latest_received, load_dataset
from pose_ml.experiments import ConfigError, ExperimentConfig, load_config
from pose_trainer import jobs, locks
from pose_trainer import metrics as trainer_metrics
from pose_trainer.errors import BadRequest
from pose_trainer.progress import Reporter
from pose_trainer.registry import (
    decision_of_job,
    record_event,
    record_version,
    version_of_job,
)
from pose_trainer.settings import TrainerSettings
from pose_trainer.shutdown import JobInterrupted

log = logging.getLogger(__name__)

ProgressListener = Callable[[dict[str, Any]], None]


class RunningElsewhere(RuntimeError):
    """Another live runner holds the job's lock: this delivery of the job leaves it alone."""


def connect_db(settings: TrainerSettings) -> psycopg.Connection:
    return psycopg.connect(settings.psycopg_url, autocommit=True)


def resolve_config(request: dict[str, Any]) -> ExperimentConfig:
    """The request's config with its overrides; BadRequest names the bad field."""
    try:
        config = load_config(request["config"], overrides=request.get("overrides") or {})
        config = with_dataset_overrides(config, request.get("dataset"))
    except (ConfigError, DatasetError) as exc:
        raise BadRequest(str(exc)) from None
    model = request.get("model")
    if model and model != config.model:
        raise BadRequest(f"config {config.name!r} trains model {config.model!r}, not {model!r}")
    return config


def check_request(conn: psycopg.Connection, config: ExperimentConfig) -> dict[str, int]:
    try:
        return check_dataset(conn, config.dataset)
    except DatasetError as exc:
        raise BadRequest(str(exc)) from None


def run_job(
    job_id: str,
    *,
    settings: TrainerSettings,
    on_progress: ProgressListener | None = None,
    worker: str = "",
) -> dict[str, Any]:
    """Run the job stored under job_id to its end and return its result.

    The connection it runs on holds the job's lock (pose_trainer.locks) until the end; a job
    whose lock another runner holds raises RunningElsewhere and is left to that runner.
    """
    with connect_db(settings) as conn:
        if not locks.try_lock_job(conn, job_id):
            if jobs.get_job(conn, job_id) is None:
                raise BadRequest(f"unknown job {job_id!r}")
            raise RunningElsewhere(f"job {job_id} is being run by another runner")
        job = jobs.claim_job(conn, job_id, worker=worker or "local")
        if job is None:
            raise BadRequest(f"unknown job {job_id!r}")
        if job.finished:
            log.info("job %s is %s already", job_id, job.status)
            return job.result or {"job_id": job_id, "status": job.status, "error": job.error}

        def sink(progress: dict[str, Any]) -> bool:
            return jobs.report_progress(conn, job_id, progress)

        listeners = (on_progress,) if on_progress else ()
        reporter = Reporter(sink, listeners=listeners)
        started = time.monotonic()
        trainer_metrics.RUNNING.inc()
        try:
            result = _dispatch(conn, job, settings=settings, reporter=reporter)
        except jobs.JobCancelled:
            _finish(conn, settings, job_id, status="cancelled", error="cancelled on request")
            trainer_metrics.JOBS.labels(job.kind, "cancelled").inc()
            return {"job_id": job_id, "status": "cancelled"}
        except JobInterrupted:
            _finish(conn, settings, job_id, status="queued")
            raise
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            _finish(conn, settings, job_id, status="failed", error=error)
            trainer_metrics.JOBS.labels(job.kind, "failed").inc()
            raise
        finally:
            trainer_metrics.RUNNING.dec()
            trainer_metrics.JOB_SECONDS.labels(job.kind).observe(time.monotonic() - started)
        result = {"job_id": job_id, "status": "succeeded", **result}
        _finish(conn, settings, job_id, status="succeeded", result=_jsonable(result))
        trainer_metrics.JOBS.labels(job.kind, "succeeded").inc()
        return result


def _finish(
    conn: psycopg.Connection,
    settings: TrainerSettings,
    job_id: str,
    *,
    status: Literal["succeeded", "failed", "cancelled", "queued"],
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Store how the job ended; on a fresh connection when the job's own one was lost.

    A job that failed because PostgreSQL dropped its connection must still end as failed,
    not stay "running" with nobody running it.
    """

    def store(target: psycopg.Connection) -> None:
        if status == "queued":
            jobs.requeue_job(target, job_id)
        else:
            jobs.finish_job(target, job_id, status=status, result=result, error=error)

    try:
        store(conn)
    except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
        log.warning("job %s: its connection is lost (%s); ending it on a new one", job_id, exc)
        with connect_db(settings) as fresh:
            store(fresh)


def _jsonable(value: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(value, default=str))


def _dispatch(
    conn: psycopg.Connection, job: jobs.Job, *, settings: TrainerSettings, reporter: Reporter
) -> dict[str, Any]:
    config = resolve_config(job.request)
    reporter.update(phase="checking data", force=True)
    counts = check_request(conn, config)
    if job.kind == "tune":
        from pose_trainer.tuning import run_tuning

        dataset = load_dataset(conn, config.dataset)
        return run_tuning(config, dataset, reporter=reporter, settings=settings, job_id=job.id)
    if job.kind != "train":
        raise BadRequest(f"unknown job kind {job.kind!r}")
    return _train(conn, job, config=config, counts=counts, settings=settings, reporter=reporter)


def _train(
    conn: psycopg.Connection,
    job: jobs.Job,
    *,
    config: ExperimentConfig,
    counts: dict[str, int],
    settings: TrainerSettings,
    reporter: Reporter,
) -> dict[str, Any]:
    from pose_trainer.publish import publish_outcome
    from pose_trainer.training import train_experiment

    root = settings.model_dir
    mode = str(job.request.get("promote", "auto"))
    version = _published_before(conn, job, config=config, settings=settings)
    if version is None:
        reporter.update(phase="loading data", frames=sum(counts.values()), force=True)
        until = latest_received(conn, config.dataset)
        dataset = load_dataset(conn, config.dataset)
        outcome = train_experiment(config, dataset, reporter=reporter)
        reporter.update(phase=PHASE_PUBLISHING, force=True)
        parent = catalog.resolve_alias(root, config.model, catalog.PRODUCTION)
        version = publish_outcome(
            outcome,
            config=config,
            settings=settings,
            job_id=job.id,
            data_until=until,
            parent_version=parent,
        )
        # Published: a cancel can no longer undo it, so the job finishes what it started.
        reporter.cancellable = False
        _register(
            conn,
            job,
            config=config,
            version=version,
            metrics=outcome.summary_metrics(),
            training_data=outcome.training_data,
            parent_version=parent,
        )
        trainer_metrics.EVALUATION_ACCURACY.labels(config.model).set(outcome.metrics["accuracy"])
    reporter.cancellable = False
    reporter.update(phase=PHASE_DECIDING, version=version, force=True)
    decision = decision_of_job(conn, job.id) or _promote(
        settings,
        model=config.model,
        version=version,
        mode=mode,
        actor=str(job.request.get("actor", "")) or "trainer",
        job_id=job.id,
    )
    manifest = catalog.read_manifest(root, config.model, version)
    return {
        "model": config.model,
        "version": version,
        "config": config.name,
        "metrics": manifest.get("metrics", {}),
        "promotion": decision,
    }


def _published_before(
    conn: psycopg.Connection, job: jobs.Job, *, config: ExperimentConfig, settings: TrainerSettings
) -> int | None:
    """The version this job published on an earlier delivery, if any.

    The registry row is written after the store's atomic publish, so a runner that died in
    between left a version whose manifest names the job but no row: the row (and its
    "published" event) is written now from the manifest instead of training again.
    """
    published = version_of_job(conn, job.id)
    if published is not None:
        log.info("job %s published version %d before", job.id, published[1])
        return published[1]
    root = settings.model_dir
    for version in reversed(catalog.list_versions(root, config.model)):
        manifest = catalog.read_manifest(root, config.model, version)
        if manifest.get("job_id") == job.id:
            log.info("job %s published version %d before its registry row", job.id, version)
            _register(
                conn,
                job,
                config=config,
                version=version,
                metrics=manifest.get("metrics") or {},
                training_data=manifest.get("training_data") or {},
                parent_version=manifest.get("parent_version"),
            )
            return version
    return None


def _register(
    conn: psycopg.Connection,
    job: jobs.Job,
    *,
    config: ExperimentConfig,
    version: int,
    metrics: dict[str, Any],
    training_data: dict[str, Any],
    parent_version: int | None,
) -> None:
    """The registry row of a version this job published, and its "published" event."""
    with conn.transaction():
        record_version(
            conn,
            model=config.model,
            version=version,
            job_id=job.id,
            config=config.name,
            metrics=metrics,
            training_data=training_data,
            parent_version=parent_version,
        )
        record_event(
            conn,
            model=config.model,
            version=version,
            event="published",
            actor=str(job.request.get("actor", "")),
            detail={"job_id": job.id, "config": config.name},
        )


def _promote(
    settings: TrainerSettings, *, model: str, version: int, mode: str, actor: str, job_id: str
) -> dict[str, Any]:
    from pose_trainer.promotion import point_alias, promote_version

    if mode == "never":
        point_alias(settings, model=model, version=version, alias=catalog.CANDIDATE)
        return {"promoted": False, "reason": "promotion not requested (promote=never)"}
    result = promote_version(
        settings=settings,
        model=model,
        version=version,
        force=mode == "force",
        actor=actor,
        job_id=job_id,
    )
    if not result["promoted"]:
        point_alias(settings, model=model, version=version, alias=catalog.CANDIDATE)
    return result
