"""How clients reach the trainer workers: task names, queues and the broker key layout.

Shared by the trainer (which runs the tasks) and by ingest's admin API (which sends them by
name without importing the trainer or TensorFlow). Tasks take ids and plain values only.
"""

from __future__ import annotations

from typing import Any, Final

TASK_TRAIN: Final = "pose_trainer.train"  # args: [job_id]
TASK_TUNE: Final = "pose_trainer.tune"  # args: [job_id]
TASK_EVALUATE: Final = "pose_trainer.evaluate"  # kwargs: model, version
TASK_PROMOTE: Final = "pose_trainer.promote"  # kwargs: model, version, force, actor
TASK_ROLLBACK: Final = "pose_trainer.rollback"  # kwargs: model, to_version, actor
TASK_RETRAIN_CHECK: Final = "pose_trainer.retrain_check"
TASK_RECOVER_JOBS: Final = "pose_trainer.recover_jobs"  # running jobs whose worker died
CONTROL_TASKS: Final = (
    TASK_EVALUATE,
    TASK_PROMOTE,
    TASK_ROLLBACK,
    TASK_RETRAIN_CHECK,
    TASK_RECOVER_JOBS,
)
JOB_TASKS: Final = {"train": TASK_TRAIN, "tune": TASK_TUNE}

# A job id (idempotency key) from a client: also a Celery task id and a path-free name.
JOB_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"

# A training job past its last cancellation point: its version is being (or has been) published.
PHASE_PUBLISHING: Final = "publishing"
PHASE_DECIDING: Final = "deciding promotion"
UNCANCELLABLE_PHASES: Final = (PHASE_PUBLISHING, PHASE_DECIDING)

TRAINING_QUEUE: Final = "pose-trainer"  # long jobs
CONTROL_QUEUE: Final = "pose-trainer-control"  # quick answers, never behind a training run
# The error class name a worker raises for a request that can never succeed (-> HTTP 400).
BAD_REQUEST: Final = "BadRequest"


def celery_prefix(key_prefix: str) -> str:
    """Every broker and result key starts with this."""
    return f"{key_prefix}pose:celery:"


# A client (ingest's admin API, the CLI) tries its result store about 1.5 s before it says Redis
# is away: a person is waiting. Celery's own policy, kept by the long-lived workers, tries for 20 s.
CLIENT_RESULT_RETRY: Final = {
    "max_retries": 3,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
WORKER_RESULT_RETRY: Final = {
    "max_retries": 20,
    "interval_start": 0,
    "interval_step": 1,
    "interval_max": 1,
}


def client_config(*, redis_url: str, key_prefix: str) -> dict[str, Any]:
    """Celery settings for a client that sends trainer tasks and reads their results."""
    prefix = celery_prefix(key_prefix)
    return {
        "broker_url": redis_url,
        "result_backend": redis_url,
        "broker_transport_options": {"global_keyprefix": prefix},
        "result_backend_transport_options": {
            "global_keyprefix": prefix,
            "retry_policy": dict(CLIENT_RESULT_RETRY),
        },
        "task_default_queue": TRAINING_QUEUE,
        "task_routes": {name: {"queue": CONTROL_QUEUE} for name in CONTROL_TASKS},
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
    }
