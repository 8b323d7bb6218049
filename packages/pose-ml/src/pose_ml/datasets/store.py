"""Labelled frames in PostgreSQL: import outside sessions, select a dataset, count its labels.

Imported and recorded frames live in the same tables (sessions, frames), so every dataset
comes from one query whatever its origin. A frame's group is its session's subject when one
is set (imports set it; a browser session may), else the session id.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import psycopg
from pydantic import BaseModel, ConfigDict, Field, field_validator

from pose_common.sessions import hash_token, new_session_token
from pose_ml.analysis.storage import FLOAT4_ARRAY_OID, RawArrayLoader, decode_keypoints
from pose_ml.datasets.dataset import Dataset
from pose_ml.datasets.formats import ImportedSession

_IMPORT_NAMESPACE = uuid.UUID("5b0f7a52-3a43-4d57-9d0e-6f1c2e7d9a11")
# Mean keypoint score of a stored frame (scores sit at every third place of the flat array).
_MEAN_SCORE = "(SELECT avg(f.keypoints[i]) FROM generate_series(3, 51, 3) AS i)"


class DatasetQuery(BaseModel):
    """Which labelled frames make a training set."""

    model_config = ConfigDict(extra="forbid")

    labels: list[str] | None = Field(default=None, description="Only these labels (all if unset).")
    sessions: list[uuid.UUID] | None = None
    subjects: list[str] | None = None
    source_prefix: str | None = Field(default=None, description='e.g. "import:yoga"')
    since: datetime | None = Field(default=None, description="Frames received at or after.")
    until: datetime | None = Field(default=None, description="Frames received before.")
    min_score: float = Field(default=0.0, ge=0.0, le=1.0, description="Minimum mean score.")

    @field_validator("labels", "subjects")
    @classmethod
    def _not_empty(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("an empty list selects nothing; leave it unset to select all")
        return value

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition on frames f JOIN sessions s, and its parameters."""
        clauses, params = ["f.label IS NOT NULL"], []
        if self.labels is not None:
            clauses.append("f.label = ANY(%s)")
            params.append(list(self.labels))
        if self.sessions is not None:
            clauses.append("f.session_id = ANY(%s)")
            params.append([str(s) for s in self.sessions])
        if self.subjects is not None:
            clauses.append("s.subject = ANY(%s)")
            params.append(list(self.subjects))
        if self.source_prefix:
            clauses.append("starts_with(s.source, %s)")
            params.append(self.source_prefix)
        if self.since is not None:
            clauses.append("f.received_at >= %s")
            params.append(self.since)
        if self.until is not None:
            clauses.append("f.received_at < %s")
            params.append(self.until)
        if self.min_score > 0:
            clauses.append(f"{_MEAN_SCORE} >= %s")
            params.append(self.min_score)
        return " AND ".join(clauses), params


@dataclass(frozen=True, slots=True)
class ImportSummary:
    sessions: list[str]
    frames_seen: int
    frames_inserted: int
    # Sessions an earlier import of the same source made that this one does not (the file
    # changed, or the importer groups its rows differently now); removed with replace=True.
    stale_sessions: list[str] = field(default_factory=list)
    removed_sessions: int = 0


def import_session_id(*, source: str, subject: str) -> str:
    """Stable id of an imported session: importing the same file twice adds nothing."""
    return str(uuid.uuid5(_IMPORT_NAMESPACE, f"{source}\x1f{subject}"))


