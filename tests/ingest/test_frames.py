"""HTTP POST of frame batches: one stream entry per batch, and a clear 4xx for bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import redis
from fastapi.testclient import TestClient

from pose_common.codec import decode_frames
from pose_common.contracts import MAX_BATCH_FRAMES
from pose_common.streams import StreamKeys
from tests.factories import batch
from tests.ingest.conftest import ADMIN_TOKEN, AppOpener, SettingsFactory, auth

Session = dict[str, Any]


def post(client: TestClient, session: Session, body: Any, **kw: Any) -> Any:
    content = body if isinstance(body, bytes | str | Iterator) else json.dumps(body)
    headers = kw.pop("headers", auth(session["token"]))
    return client.post(
        f"/v1/sessions/{session['id']}/frames", content=content, headers=headers, **kw
    )


def stream_entries(client: redis.Redis, keys: StreamKeys) -> list[tuple[bytes, dict]]:
    return client.xrange(keys.frames)


def test_each_batch_is_one_stream_entry_carrying_the_body(
    client: TestClient, session: Session, redis_client: redis.Redis, keys: StreamKeys
) -> None:
    sent = [batch(0, 30), batch(30, 30, seed=1)]
    replies = [post(client, session, body) for body in sent]
    assert [r.status_code for r in replies] == [200, 200]
    assert [r.json() for r in replies] == [
        {"type": "ack", "seq": 29, "count": 30},
        {"type": "ack", "seq": 59, "count": 30},
    ]
    entries = stream_entries(redis_client, keys)
    assert len(entries) == 2
    for (_id, fields), body in zip(entries, sent, strict=True):
        entry = decode_frames(fields)
        assert entry.session == session["id"]
        assert entry.model == session["model"]
        assert entry.batch == body


def test_ack_names_the_highest_seq_whatever_the_order(client: TestClient, session: Session) -> None:
    body = batch(0, 5)
    body["frames"].reverse()
    assert post(client, session, body).json() == {"type": "ack", "seq": 4, "count": 5}


def test_admin_token_may_post_to_any_session(client: TestClient, session: Session) -> None:
    response = post(client, session, batch(0, 3), headers=auth(ADMIN_TOKEN))
    assert response.status_code == 200


def test_labels_are_published_stripped(
    client: TestClient, session: Session, redis_client: redis.Redis, keys: StreamKeys
) -> None:
    assert post(client, session, batch(0, 2, label="  warrior ")).status_code == 200
    (_id, fields), *_ = stream_entries(redis_client, keys)
    assert [f["label"] for f in decode_frames(fields).batch["frames"]] == ["warrior"] * 2


def _keypoints_16() -> dict:
    body = batch(0, 5)
    body["frames"][3]["keypoints"].pop()
    return body


def _score(value: float) -> dict:
    body = batch(0, 3)
    body["frames"][1]["keypoints"][4][2] = value
    return body


def _string_seq() -> dict:
    body = batch(0, 1)
    body["frames"][0]["seq"] = "7"
    return body


def _non_finite(token: str) -> str:
    body = batch(0, 3)
    body["frames"][2]["keypoints"][0][1] = 123.5
    return json.dumps(body).replace("123.5", token, 1)


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        (_keypoints_16(), 422, "frames[3].keypoints: expected 17 keypoints, got 16"),
        (_score(1.5), 422, "frames[1].keypoints[4][2]: score must be in [0, 1], got 1.5"),
        (_score(-0.01), 422, "frames[1].keypoints[4][2]: score must be in [0, 1], got -0.01"),
        (_non_finite("NaN"), 422, "frames[2].keypoints[0][1]: must be a finite number"),
        (_non_finite("Infinity"), 422, "frames[2].keypoints[0][1]: must be a finite number"),
        (_non_finite("-Infinity"), 422, "frames[2].keypoints[0][1]: must be a finite number"),
        (batch(0, MAX_BATCH_FRAMES + 1), 422, f"frames: a batch holds 1 to {MAX_BATCH_FRAMES}"),
        (batch(0, 0), 422, "frames: a batch holds 1 to"),
        ({**batch(0, 1), "extra": 1}, 422, "extra: unknown field"),
        (_string_seq(), 422, "frames[0].seq: input should be a valid integer"),
        ("{not json", 400, "malformed JSON"),
        (b"\xff\xfe", 400, "malformed JSON"),
        ("", 400, "malformed JSON"),
        ("[1, 2]", 422, "a batch must be a JSON object"),
    ],
    ids=[
        "16-keypoints",
        "score-above-1",
        "score-below-0",
        "nan",
        "infinity",
        "minus-infinity",
        "too-many-frames",
        "no-frames",
        "unknown-field",
        "string-seq",
        "malformed-json",
        "not-utf8",
        "empty-body",
        "not-an-object",
    ],
)
def test_bad_batches_get_a_4xx_naming_the_field(
    client: TestClient,
    session: Session,
    redis_client: redis.Redis,
    keys: StreamKeys,
    body: Any,
    status: int,
    expected: str,
) -> None:
    response = post(client, session, body)
    assert response.status_code == status, response.text
    assert expected in response.json()["detail"]
    assert stream_entries(redis_client, keys) == []


def test_body_over_the_limit_is_413_by_content_length(
    make_settings: SettingsFactory, open_app: AppOpener
) -> None:
    client, session = open_app(make_settings(ingest_max_body_bytes=4096))
    response = post(client, session, batch(0, 30))
    assert response.status_code == 413
    assert "over the limit of 4096 bytes" in response.json()["detail"]


def test_body_over_the_limit_is_413_without_content_length(
    make_settings: SettingsFactory, open_app: AppOpener
) -> None:
    client, session = open_app(make_settings(ingest_max_body_bytes=4096))
    raw = json.dumps(batch(0, 30)).encode()

    def chunks() -> Iterator[bytes]:  # chunked transfer: no Content-Length to trust
        for start in range(0, len(raw), 1000):
            yield raw[start : start + 1000]

    response = post(client, session, chunks())
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("session_id", "status"),
    [
        ("00000000-0000-4000-8000-000000000000", 404),
        ("not-a-uuid", 404),
        ("x" * 500, 404),
        ("%00", 404),
    ],
)
def test_unknown_or_malformed_session_is_404(
    client: TestClient, session: Session, session_id: str, status: int
) -> None:
    response = client.post(
        f"/v1/sessions/{session_id}/frames",
        content=json.dumps(batch(0, 1)),
        headers=auth(session["token"]),
    )
    assert response.status_code == status
    assert "unknown session" in response.json()["detail"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}, auth("wrong-token")],
    ids=["missing", "empty", "not-bearer", "wrong"],
)
def test_missing_or_bad_token_is_401(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    response = post(client, session, batch(0, 1), headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_another_sessions_token_is_refused(client: TestClient, session: Session) -> None:
    other = client.post("/v1/sessions", json={}).json()
    response = post(client, session, batch(0, 1), headers=auth(other["token"]))
    assert response.status_code == 401


def test_metrics_count_frames_and_rejections(client: TestClient, session: Session) -> None:
    def sample(name: str) -> float:
        text = client.get("/metrics").text
        lines = [line for line in text.splitlines() if line.startswith(name + " ")]
        return float(lines[0].split()[-1]) if lines else 0.0

    frames = 'pose_ingest_frames_total{transport="http"}'
    invalid = 'pose_ingest_rejected_total{reason="invalid_frame"}'
    before = sample(frames), sample(invalid)
    post(client, session, batch(0, 7))
    post(client, session, _score(2.0))
    assert sample(frames) - before[0] == 7
    assert sample(invalid) - before[1] == 1


def test_ack_body_is_json(client: TestClient, session: Session) -> None:
    response = post(client, session, batch(0, 1))
    assert response.headers["content-type"] == "application/json"
    assert orjson.loads(response.content)["type"] == "ack"
