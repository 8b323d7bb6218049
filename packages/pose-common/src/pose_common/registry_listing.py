"""What the admin API and the CLI list: model versions with their registry rows, recent jobs.

One reading for both, so `posestream models` / `posestream jobs` print what
GET /v1/admin/models and GET /v1/admin/jobs answer (no TensorFlow: manifests and rows only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from pose_common import model_catalog

MAX_JOBS = 200


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


def list_jobs(
    conn: psycopg.Connection, *, model: str | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """Recent jobs, newest first (optionally of one model), at most `limit` (1..MAX_JOBS)."""
    if not 1 <= limit <= MAX_JOBS:
        raise ValueError(f"limit must be between 1 and {MAX_JOBS}, got {limit}")
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "SELECT id, kind, model, status, progress, error, cancel_requested, created_at,"
            " started_at, finished_at, result->'version' AS version FROM training_jobs"
            " WHERE %(model)s::text IS NULL OR model = %(model)s"
            " ORDER BY created_at DESC LIMIT %(limit)s",
            {"model": model, "limit": limit},
        )
        return cur.fetchall()
