"""Capture sessions: creation (token stored hashed), listing (admin), description, cache."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from pose_ingest.session_store import SessionStore
from pose_ml.datasets.store import DatasetQuery, load_dataset
from tests.factories import batch
from tests.ingest.conftest import ADMIN_TOKEN, auth, create_session


def stored_session(database_url: str, session_id: str) -> tuple[Any, ...] | None:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT token_hash, name, model FROM sessions WHERE id = %s", (session_id,)
        ).fetchone()


def test_new_session_gets_default_model_and_a_token_stored_only_as_its_hash(
    client: TestClient, database_url: str
) -> None:
    created = create_session(client)
    assert created["model"] == "yoga"
    assert len(created["token"]) >= 40
    assert created["stream_url"].startswith("ws://testserver/v1/sessions/")
    assert created["stream_url"].endswith(f"/{created['id']}/stream")
    row = stored_session(database_url, created["id"])
    assert row is not None
    assert row[0] == hashlib.sha256(created["token"].encode()).hexdigest()
    assert created["token"] not in row


def test_session_chooses_its_model_by_name(client: TestClient, database_url: str) -> None:
    created = create_session(client, model="fitness", name="morning run")
    assert created["model"] == "fitness"
    assert stored_session(database_url, created["id"])[1:] == ("morning run", "fitness")  # type: ignore[index]


def test_a_body_is_optional(client: TestClient) -> None:
    assert client.post("/v1/sessions").status_code == 201


@pytest.mark.parametrize(
    "body",
    [{"model": "Bad Name!"}, {"model": ""}, {"model": "x" * 80}, {"colour": "red"}],
    ids=["spaces", "empty", "too-long", "unknown-field"],
)
def test_invalid_session_requests_are_422(client: TestClient, body: dict[str, Any]) -> None:
    assert client.post("/v1/sessions", json=body).status_code == 422


def test_tokens_are_unique(client: TestClient) -> None:
    tokens = {create_session(client)["token"] for _ in range(5)}
    assert len(tokens) == 5


def test_listing_sessions_needs_the_admin_token(client: TestClient) -> None:
    own = create_session(client)
    assert client.get("/v1/sessions").status_code == 401
    assert client.get("/v1/sessions", headers=auth(own["token"])).status_code == 401
    assert client.get("/v1/sessions", headers=auth(ADMIN_TOKEN)).status_code == 200


def test_listing_pages_through_sessions_with_frame_counts(
    client: TestClient, database_url: str
) -> None:
    created = [create_session(client, name=f"s{i}") for i in range(3)]
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO frames (session_id, seq, t, detector, width, height, keypoints) "
            "SELECT %s, g, 0, 'd', 1, 1, array_fill(0.5::real, ARRAY[51]) "
            "FROM generate_series(0, 3) g",
            (created[0]["id"],),
        )
    listed: dict[str, int] = {}
    for offset in range(0, 1000, 2):
        page = client.get(
            "/v1/sessions", params={"limit": 2, "offset": offset}, headers=auth(ADMIN_TOKEN)
        ).json()
        assert page["limit"] == 2 and page["offset"] == offset
        listed.update({s["id"]: s["frames"] for s in page["sessions"]})
        if len(page["sessions"]) < 2:
            break
    assert listed[created[0]["id"]] == 4
    assert listed[created[1]["id"]] == 0


def test_a_session_describes_itself_to_its_own_token_and_the_admin(
    client: TestClient, database_url: str
) -> None:
    own, other = create_session(client, name="mine"), create_session(client)
    client.post(
        f"/v1/sessions/{own['id']}/frames",
        content=json.dumps(batch(0, 2)),
        headers=auth(own["token"]),
    )
    url = f"/v1/sessions/{own['id']}"
    info = client.get(url, headers=auth(own["token"])).json()
    assert info["id"] == own["id"] and info["name"] == "mine" and info["model"] == "yoga"
    assert info["frames"] == 0  # stored by the exporter, not by ingest
    assert info["predictions"] == 0 and info["last_seq"] is None
    assert client.get(url, headers=auth(ADMIN_TOKEN)).status_code == 200
    assert client.get(url, headers=auth(other["token"])).status_code == 401
    assert client.get("/v1/sessions/nope", headers=auth(ADMIN_TOKEN)).status_code == 404


def test_sessions_are_looked_up_once_then_cached(
    client: TestClient, session: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    store: SessionStore = client.app.state.ingest.sessions  # type: ignore[attr-defined]
    store._cache.clear()
    calls: list[str] = []
    original = store._select

    def counting_select(session_id: str) -> Any:
        calls.append(session_id)
        return original(session_id)

    monkeypatch.setattr(store, "_select", counting_select)
    for start in range(0, 15, 5):
        response = client.post(
            f"/v1/sessions/{session['id']}/frames",
            content=json.dumps(batch(start, 5)),
            headers=auth(session["token"]),
        )
        assert response.status_code == 200
    assert calls == [session["id"]]


def test_a_session_with_a_subject_groups_by_it_for_training_and_without_by_session(
    client: TestClient, database_url: str
) -> None:
    made: dict[str | None, str] = {}
    conn = psycopg.connect(database_url, autocommit=True)
    for subject in ("erin", None):
        body = {"model": "testmodel", **({"subject": subject} if subject else {})}
        session = client.post("/v1/sessions", json=body).json()
        made[subject] = session["id"]
        frames = batch(0, 3, label="wave")
        with conn.transaction():
            for frame in frames["frames"]:  # stored as the exporter would store them
                flat = [v for point in frame["keypoints"] for v in point]
                conn.execute(
                    "INSERT INTO frames (session_id, seq, t, detector, width, height, keypoints,"
                    " label) VALUES (%s, %s, %s, 'movenet', 640, 480, %s::real[], %s)",
                    (session["id"], frame["seq"], frame["t"], flat, "wave"),
                )
    data = load_dataset(conn, DatasetQuery(sessions=[uuid.UUID(v) for v in made.values()]))
    conn.close()
    groups = dict(zip(data.sessions.tolist(), data.groups.tolist(), strict=True))
    assert groups[made["erin"]] == "erin" and groups[made[None]] == made[None]
    assert client.post("/v1/sessions", json={"subject": ""}).status_code == 422
