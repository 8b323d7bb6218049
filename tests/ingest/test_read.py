"""Read API: stored frames and predictions, streamed CSV/JSON exports (pandas round trip)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pytest
import redis
from fastapi.testclient import TestClient
from psycopg.types.json import Jsonb

from pose_common.codec import decode_frames
from pose_common.export import FRAME_COLUMNS
from pose_common.skeleton import NUM_KEYPOINTS
from pose_common.streams import StreamKeys
from pose_ingest.settings import IngestSettings
from tests.factories import batch
from tests.ingest.conftest import ADMIN_TOKEN, auth, create_session

Session = dict[str, Any]
_COPY_FRAMES = (
    "COPY frames (session_id, seq, person, t, detector, detector_version, width, height,"
    " keypoints, label) FROM STDIN"
)
STRING_COLUMNS = ["session_id", "detector", "detector_version", "label", "predicted_label", "model"]


def store_batch(conn: psycopg.Connection, *, session_id: str, body: dict[str, Any]) -> None:
    """What the exporter does, in miniature: COPY the frames of one batch."""
    columns = (
        "session_id, seq, person, t, detector, detector_version, width, height, keypoints, label"
    )
    detector = body["detector"]
    with conn.cursor().copy(f"COPY frames ({columns}) FROM STDIN") as copy:
        for frame in body["frames"]:
            flat = [value for point in frame["keypoints"] for value in point]
            copy.write_row(
                (
                    session_id,
                    frame["seq"],
                    frame.get("person", 0),
                    frame["t"],
                    detector["name"],
                    detector.get("version", ""),
                    body["width"],
                    body["height"],
                    flat,
                    frame.get("label"),
                )
            )


def store_prediction(conn: psycopg.Connection, *, session_id: str, seq: int, label: str) -> None:
    conn.execute(
        "INSERT INTO predictions (session_id, seq, person, model, version, label, probability,"
        " probabilities, latency_ms) VALUES (%s, %s, 0, 'yoga', 2, %s, 0.75, %s, 4.5)",
        (session_id, seq, label, Jsonb({label: 0.75, "other": 0.25})),
    )


def expected_frame(
    session_id: str, body: dict[str, Any], frame: dict[str, Any], prediction: str | None
) -> dict[str, Any]:
    """One export record as the database stores it (keypoints are float4, t float8)."""
    record: dict[str, Any] = {
        "session_id": session_id,
        "seq": frame["seq"],
        "person": frame.get("person", 0),
        "t": frame["t"],
        "detector": body["detector"]["name"],
        "detector_version": body["detector"]["version"],
        "width": body["width"],
        "height": body["height"],
        "label": frame.get("label"),
    }
    # float4 comes back from PostgreSQL as its shortest decimal, as numpy prints a float32.
    flat = [float(str(np.float32(value))) for point in frame["keypoints"] for value in point]
    record.update(zip(FRAME_COLUMNS[9 : 9 + 3 * NUM_KEYPOINTS], flat, strict=True))
    record.update(
        predicted_label=prediction,
        predicted_probability=0.75 if prediction else None,
        model="yoga" if prediction else None,
        model_version=2 if prediction else None,
    )
    return record


def expected_frame_table(
    session_id: str, bodies: list[dict], predicted: dict[int, str]
) -> pd.DataFrame:
    rows = [
        expected_frame(session_id, body, frame, predicted.get(frame["seq"]))
        for body in bodies
        for frame in body["frames"]
    ]
    return normalise(pd.DataFrame(rows, columns=FRAME_COLUMNS))


def normalise(table: pd.DataFrame) -> pd.DataFrame:
    """Same dtypes whichever way the table was read: text as object with None, numbers float."""
    table = table.sort_values(["seq", "person"]).reset_index(drop=True)
    for column in table.columns:
        if column in STRING_COLUMNS:
            table[column] = table[column].astype(object).where(table[column].notna(), None)
            table[column] = table[column].map(lambda v: None if v is None else str(v))
        else:
            table[column] = table[column].astype(np.float64)
    return table


def assert_same_table(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Exactly equal: float4 keypoints and float8 times survive both formats bit for bit."""
    pd.testing.assert_frame_equal(actual, expected, check_exact=True)


