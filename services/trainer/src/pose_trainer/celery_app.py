"""The Celery application of the trainer: broker layout, queues, reliability settings.

Contract with the clients that send tasks by name (ingest's admin API, the CLI):
task names TASK_*, queues from TrainerSettings (training on one queue, quick control tasks on
another so a promote never waits behind a training run), and every key under
{POSE_KEY_PREFIX}pose:celery:. Long jobs: acks_late + reject_on_worker_lost (a killed worker's
job is re-delivered), prefetch 1, and a visibility timeout above the longest job
(DESIGN.md section 7); jobs are idempotent on their job id.
"""

from __future__ import annotations

from datetime import timedelta

from celery import Celery

from pose_trainer.settings import TrainerSettings

TASK_TRAIN = "pose_trainer.train"
TASK_TUNE = "pose_trainer.tune"
TASK_EVALUATE = "pose_trainer.evaluate"
TASK_PROMOTE = "pose_trainer.promote"
TASK_ROLLBACK = "pose_trainer.rollback"
TASK_RETRAIN_CHECK = "pose_trainer.retrain_check"
CONTROL_TASKS = (TASK_EVALUATE, TASK_PROMOTE, TASK_ROLLBACK, TASK_RETRAIN_CHECK)

app = Celery("pose_trainer", include=["pose_trainer.tasks"])


def celery_config(settings: TrainerSettings) -> dict:
    """Everything app.conf needs, from the settings (also used by clients that send tasks)."""
    prefix = settings.celery_prefix
    return {
        "broker_url": settings.redis_url,
        "result_backend": settings.redis_url,
        "broker_transport_options": {
            "global_keyprefix": prefix,
            "visibility_timeout": settings.trainer_visibility_timeout_s,
        },
        "result_backend_transport_options": {"global_keyprefix": prefix},
        "broker_connection_retry_on_startup": True,
        "task_default_queue": settings.trainer_queue,
        "task_routes": {name: {"queue": settings.trainer_control_queue} for name in CONTROL_TASKS},
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_track_started": True,
        "worker_prefetch_multiplier": 1,
        "worker_hijack_root_logger": False,
        "task_time_limit": settings.trainer_job_time_limit_s,
        "result_expires": timedelta(days=7),
        "beat_schedule": {
            "retrain-check": {
                "task": TASK_RETRAIN_CHECK,
                "schedule": timedelta(seconds=settings.trainer_retrain_every_s),
                "options": {"queue": settings.trainer_control_queue, "expires": 600},
            }
        },
        "timezone": "UTC",
    }


def configure(settings: TrainerSettings) -> Celery:
    """Point the app at the broker and storage of these settings; returns the app."""
    app.conf.update(celery_config(settings))
    app.conf.pose_settings = settings
    return app
