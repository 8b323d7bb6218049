"""Cancelling a training job: one rule for the admin API and the CLI.

A queued job is cancelled at once; a running one is asked to stop at its next epoch; a job
that has finished, or that is publishing its version (past its last cancellation point,
trainer_contract.UNCANCELLABLE_PHASES), is left as it is and the caller is told why.
"""

from __future__ import annotations

import psycopg

from pose_common.trainer_contract import UNCANCELLABLE_PHASES

FINISHED = ("succeeded", "failed", "cancelled")

CANCEL_SQL = (
    "UPDATE training_jobs SET cancel_requested = true, updated_at = now(),"
    " status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,"
    " finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END"
    " WHERE id = %(id)s AND (status = 'queued' OR (status = 'running'"
    " AND coalesce(progress->>'phase', '') <> ALL(%(late)s))) RETURNING status"
)


def request_cancel(conn: psycopg.Connection, job_id: str) -> tuple[str | None, bool]:
    """Ask a job to stop; a queued one is cancelled at once.

    Returns (its status, whether the cancel was taken); (None, False) for an unknown job. A
    finished job, or one publishing its version (UNCANCELLABLE_PHASES), is left as it is.
    """
    row = conn.execute(CANCEL_SQL, {"id": job_id, "late": list(UNCANCELLABLE_PHASES)}).fetchone()
    if row is None:
        found = conn.execute("SELECT status FROM training_jobs WHERE id = %s", (job_id,)).fetchone()
        return (None if found is None else str(found[0])), False
    return str(row[0]), True


def cancel_refusal(job_id: str, status: str) -> str:
    """Why a cancel of this existing job was not taken."""
    if status in FINISHED:
        ended = "been cancelled" if status == "cancelled" else status
        return f"job {job_id} has already {ended}; nothing to cancel"
    return f"job {job_id} is publishing its version: too late to cancel (it finishes as it is)"
