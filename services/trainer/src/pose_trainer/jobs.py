"""Rows of training_jobs: create (idempotent), claim, report progress, finish.

A job's row is the truth the API, the CLI and the browser read: status, progress (phase,
epoch, metrics), result or error, and whether a cancel was asked for. Celery carries only
the job id (tasks take ids, not objects), so a task delivered twice finds the row and either
returns the finished result or runs the job again from the start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from pose_common.job_cancel import cancel_refusal, request_cancel

JobKind = Literal["train", "tune", "evaluate"]
FINISHED = ("succeeded", "failed", "cancelled")


__all__ = ["FINISHED", "Job", "JobCancelled", "cancel_refusal", "request_cancel"]


class JobCancelled(Exception):
    """Raised inside a job when its cancel was requested; the job ends as cancelled."""


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    kind: str
    model: str
    request: dict[str, Any]
    status: str
    progress: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    cancel_requested: bool
    attempts: int
    created_at: datetime

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


_COLUMNS = (
    "id, kind, model, request, status, progress, result, error, cancel_requested, attempts,"
    " created_at"
)


def _job(row: Mapping[str, Any] | None) -> Job | None:
    return None if row is None else Job(**row)


def create_job(
    conn: psycopg.Connection, *, job_id: str, kind: JobKind, model: str, request: Mapping[str, Any]
) -> bool:
    """Insert a queued job; False when a job with this id exists already (nothing changes)."""
    row = conn.execute(
        "INSERT INTO training_jobs (id, kind, model, request) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (id) DO NOTHING RETURNING id",
        (job_id, kind, model, Jsonb(dict(request))),
    ).fetchone()
    return row is not None


def get_job(conn: psycopg.Connection, job_id: str) -> Job | None:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM training_jobs WHERE id = %s", (job_id,))
        return _job(cur.fetchone())


def claim_job(conn: psycopg.Connection, job_id: str, *, worker: str) -> Job | None:
    """Mark a job running (a re-delivered one restarts); finished jobs are returned untouched.

    A job whose cancel was requested before it started ends as cancelled here.
    """
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "UPDATE training_jobs SET status = 'cancelled', finished_at = now(),"
            " updated_at = now(), error = 'cancelled before it started'"
            " WHERE id = %s AND status = 'queued' AND cancel_requested",
            (job_id,),
        )
        cur.execute(
            "UPDATE training_jobs SET status = 'running', worker = %s, attempts = attempts + 1,"
            " started_at = now(), updated_at = now(), progress = '{}'::jsonb"
            f" WHERE id = %s AND status IN ('queued', 'running') RETURNING {_COLUMNS}",
            (worker, job_id),
        )
        claimed = cur.fetchone()
    return _job(claimed) if claimed is not None else get_job(conn, job_id)


def report_progress(conn: psycopg.Connection, job_id: str, progress: Mapping[str, Any]) -> bool:
    """Store the job's progress; returns whether a cancel has been requested since."""
    row = conn.execute(
        "UPDATE training_jobs SET progress = %s, updated_at = now() WHERE id = %s"
        " RETURNING cancel_requested",
        (Jsonb(dict(progress)), job_id),
    ).fetchone()
    return bool(row and row[0])


def cancel_requested(conn: psycopg.Connection, job_id: str) -> bool:
    row = conn.execute(
        "SELECT cancel_requested FROM training_jobs WHERE id = %s", (job_id,)
    ).fetchone()
    return bool(row and row[0])


def requeue_job(conn: psycopg.Connection, job_id: str) -> None:
    """Hand a running job back to the queue (its worker is stopping; it will run again)."""
    conn.execute(
        "UPDATE training_jobs SET status = 'queued', updated_at = now() WHERE id = %s"
        " AND status = 'running'",
        (job_id,),
    )


def finish_job(
    conn: psycopg.Connection,
    job_id: str,
    *,
    status: Literal["succeeded", "failed", "cancelled"],
    result: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> None:
    conn.execute(
        "UPDATE training_jobs SET status = %s, result = %s, error = %s, finished_at = now(),"
        " updated_at = now() WHERE id = %s",
        (status, None if result is None else Jsonb(dict(result)), error, job_id),
    )
