"""Celery tasks: thin edges that take ids, call the job code, and report progress.

Heavy modules (TensorFlow) are imported inside the tasks, so the beat scheduler and the
clients that only send tasks stay light.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from celery.exceptions import Ignore, Reject

from pose_trainer import celery_app as names
from pose_trainer.settings import TrainerSettings, get_settings


def _settings(task: Task) -> TrainerSettings:
    return getattr(task.app.conf, "pose_settings", None) or get_settings()


def _progress_to_state(task: Task):  # type: ignore[no-untyped-def]
    def report(progress: dict[str, Any]) -> None:
        if task.request.id:
            task.update_state(state="PROGRESS", meta=progress)

    return report


def _run(task: Task, job_id: str) -> dict[str, Any]:
    """Run the job; when the worker is stopping, hand it back to the queue (Reject requeue).

    A second delivery of a job that another worker is still running (Redis re-delivers after
    the visibility timeout) is dropped without touching the task's state: the running one
    writes it.
    """
    from pose_trainer.runner import RunningElsewhere, run_job
    from pose_trainer.shutdown import JobInterrupted

    try:
        return run_job(
            job_id,
            settings=_settings(task),
            on_progress=_progress_to_state(task),
            worker=task.request.hostname or "",
        )
    except JobInterrupted as exc:
        raise Reject(str(exc), requeue=True) from None
    except RunningElsewhere as exc:
        raise Ignore(str(exc)) from None


@shared_task(name=names.TASK_TRAIN, bind=True)
def train(self: Task, job_id: str) -> dict[str, Any]:
    """Run training job `job_id` (its request is in training_jobs); idempotent."""
    return _run(self, job_id)


@shared_task(name=names.TASK_TUNE, bind=True)
def tune(self: Task, job_id: str) -> dict[str, Any]:
    """Run tuning job `job_id`; idempotent."""
    return _run(self, job_id)


@shared_task(name=names.TASK_EVALUATE, bind=True)
def evaluate(self: Task, model: str, version: int | None = None) -> dict[str, Any]:
    """Metrics of a version (production by default) on its own evaluation split."""
    from pose_trainer.promotion import evaluate_version

    return evaluate_version(settings=_settings(self), model=model, version=version)


@shared_task(name=names.TASK_PROMOTE, bind=True)
def promote(
    self: Task, model: str, version: int, force: bool = False, actor: str = ""
) -> dict[str, Any]:
    """Point production at `version` if it beats production on its evaluation split."""
    from pose_trainer.promotion import promote_version

    return promote_version(
        settings=_settings(self), model=model, version=version, force=force, actor=actor
    )


@shared_task(name=names.TASK_ROLLBACK, bind=True)
def rollback(
    self: Task, model: str, to_version: int | None = None, actor: str = ""
) -> dict[str, Any]:
    """Point production back at the version before (or `to_version`)."""
    from pose_trainer.promotion import rollback_model

    return rollback_model(settings=_settings(self), model=model, to_version=to_version, actor=actor)


@shared_task(name=names.TASK_RETRAIN_CHECK, bind=True)
def retrain_check(self: Task) -> dict[str, Any]:
    """Queue a training job for every config whose data grew enough since its last version."""
    from pose_trainer.retrain import queue_due_retraining

    return queue_due_retraining(settings=_settings(self))


@shared_task(name=names.TASK_RECOVER_JOBS, bind=True)
def recover_jobs(self: Task) -> dict[str, Any]:
    """Queue again (or fail) the running jobs whose worker died (pose_trainer.recovery)."""
    from pose_trainer.recovery import recover_orphaned_jobs

    return recover_orphaned_jobs(settings=_settings(self))