def import_sessions(
    conn: psycopg.Connection,
    *,
    sessions: Sequence[ImportedSession],
    model: str,
    replace: bool = False,
) -> ImportSummary:
    """Store imported sessions and their labelled frames (idempotent); commits.

    Sessions of the same source(s) that this import does not make are reported as stale,
    and with replace=True deleted with their frames (the file being imported is their truth).
    """
    ids, seen, inserted = [], 0, 0
    stale: list[str] = []
    removed = 0
    with conn.transaction():
        for session in sessions:
            session_id = import_session_id(source=session.source, subject=session.subject)
            ids.append(session_id)
            conn.execute(
                "INSERT INTO sessions (id, token_hash, name, model, subject, source)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                (
                    session_id,
                    hash_token(new_session_token()),
                    session.name,
                    model,
                    session.subject,
                    session.source,
                ),
            )
            points, times = session.keypoint_array(), session.times()
            rows = [
                (
                    session_id,
                    seq,
                    float(times[seq]),
                    session.detector,
                    session.detector_version,
                    session.width,
                    session.height,
                    points[seq].reshape(-1).tolist(),
                    label,
                )
                for seq, label in enumerate(session.labels)
            ]
            seen += len(rows)
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO frames (session_id, seq, person, t, detector, detector_version,"
                    " width, height, keypoints, label) VALUES (%s, %s, 0, %s, %s, %s, %s, %s,"
                    " %s::real[], %s) ON CONFLICT DO NOTHING",
                    rows,
                )
                inserted += max(cur.rowcount, 0)
        for source in sorted({session.source for session in sessions}):
            rows = conn.execute(
                "SELECT id, name FROM sessions WHERE source = %s AND NOT (id = ANY(%s::uuid[]))"
                " ORDER BY name",
                (source, ids),
            ).fetchall()
            stale += [str(name) for _, name in rows]
            if replace and rows:
                conn.execute(
                    "DELETE FROM sessions WHERE id = ANY(%s::uuid[])", ([str(r[0]) for r in rows],)
                )
                removed += len(rows)
    return ImportSummary(ids, seen, inserted, stale, removed)


def label_counts(conn: psycopg.Connection, query: DatasetQuery) -> dict[str, int]:
    """Frames per label that `query` selects (no keypoints read)."""
    where, params = query.where()
    rows = conn.execute(
        f"SELECT f.label, count(*) FROM frames f JOIN sessions s ON s.id = f.session_id"
        f" WHERE {where} GROUP BY f.label ORDER BY f.label",
        params,
    ).fetchall()
    return {str(label): int(n) for label, n in rows}


def known_labels(conn: psycopg.Connection) -> list[str]:
    """Every label that some stored frame carries."""
    rows = conn.execute(
        "SELECT DISTINCT label FROM frames WHERE label IS NOT NULL ORDER BY label"
    ).fetchall()
    return [str(r[0]) for r in rows]


def latest_received(conn: psycopg.Connection, query: DatasetQuery) -> datetime | None:
    """When the newest frame `query` selects arrived."""
    where, params = query.where()
    row = conn.execute(
        f"SELECT max(f.received_at) FROM frames f JOIN sessions s ON s.id = f.session_id"
        f" WHERE {where}",
        params,
    ).fetchone()
    return None if row is None else row[0]


def load_dataset(conn: psycopg.Connection, query: DatasetQuery) -> Dataset:
    """The frames `query` selects, ordered by session, seq and person."""
    where, params = query.where()
    sql = (
        "SELECT f.session_id::text, f.seq, f.person, f.label,"
        " coalesce(s.subject, f.session_id::text), f.keypoints"
        f" FROM frames f JOIN sessions s ON s.id = f.session_id WHERE {where}"
        " ORDER BY f.session_id, f.seq, f.person"
    )
    sessions, seqs, persons, labels, groups, raw = [], [], [], [], [], []
    with conn.cursor(binary=True) as cur:
        cur.adapters.register_loader(FLOAT4_ARRAY_OID, RawArrayLoader)
        cur.execute(sql, params)
        for session_id, seq, person, label, group, keypoints in cur:
            sessions.append(session_id)
            seqs.append(seq)
            persons.append(person)
            labels.append(label)
            groups.append(group)
            raw.append(keypoints)
    if not raw:
        return Dataset.empty()
    points = decode_keypoints(raw).astype(np.float32)
    return Dataset(points, labels, groups, sessions, seqs, persons)
