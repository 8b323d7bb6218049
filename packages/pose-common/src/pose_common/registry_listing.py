"""What the admin API and the CLI list: model versions with their registry rows, jobs, events.

One reading for both, so `posestream models` / `posestream jobs` print what
GET /v1/admin/models and GET /v1/admin/jobs answer (no TensorFlow: manifests and rows only).
Jobs and events come a page at a time, newest first; a page's `next` is the cursor for the one
after it (`before=<that>`), None on the last page, so a long history is read to its start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args

import psycopg
from psycopg.rows import dict_row

from pose_common import model_catalog

MAX_JOBS = 200
MAX_EVENTS = 500
JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
JOB_STATUSES: tuple[str, ...] = get_args(JobStatus)


class UnknownCursor(LookupError):
    """A `before` cursor that names no job of the listing (a typo, or a deleted row)."""


def list_models(conn: psycopg.Connection, root: Path) -> list[dict[str, Any]]:
    """Every model in the store with its aliases and versions, newest version first."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT model, version, job_id, config, metrics FROM model_versions")
        rows = {(r["model"], r["version"]): r for r in cur.fetchall()}
    models = []
    for info in model_catalog.list_models(root):
        versions = []
        for version in reversed(info.versions):
            row = rows.get((info.name, version), {})
            manifest = model_catalog.read_manifest(root, info.name, version)
            versions.append(
                {
                    "version": version,
                    "aliases": sorted(a for a, v in info.aliases.items() if v == version),
                    "metrics": row.get("metrics") or manifest.get("metrics", {}),
                    "labels": manifest.get("labels", []),
                    "config": row.get("config") or (manifest.get("config") or {}).get("name"),
                    "job_id": row.get("job_id"),
                    "created": manifest.get("created"),
                }
            )
        models.append({"name": info.name, "aliases": info.aliases, "versions": versions})
    return models


def job_page(
    conn: psycopg.Connection,
    *,
    model: str | None = None,
    limit: int = 20,
    status: JobStatus | None = None,
    before: str | None = None,
) -> dict[str, Any]:
    """{"jobs": [...], "next": the id to pass as `before` for the next page, or None}."""
    if not 1 <= limit <= MAX_JOBS:
        raise ValueError(f"limit must be between 1 and {MAX_JOBS}, got {limit}")
    if status is not None and status not in JOB_STATUSES:
        raise ValueError(f"status must be one of {', '.join(JOB_STATUSES)}; got {status!r}")
    params = {"model": model, "status": status, "before": before, "limit": limit + 1}
    if before is not None:
        row = conn.execute("SELECT 1 FROM training_jobs WHERE id = %s", (before,)).fetchone()
        if row is None:
            raise UnknownCursor(f"no job {before[:140]!r} to list the jobs before")
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "SELECT id, kind, model, status, progress, error, cancel_requested, created_at,"
            " started_at, finished_at, result->'version' AS version FROM training_jobs"
            " WHERE (%(model)s::text IS NULL OR model = %(model)s)"
            " AND (%(status)s::text IS NULL OR status = %(status)s)"
            " AND (%(before)s::text IS NULL OR (created_at, id) <"
            "      (SELECT created_at, id FROM training_jobs WHERE id = %(before)s))"
            " ORDER BY created_at DESC, id DESC LIMIT %(limit)s",
            params,
        )
        return _page("jobs", cur.fetchall(), limit)


def event_page(
    conn: psycopg.Connection, model: str, *, limit: int = 50, before: int | None = None
) -> dict[str, Any]:
    """A model's publications, promotions, refusals and roll backs, newest first:
    {"events": [...], "next": the id to pass as `before` for older ones, or None}."""
    if not 1 <= limit <= MAX_EVENTS:
        raise ValueError(f"limit must be between 1 and {MAX_EVENTS}, got {limit}")
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "SELECT id, version, event, alias, actor, detail, created_at FROM model_events"
            " WHERE model = %(model)s AND (%(before)s::bigint IS NULL OR id < %(before)s)"
            " ORDER BY id DESC LIMIT %(limit)s",
            {"model": model, "before": before, "limit": limit + 1},
        )
        return _page("events", cur.fetchall(), limit)


def _page(key: str, rows: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    """Rows read with LIMIT limit + 1: the first `limit`, and `next` when there was one more."""
    more = len(rows) > limit
    rows = rows[:limit]
    return {key: rows, "next": rows[-1]["id"] if more else None}
