"""Labelled frames in PostgreSQL: import, select by every DatasetQuery field, group, count."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
import pytest

from pose_ml.datasets.formats import ImportedSession
from pose_ml.datasets.store import (
    DatasetQuery,
    import_session_id,
    import_sessions,
    label_counts,
    latest_received,
    load_dataset,
)


def _session(subject: str, labels: list[str], *, score: float = 0.9) -> ImportedSession:
    session = ImportedSession(
        name=f"test {subject}",
        subject=subject,
        source=f"import:test-{uuid.uuid4().hex[:8]}",
        detector="movenet",
        detector_version="4",
        width=640,
        height=480,
    )
    rng = np.random.default_rng(len(labels))
    for label in labels:
        points = np.concatenate([rng.uniform(0, 400, (17, 2)), np.full((17, 1), score)], axis=1)
        session.add(label=label, points=points, frame_name="f")
    return session


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database_url, autocommit=True) as connection:
        yield connection


def test_import_then_load_gives_back_the_frames_grouped_by_subject(
    conn: psycopg.Connection,
) -> None:
    anna, ben = _session("anna", ["up", "down", "up"]), _session("ben", ["down", "down"])
    summary = import_sessions(conn, sessions=[anna, ben], model="testmodel")
    assert summary.frames_seen == summary.frames_inserted == 5
    assert import_sessions(conn, sessions=[anna, ben], model="testmodel").frames_inserted == 0
    query = DatasetQuery(source_prefix=anna.source)
    data = load_dataset(conn, query)
    assert len(data) == 3 and list(data.labels) == ["up", "down", "up"]
    assert set(data.groups) == {"anna"} and list(data.seqs) == [0, 1, 2]
    np.testing.assert_allclose(data.keypoints, anna.keypoint_array(), rtol=1e-6)
    assert data.sessions[0] == import_session_id(source=anna.source, subject="anna")
    assert (
        label_counts(conn, DatasetQuery(source_prefix="import:test-", labels=["down"]))["down"] >= 3
    )


def test_a_reimport_that_groups_rows_differently_reports_and_on_request_removes_the_old(
    conn: psycopg.Connection,
) -> None:
    first = _session("run-1", ["up", "down"])
    import_sessions(conn, sessions=[first], model="testmodel")
    regrouped = _session("run-a", ["up", "down"])
    regrouped.source = first.source  # the same file, read with another grouping
    kept = import_sessions(conn, sessions=[regrouped], model="testmodel")
    assert kept.stale_sessions == ["test run-1"] and kept.removed_sessions == 0
    assert len(load_dataset(conn, DatasetQuery(source_prefix=first.source))) == 4
    replaced = import_sessions(conn, sessions=[regrouped], model="testmodel", replace=True)
    assert replaced.stale_sessions == ["test run-1"] and replaced.removed_sessions == 1
    data = load_dataset(conn, DatasetQuery(source_prefix=first.source))
    assert len(data) == 2 and set(data.groups) == {"run-a"}
    again = import_sessions(conn, sessions=[regrouped], model="testmodel", replace=True)
    assert again.stale_sessions == [] and again.frames_inserted == 0


def test_every_query_field_selects(conn: psycopg.Connection) -> None:
    low = _session("carl", ["a", "b"], score=0.3)
    high = _session("dora", ["a", "b", "c"], score=0.95)
    ids = import_sessions(conn, sessions=[low, high], model="testmodel").sessions
    both = [uuid.UUID(i) for i in ids]
    assert label_counts(conn, DatasetQuery(sessions=both)) == {"a": 2, "b": 2, "c": 1}
    assert label_counts(conn, DatasetQuery(sessions=both, labels=["a", "c"])) == {"a": 2, "c": 1}
    assert label_counts(conn, DatasetQuery(sessions=both, subjects=["dora"])) == {
        "a": 1,
        "b": 1,
        "c": 1,
    }
    assert label_counts(conn, DatasetQuery(sessions=both, min_score=0.5)) == {
        "a": 1,
        "b": 1,
        "c": 1,
    }
    newest = latest_received(conn, DatasetQuery(sessions=both))
    assert newest is not None
    assert (
        label_counts(conn, DatasetQuery(sessions=both, since=newest + timedelta(seconds=1))) == {}
    )
    assert (
        sum(
            label_counts(
                conn, DatasetQuery(sessions=both, until=datetime.now(UTC) + timedelta(minutes=1))
            ).values()
        )
        == 5
    )


def test_bad_queries_are_refused() -> None:
    with pytest.raises(ValueError, match="an empty list selects nothing"):
        DatasetQuery(labels=[])
    with pytest.raises(ValueError, match="less than or equal to 1"):
        DatasetQuery(min_score=2)
    with pytest.raises(ValueError, match="Extra inputs"):
        DatasetQuery.model_validate({"label": ["a"]})