def read_csv_export(client: TestClient, session: Session) -> pd.DataFrame:
    response = client.get(
        f"/v1/sessions/{session['id']}/export.csv", headers=auth(session["token"])
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    table = pd.read_csv(io.StringIO(response.text), dtype={c: str for c in STRING_COLUMNS})
    return normalise(table)


def read_json_export(client: TestClient, session: Session) -> pd.DataFrame:
    response = client.get(
        f"/v1/sessions/{session['id']}/export.json", headers=auth(session["token"])
    )
    assert response.status_code == 200, response.text
    table = pd.read_json(
        io.StringIO(response.text),
        orient="records",
        dtype=False,
        convert_dates=False,
        precise_float=True,
    )
    return normalise(table[FRAME_COLUMNS])


@pytest.fixture
def stored(client: TestClient, database_url: str) -> tuple[Session, list[dict], dict[int, str]]:
    """A session with 2 batches stored directly (one labelled) and predictions for 3 frames."""
    session = create_session(client)
    bodies = [batch(0, 20, seed=7), batch(20, 10, seed=8, label="tree")]
    predicted = {0: "warrior", 5: "tree", 25: "tree"}
    with psycopg.connect(database_url) as conn:
        for body in bodies:
            store_batch(conn, session_id=session["id"], body=body)
        for seq, label in predicted.items():
            store_prediction(conn, session_id=session["id"], seq=seq, label=label)
    return session, bodies, predicted


def test_csv_export_reads_back_equal_to_what_was_stored(client: TestClient, stored: Any) -> None:
    session, bodies, predicted = stored
    assert_same_table(
        read_csv_export(client, session), expected_frame_table(session["id"], bodies, predicted)
    )


def test_json_export_reads_back_equal_to_what_was_stored(client: TestClient, stored: Any) -> None:
    session, bodies, predicted = stored
    assert_same_table(
        read_json_export(client, session), expected_frame_table(session["id"], bodies, predicted)
    )


def test_posted_frames_round_trip_through_the_stream_to_the_exports(
    client: TestClient, database_url: str, redis_client: redis.Redis, keys: StreamKeys
) -> None:
    session = create_session(client)
    sent = [batch(0, 30, seed=1), batch(30, 30, seed=2, label="warrior"), batch(60, 5, seed=3)]
    for body in sent:
        response = client.post(
            f"/v1/sessions/{session['id']}/frames",
            content=json.dumps(body),
            headers=auth(session["token"]),
        )
        assert response.status_code == 200
    with psycopg.connect(database_url) as conn:
        for _id, fields in redis_client.xrange(keys.frames):
            entry = decode_frames(fields)
            store_batch(conn, session_id=entry.session, body=entry.batch)
    expected = expected_frame_table(session["id"], sent, {})
    assert_same_table(read_csv_export(client, session), expected)
    assert_same_table(read_json_export(client, session), expected)


def test_export_of_an_empty_session_is_just_the_header(client: TestClient) -> None:
    session = create_session(client)
    assert read_csv_export(client, session).empty
    response = client.get(f"/v1/sessions/{session['id']}/export.json", headers=auth(ADMIN_TOKEN))
    assert response.json() == []


@pytest.mark.parametrize("path", ["export.csv", "export.json", "frames", "predictions"])
def test_reads_need_the_sessions_own_token(client: TestClient, stored: Any, path: str) -> None:
    session, _bodies, _predicted = stored
    other = create_session(client)
    url = f"/v1/sessions/{session['id']}/{path}"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=auth(other["token"])).status_code == 401
    assert client.get(url, headers=auth(ADMIN_TOKEN)).status_code == 200
    missing = "/v1/sessions/00000000-0000-4000-8000-000000000000/" + path
    assert client.get(missing, headers=auth(ADMIN_TOKEN)).status_code == 404


def test_frames_page_in_seq_order_with_a_cursor(client: TestClient, stored: Any) -> None:
    session, bodies, _predicted = stored
    url, headers = f"/v1/sessions/{session['id']}/frames", auth(session["token"])
    seen: list[int] = []
    params: dict[str, int] = {"limit": 12}
    while True:
        page = client.get(url, params=params, headers=headers).json()
        seen.extend(frame["seq"] for frame in page["frames"])
        if page["next"] is None:
            break
        params = {"limit": 12, **page["next"]}
    assert seen == list(range(30))
    first = client.get(url, params={"limit": 1}, headers=headers).json()["frames"][0]
    assert len(first["keypoints"]) == NUM_KEYPOINTS
    assert first["keypoints"][0] == pytest.approx(bodies[0]["frames"][0]["keypoints"][0], rel=1e-6)
    after = client.get(url, params={"after_seq": 27}, headers=headers).json()
    assert [f["seq"] for f in after["frames"]] == [28, 29]
    assert after["frames"][0]["label"] == "tree"


def test_predictions_page(client: TestClient, stored: Any) -> None:
    session, _bodies, predicted = stored
    page = client.get(
        f"/v1/sessions/{session['id']}/predictions", headers=auth(session["token"])
    ).json()
    assert [(p["seq"], p["label"]) for p in page["predictions"]] == sorted(predicted.items())
    assert page["predictions"][0]["probabilities"] == {"warrior": 0.75, "other": 0.25}
    assert page["predictions"][0]["model"] == "yoga" and page["predictions"][0]["version"] == 2
    assert page["next"] is None


def publish_model(root: Path, name: str, versions: list[int], production: int | None) -> None:
    for version in versions:
        (root / name / "versions" / f"{version:06d}").mkdir(parents=True)
    if production is not None:
        (root / name / "aliases").mkdir(parents=True)
        (root / name / "aliases" / "production").write_text(str(production))


def test_models_lists_named_models_with_versions_and_aliases(
    client: TestClient, ingest_settings: IngestSettings
) -> None:
    assert client.get("/v1/models").json() == {"default": "yoga", "models": []}
    publish_model(ingest_settings.model_dir, "yoga", [1, 2], production=2)
    publish_model(ingest_settings.model_dir, "fitness", [1], production=None)
    assert client.get("/v1/models").json() == {
        "default": "yoga",
        "models": [
            {"name": "fitness", "versions": [1], "aliases": {}, "production": None},
            {"name": "yoga", "versions": [1, 2], "aliases": {"production": 2}, "production": 2},
        ],
    }
