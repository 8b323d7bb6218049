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
from typing import Any

import psycopg

from pose_common import model_catalog as catalog
from pose_ml.datasets.checks import DatasetError, check_dataset, with_dataset_overrides
from pose_ml.datasets.store import latest_received, load_dataset
from pose_ml.experiments import ConfigError, ExperimentConfig, load_config
from pose_trainer import jobs
from pose_trainer import metrics as trainer_metrics
from pose_trainer.errors import BadRequest
from pose_trainer.progress import Reporter
from pose_trainer.registry import record_event, record_version, version_of_job
from pose_trainer.settings import TrainerSettings
from pose_trainer.shutdown import JobInterrupted

log = logging.getLogger(__name__)

ProgressListener = Callable[[dict[str, Any]], None]


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
    """Run the job stored under job_id to its end and return its result."""
    with connect_db(settings) as conn:
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
            jobs.finish_job(conn, job_id, status="cancelled", error="cancelled on request")
            trainer_metrics.JOBS.labels(job.kind, "cancelled").inc()
            return {"job_id": job_id, "status": "cancelled"}
        except JobInterrupted:
            conn.execute("UPDATE training_jobs SET status = 'queued' WHERE id = %s", (job_id,))
            raise
        except Exception as exc:
            jobs.finish_job(conn, job_id, status="failed", error=f"{type(exc).__name__}: {exc}")
            trainer_metrics.JOBS.labels(job.kind, "failed").inc()
            raise
        finally:
            trainer_metrics.RUNNING.dec()
            trainer_metrics.JOB_SECONDS.labels(job.kind).observe(time.monotonic() - started)
        result = {"job_id": job_id, "status": "succeeded", **result}
        jobs.finish_job(conn, job_id, status="succeeded", result=_jsonable(result))
        trainer_metrics.JOBS.labels(job.kind, "succeeded").inc()
        return result


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
    published = version_of_job(conn, job.id)
    if published is None:
        reporter.update(phase="loading data", frames=sum(counts.values()), force=True)
        until = latest_received(conn, config.dataset)
        dataset = load_dataset(conn, config.dataset)
        outcome = train_experiment(config, dataset, reporter=reporter)
        reporter.update(phase="publishing", force=True)
        version = publish_outcome(
            outcome,
            config=config,
            settings=settings,
            job_id=job.id,
            data_until=until,
        )
        record_version(
            conn,
            model=config.model,
            version=version,
            job_id=job.id,
            config=config.name,
            metrics=outcome.summary_metrics(),
            training_data=outcome.training_data,
            parent_version=catalog.resolve_alias(root, config.model, catalog.PRODUCTION),
        )
        record_event(
            conn,
            model=config.model,
            version=version,
            event="published",
            actor=str(job.request.get("actor", "")),
            detail={"job_id": job.id, "config": config.name},
        )
        trainer_metrics.EVALUATION_ACCURACY.labels(config.model).set(outcome.metrics["accuracy"])
    else:
        version = published[1]
        log.info("job %s published version %d before; deciding promotion again", job.id, version)
    reporter.update(phase="deciding promotion", version=version, force=True)
    decision = _promote(
        settings,
        model=config.model,
        version=version,
        mode=mode,
        actor=str(job.request.get("actor", "")) or "trainer",
    )
    manifest = catalog.read_manifest(root, config.model, version)
    return {
        "model": config.model,
        "version": version,
        "config": config.name,
        "metrics": manifest.get("metrics", {}),
        "promotion": decision,
    }


def _promote(
    settings: TrainerSettings, *, model: str, version: int, mode: str, actor: str
) -> dict[str, Any]:
    from pose_trainer.promotion import point_alias, promote_version

    if mode == "never":
        point_alias(settings, model=model, version=version, alias=catalog.CANDIDATE)
        return {"promoted": False, "reason": "promotion not requested (promote=never)"}
    result = promote_version(
        settings=settings, model=model, version=version, force=mode == "force", actor=actor
    )
    if not result["promoted"]:
        point_alias(settings, model=model, version=version, alias=catalog.CANDIDATE)
    return result
