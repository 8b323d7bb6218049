"""PostgreSQL advisory locks: one runner per job, one registry change per model at a time.

A job's runner holds its job lock on the connection it runs the job with, for the whole job.
A second delivery of the same job (Redis re-delivers an unacknowledged task after the
visibility timeout; `posestream train --job-id X --local` while a worker runs X) finds the
lock taken and leaves the job to the runner that has it. When a runner dies, its database
session ends and PostgreSQL drops the lock, so "running, and nobody holds its lock" means
the job was orphaned (pose_trainer.recovery).

A model lock serialises the changes of one model's production alias: a promotion reads
production, compares the candidate with it and moves the alias, and two of them (or a
promotion and a roll back) must not interleave, or the later write wins whatever it
compared against.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from pose_trainer.errors import BadRequest

JOB_NAMESPACE = "posestream:job"
MODEL_NAMESPACE = "posestream:model"


def try_lock_job(conn: psycopg.Connection, job_id: str) -> bool:
    """Take the job's lock for this session; False when another session holds it."""
    row = conn.execute(
        "SELECT pg_try_advisory_lock(hashtext(%s), hashtext(%s))", (JOB_NAMESPACE, job_id)
    ).fetchone()
    return bool(row and row[0])


def unlock_job(conn: psycopg.Connection, job_id: str) -> None:
    conn.execute("SELECT pg_advisory_unlock(hashtext(%s), hashtext(%s))", (JOB_NAMESPACE, job_id))


def job_has_runner(conn: psycopg.Connection, job_id: str) -> bool:
    """Whether some live session (not this one) holds the job's lock."""
    if try_lock_job(conn, job_id):
        unlock_job(conn, job_id)
        return False
    return True


@contextmanager
def model_lock(url: str, model: str, *, timeout_s: float = 300.0) -> Iterator[psycopg.Connection]:
    """Hold the model's registry lock (waiting up to timeout_s); yields the locked connection."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"SET lock_timeout = {int(timeout_s * 1000)}")
        try:
            conn.execute(
                "SELECT pg_advisory_lock(hashtext(%s), hashtext(%s))", (MODEL_NAMESPACE, model)
            )
        except psycopg.errors.LockNotAvailable:
            raise BadRequest(
                f"another promotion or roll back of model {model!r} has held it for over"
                f" {timeout_s:g} s; try again when it is done"
            ) from None
        try:
            yield conn
        finally:
            if not conn.closed:
                conn.execute(
                    "SELECT pg_advisory_unlock(hashtext(%s), hashtext(%s))",
                    (MODEL_NAMESPACE, model),
                )
