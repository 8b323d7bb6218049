"""Jobs whose runner died: "running" rows that no live runner holds the lock of.

A runner holds its job's lock (pose_trainer.locks) on its database session for the whole
job, so a job that is "running" while nobody holds its lock lost its runner without a word:
the worker was killed (OOM, SIGKILL, a lost machine), or its database session was. Celery
would hand the task to another worker only after the broker's visibility timeout (hours);
beat runs recover_orphaned_jobs() every POSE_TRAINER_RECOVER_EVERY_S instead, which queues
such a job again (it restarts from the beginning, as a re-delivered one does) or, after
max_attempts starts, ends it as failed with the reason.
"""

from __future__ import annotations

import logging
from typing import Any

from pose_trainer import jobs, locks
from pose_trainer.errors import QueueUnavailable
from pose_trainer.runner import connect_db
from pose_trainer.settings import TrainerSettings
from pose_trainer.submit import send_job

log = logging.getLogger(__name__)


def recover_orphaned_jobs(*, settings: TrainerSettings) -> dict[str, Any]:
    """Queue again (or fail) every running job without a runner; returns what it did."""
    requeued: list[str] = []
    failed: list[str] = []
    with connect_db(settings) as conn:
        running = conn.execute(
            "SELECT id FROM training_jobs WHERE status = 'running' ORDER BY created_at"
        ).fetchall()
        for (job_id,) in running:
            # Holding the lock ourselves, no runner can claim the job while we change it.
            if not locks.try_lock_job(conn, job_id):
                continue
            try:
                job = jobs.get_job(conn, job_id)
                if job is None or job.status != "running":
                    continue  # it ended between the two reads
                if job.attempts >= settings.trainer_max_attempts:
                    error = (
                        f"its worker stopped without finishing it, {job.attempts} times"
                        f" (killed, out of memory, or its database connection lost)"
                    )
                    jobs.finish_job(conn, job_id, status="failed", error=error)
                    failed.append(job_id)
                    log.error("job %s failed: %s", job_id, error)
                    continue
                jobs.requeue_job(conn, job_id)
                requeued.append(job_id)
            finally:
                locks.unlock_job(conn, job_id)  # before sending: a worker must be able to run it
            try:
                send_job(settings, kind=job.kind, job_id=job_id)
            except QueueUnavailable as exc:
                # Back to "running" without a runner, so the next check tries again.
                conn.execute(
                    "UPDATE training_jobs SET status = 'running'"
                    " WHERE id = %s AND status = 'queued'",
                    (job_id,),
                )
                requeued.remove(job_id)
                log.error("job %s lost its runner and cannot be queued again yet: %s", job_id, exc)
                continue
            log.warning("job %s lost its runner (attempt %d); queued again", job_id, job.attempts)
    return {"requeued": requeued, "failed": failed}
