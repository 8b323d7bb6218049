"""The registry tables: one model_versions row per published version, model_events in order.

The files of a version live in the model store (pose_ml.model_store, shared storage); these
rows add what the API lists and filters on: the job and config that made it, its metrics,
its training data summary, and every publication, promotion, refusal and roll back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb


def record_version(
    conn: psycopg.Connection,
    *,
    model: str,
    version: int,
    job_id: str | None,
    config: str,
    metrics: Mapping[str, Any],
    training_data: Mapping[str, Any],
    parent_version: int | None,
) -> None:
    conn.execute(
        "INSERT INTO model_versions (model, version, job_id, config, metrics, training_data,"
        " parent_version) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        # The store is the truth: a row left from a store that was wiped is replaced.
        " ON CONFLICT (model, version) DO UPDATE SET job_id = EXCLUDED.job_id,"
        " config = EXCLUDED.config, metrics = EXCLUDED.metrics,"
        " training_data = EXCLUDED.training_data, parent_version = EXCLUDED.parent_version,"
        " created_at = now()",
        (
            model,
            version,
            job_id,
            config,
            Jsonb(dict(metrics)),
            Jsonb(dict(training_data)),
            parent_version,
        ),
    )


def version_of_job(conn: psycopg.Connection, job_id: str) -> tuple[str, int] | None:
    """The version a job already published (so a re-delivered job never publishes twice)."""
    row = conn.execute(
        "SELECT model, version FROM model_versions WHERE job_id = %s", (job_id,)
    ).fetchone()
    return None if row is None else (str(row[0]), int(row[1]))


DECISIONS = ("promoted", "forced", "refused")


def decision_of_job(conn: psycopg.Connection, job_id: str) -> dict[str, Any] | None:
    """The promotion decision a training job made before (a re-delivered job keeps it).

    Deciding again could force the job's version over a production that has moved on since.
    """
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "SELECT model, version, event, detail FROM model_events"
            " WHERE detail->>'job_id' = %s AND event = ANY(%s) ORDER BY id DESC LIMIT 1",
            (job_id, list(DECISIONS)),
        )
        row = cur.fetchone()
    if row is None:
        return None
    detail = row["detail"] or {}
    promoted = row["event"] != "refused"
    return {
        "model": row["model"],
        "version": row["version"],
        "promoted": promoted,
        "event": row["event"],
        "reason": detail.get("reason"),
        "previous": detail.get("previous"),
        "production": row["version"] if promoted else detail.get("previous"),
        "candidate_metrics": detail.get("candidate_metrics"),
        "production_metrics": detail.get("production_metrics"),
        "decided_before": True,
    }


def record_event(
    conn: psycopg.Connection,
    *,
    model: str,
    version: int | None,
    event: str,
    alias: str | None = None,
    actor: str = "",
    detail: Mapping[str, Any] | None = None,
) -> None:
    conn.execute(
        "INSERT INTO model_events (model, version, event, alias, actor, detail)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (model, version, event, alias, actor[:64], Jsonb(dict(detail or {}))),
    )


def production_history(conn: psycopg.Connection, model: str) -> list[int]:
    """Versions that production pointed at, oldest first (consecutive repeats collapsed)."""
    rows = conn.execute(
        "SELECT version FROM model_events WHERE model = %s AND alias = 'production'"
        " AND event IN ('promoted', 'forced', 'rolled_back', 'seeded') ORDER BY id",
        (model,),
    ).fetchall()
    history: list[int] = []
    for (version,) in rows:
        if version is not None and (not history or history[-1] != version):
            history.append(int(version))
    return history
