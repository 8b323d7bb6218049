"""Liveness, readiness, metrics, OpenAPI, CORS, and 503 (never 500) when a dependency is down."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql

from pose_common.db.migrate import ensure_database
from pose_ingest.app import create_app
from tests.conftest import PG_ADMIN_URL
from tests.factories import batch
from tests.ingest.conftest import AppOpener, SettingsFactory, auth, create_session

METRICS = [
    "pose_ingest_frames_total",
    "pose_ingest_batches_total",
    "pose_ingest_rejected_total",
    "pose_ingest_backpressure_total",
    "pose_ingest_websocket_connections",
    "pose_ingest_request_seconds",
]


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_when_redis_and_postgres_answer(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"redis": "ok", "postgres": "ok"}}


def test_readyz_names_redis_when_it_is_unreachable(make_settings: SettingsFactory) -> None:
    settings = make_settings(REDIS_URL="redis://127.0.0.1:1/0")
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["postgres"] == "ok"
    assert checks["redis"].startswith("error: ")


@pytest.fixture
def unmigrated_database_url(run_id: str) -> Iterator[str]:
    name = f"pose_test_{run_id}_bare"
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    ensure_database(url)
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def test_readyz_says_when_the_schema_is_missing(
    make_settings: SettingsFactory, unmigrated_database_url: str
) -> None:
    with TestClient(create_app(make_settings(DATABASE_URL=unmigrated_database_url))) as client:
        response = client.get("/readyz")
        assert client.post("/v1/sessions", json={}).status_code == 503
    assert response.status_code == 503
    assert "sessions table is missing" in response.json()["checks"]["postgres"]


def test_redis_down_while_posting_is_503_not_500(
    make_settings: SettingsFactory, open_app: AppOpener
) -> None:
    client, session = open_app(make_settings(REDIS_URL="redis://127.0.0.1:1/0"))
    response = client.post(
        f"/v1/sessions/{session['id']}/frames",
        content=json.dumps(batch(0, 3)),
        headers=auth(session["token"]),
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"


def test_metrics_exposes_the_named_metrics(client: TestClient) -> None:
    text = client.get("/metrics").text
    for name in METRICS:
        assert f"# TYPE {name} " in text, name


def test_openapi_lists_the_routes_and_the_batch_schema(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {
        "/v1/sessions",
        "/v1/sessions/{session_id}",
        "/v1/sessions/{session_id}/frames",
        "/v1/sessions/{session_id}/predictions",
        "/v1/sessions/{session_id}/export.csv",
        "/v1/sessions/{session_id}/export.json",
        "/v1/models",
        "/healthz",
        "/readyz",
    } <= set(spec["paths"])
    body = spec["paths"]["/v1/sessions/{session_id}/frames"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Batch"}
    assert {"Batch", "Frame", "Detector"} <= set(spec["components"]["schemas"])
    assert client.get("/docs").status_code == 200


def test_cors_allows_only_configured_origins(
    make_settings: SettingsFactory, open_app: AppOpener
) -> None:
    client, _session = open_app(make_settings(ingest_cors_origins=["https://app.example"]))
    preflight = {"Access-Control-Request-Method": "POST"}
    allowed = client.options("/v1/sessions", headers={"Origin": "https://app.example", **preflight})
    refused = client.options(
        "/v1/sessions", headers={"Origin": "https://evil.example", **preflight}
    )
    assert allowed.headers.get("access-control-allow-origin") == "https://app.example"
    assert "access-control-allow-origin" not in refused.headers


def test_dead_pooled_connections_are_replaced(client: TestClient, database_url: str) -> None:
    """After a PostgreSQL restart (here: its backends killed) requests still succeed."""
    create_session(client)
    with psycopg.connect(database_url, autocommit=True) as conn:
        killed = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'pose-ingest' AND datname = current_database()"
        ).fetchone()
    assert killed is not None and killed[0] >= 1
    assert create_session(client)["id"]
