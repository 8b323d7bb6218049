"""The Celery application of the trainer: broker layout, queues, reliability settings.

The contract with clients that send tasks by name (ingest's admin API, the CLI) is
pose_common.trainer_contract: task names, queues (training on one, quick control tasks on
another so a promote never waits behind a training run), every key under
{POSE_KEY_PREFIX}pose:celery:. Long jobs: acks_late + reject_on_worker_lost (a killed worker's
job is re-delivered), prefetch 1, and a visibility timeout above the longest job
(DESIGN.md section 7); jobs are idempotent on their job id.
"""

from __future__ import annotations

from datetime import timedelta

from celery import Celery

from pose_common.trainer_contract import (
    CONTROL_TASKS,
    TASK_EVALUATE,
    TASK_PROMOTE,
    TASK_RECOVER_JOBS,
    TASK_RETRAIN_CHECK,
    TASK_ROLLBACK,
    TASK_TRAIN,
    TASK_TUNE,
    WORKER_RESULT_RETRY,
    client_config,
)
from pose_trainer.settings import TrainerSettings

__all__ = [
    "TASK_EVALUATE",
    "TASK_PROMOTE",
    "TASK_RECOVER_JOBS",
    "TASK_RETRAIN_CHECK",
    "TASK_ROLLBACK",
    "TASK_TRAIN",
    "TASK_TUNE",
    "celery_config",
    "create_app",
    "get_app",
]

_current: Celery | None = None


def celery_config(settings: TrainerSettings, *, client: bool = False) -> dict:
    """Everything app.conf needs, from the settings. A client's (the CLI's) gives up on an
    unreachable result store in seconds; a worker's keeps trying as Celery does."""
    config = client_config(redis_url=settings.redis_url, key_prefix=settings.key_prefix)
    if not client:
        config["result_backend_transport_options"]["retry_policy"] = dict(WORKER_RESULT_RETRY)
    config["broker_transport_options"]["visibility_timeout"] = settings.trainer_visibility_timeout_s
    config["task_default_queue"] = settings.trainer_queue
    config["task_routes"] = {
        name: {"queue": settings.trainer_control_queue} for name in CONTROL_TASKS
    }
    return {
        **config,
        "broker_connection_retry_on_startup": True,
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
            },
            "recover-jobs": {
                "task": TASK_RECOVER_JOBS,
                "schedule": timedelta(seconds=settings.trainer_recover_every_s),
                "options": {"queue": settings.trainer_control_queue, "expires": 60},
            },
        },
        "timezone": "UTC",
    }


def create_app(settings: TrainerSettings, *, client: bool = False) -> Celery:
    """A Celery app on the broker and storage of these settings, with the tasks registered
    (`client`: for a process that only sends and follows jobs, see celery_config).

    A new app (not a reconfigured one) so no connection pool or result backend of earlier
    settings survives; it becomes the current app that get_app() returns.
    """
    global _current
    import pose_trainer.tasks  # noqa: F401  (registers the shared tasks with every app)

    if _current is not None:
        _current.close()
    app = Celery("pose_trainer", set_as_current=True)
    app.conf.update(celery_config(settings, client=client))
    app.conf.pose_settings = settings
    app.finalize(auto=True)
    _current = app
    return app


def get_app() -> Celery:
    """The app of the last create_app(), else one for the environment's settings."""
    if _current is None:
        from pose_trainer.settings import get_settings

        return create_app(get_settings())
    return _current
