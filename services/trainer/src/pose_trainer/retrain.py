"""Retraining on a schedule: when enough new labelled frames have arrived for a config.

Celery beat runs queue_due_retraining() every POSE_TRAINER_RETRAIN_EVERY_S. For each config
with retrain.enabled, it counts the frames its dataset selects that arrived after the data of
the model's newest version (manifest training_data.data_until); at retrain.min_new_frames or
more it queues a training job. The job id names the version it follows, so however often the
check runs, one retraining is queued per version; one still queued (its task never
reached the broker) is sent again at the next check.

A retraining that failed (the database went away mid-job, a worker ran out of memory) would
otherwise end the schedule for good: only a new version starts the next round, and the failed
job was to make it. So a failed one is tried again, as `<id>-try2`, `<id>-try3`, ...,
retrain.retry_after_s after it ended, up to retrain.max_attempts jobs per version; then the
check reports that it gave up until someone trains by hand. A cancelled one is an admin's
decision and is not tried again for that version.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from pose_common import model_catalog as catalog
from pose_ml.datasets.store import label_counts
from pose_ml.experiments import ConfigError, ExperimentConfig, load_config, registered_configs
from pose_trainer import jobs
from pose_trainer.runner import connect_db
from pose_trainer.settings import TrainerSettings
from pose_trainer.submit import create_checked_job, send_job

log = logging.getLogger(__name__)


def _data_until(settings: TrainerSettings, model: str) -> tuple[int, datetime | None]:
    versions = catalog.list_versions(settings.model_dir, model)
    if not versions:
        return 0, None
    manifest = catalog.read_manifest(settings.model_dir, model, versions[-1])
    until = (manifest.get("training_data") or {}).get("data_until")
    return versions[-1], datetime.fromisoformat(until) if until else None


@dataclass(frozen=True)
class Attempt:
    job_id: str
    status: str
    ended_s_ago: float | None  # seconds since it finished (database clock); None while open


def _attempts(conn: psycopg.Connection, base_id: str) -> list[Attempt]:
    """The scheduled jobs made for one version so far, oldest first."""
    rows = conn.execute(
        "SELECT id, status, extract(epoch FROM now() - finished_at) FROM training_jobs"
        " WHERE id = %(base)s OR starts_with(id, %(base)s || '-try') ORDER BY created_at, id",
        {"base": base_id},
    ).fetchall()
    return [Attempt(r[0], r[1], None if r[2] is None else float(r[2])) for r in rows]


def _next_job_id(
    config: ExperimentConfig, base_id: str, attempts: list[Attempt], entry: dict[str, Any]
) -> str | None:
    """The id to create or send now (None: nothing to do), noting why in the entry."""
    if not attempts:
        return base_id
    last = attempts[-1]
    if last.status != "failed":
        return last.job_id  # queued: sent again; running or done: create_job keeps it
    entry.update(job_id=last.job_id, failed_attempts=len(attempts))
    options = config.retrain
    if len(attempts) >= options.max_attempts:
        entry["gave_up"] = (
            f"{len(attempts)} scheduled retrainings of this version failed (retrain.max_attempts"
            f" {options.max_attempts}); train by hand once the cause is fixed"
        )
        log.warning("retraining %s: %s", base_id, entry["gave_up"])
        return None
    wait = options.retry_after_s - (last.ended_s_ago or 0.0)
    if wait > 0:
        entry["retry_in_s"] = round(wait)
        return None
    return f"{base_id}-try{len(attempts) + 1}"


def queue_due_retraining(*, settings: TrainerSettings) -> dict[str, Any]:
    """Queue the retraining jobs that are due; returns what was checked and queued."""
    checked: dict[str, Any] = {}
    with connect_db(settings) as conn:
        for name in registered_configs():
            try:
                config = load_config(name)
            except ConfigError as exc:
                log.error("retrain check skips config %s: %s", name, exc)
                continue
            if not config.retrain.enabled:
                continue
            latest, until = _data_until(settings, config.model)
            query = config.dataset
            if until is not None:
                query = query.model_copy(update={"since": until + timedelta(microseconds=1)})
            new_frames = sum(label_counts(conn, query).values())
            entry: dict[str, Any] = {
                "model": config.model,
                "after_version": latest,
                "new_frames": new_frames,
                "needed": config.retrain.min_new_frames,
            }
            base_id = f"retrain-{config.model}-{name}-after-v{latest}"
            job_id = None
            if new_frames >= config.retrain.min_new_frames:
                job_id = _next_job_id(config, base_id, _attempts(conn, base_id), entry)
            if job_id is not None:
                request = {"config": name, "promote": "auto", "actor": "schedule"}
                try:
                    job_id, created = create_checked_job(
                        conn, kind="train", request=request, job_id=job_id
                    )
                except ValueError as exc:
                    entry["error"] = str(exc)
                else:
                    job = jobs.get_job(conn, job_id)
                    # Sent when new, and again while nobody has started it: a send that
                    # failed once (the broker was away) must not leave it queued forever.
                    resend = not created and job is not None and job.status == "queued"
                    if created or resend:
                        try:
                            send_job(settings, kind="train", job_id=job_id)
                        except Exception as exc:  # the broker; the next check sends it again
                            log.error("could not send %s: %s", job_id, exc)
                            entry["error"] = f"not sent ({type(exc).__name__}: {exc})"
                        else:
                            log.info(
                                "queued %s: %d new frames for %s", job_id, new_frames, config.model
                            )
                    entry.update(job_id=job_id, queued=created, resent=resend)
            checked[name] = entry
    return {"checked": checked}
