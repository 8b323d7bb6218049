"""Retraining on a schedule: when enough new labelled frames have arrived for a config.

Celery beat runs queue_due_retraining() every POSE_TRAINER_RETRAIN_EVERY_S. For each config
with retrain.enabled, it counts the frames its dataset selects that arrived after the data of
the model's newest version (manifest training_data.data_until); at retrain.min_new_frames or
more it queues a training job. The job id names the version it follows, so however often the
check runs, one retraining is queued per version; one still queued (its task never
reached the broker) is sent again at the next check.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from pose_common import model_catalog as catalog
from pose_ml.datasets.store import label_counts
from pose_ml.experiments import ConfigError, load_config, registered_configs
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
            if new_frames >= config.retrain.min_new_frames:
                job_id = f"retrain-{config.model}-{name}-after-v{latest}"
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
