"""The frames WebSocket against a real uvicorn: acks, close codes, isolation, predictions."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
import redis
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from pose_common.codec import decode_frames, encode_predictions
from pose_common.contracts import MAX_BATCH_FRAMES
from pose_common.streams import StreamKeys
from pose_ingest import metrics
from pose_ingest.validation import WS_REASON_MAX_BYTES
from tests.factories import batch
from tests.ingest.conftest import ADMIN_TOKEN, LiveServer, SettingsFactory, serve

Session = dict[str, Any]
TIMEOUT_S = 5.0


@pytest.fixture
def ws_session(live_server: LiveServer) -> Session:
    response = httpx.post(f"{live_server.http_url}/v1/sessions", json={"name": "ws"})
    assert response.status_code == 201
    return response.json()


def send(ws: ClientConnection, body: Any) -> None:
    ws.send(body if isinstance(body, str | bytes) else json.dumps(body))


def receive(ws: ClientConnection) -> dict[str, Any]:
    return json.loads(ws.recv(timeout=TIMEOUT_S))


def close_of(ws: ClientConnection) -> tuple[int, str]:
    """Wait for the server to close; (code, reason) it sent."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=TIMEOUT_S)
    assert closed.value.rcvd is not None, "no close frame received"
    return closed.value.rcvd.code, closed.value.rcvd.reason


def test_stream_url_of_a_new_session_is_a_websocket_url(
    live_server: LiveServer, ws_session: Session
) -> None:
    assert ws_session["stream_url"] == live_server.stream_url(ws_session["id"], None)


def test_batches_are_acked_with_their_highest_seq_and_published(
    live_server: LiveServer, ws_session: Session, redis_client: redis.Redis, keys: StreamKeys
) -> None:
    sent = [batch(i * 30, 30, seed=i) for i in range(4)]
    with connect(live_server.stream_url(ws_session["id"], ws_session["token"])) as ws:
        for body in sent:
            send(ws, body)
        acks = [receive(ws) for _ in sent]
    assert acks == [{"type": "ack", "seq": i * 30 + 29, "count": 30} for i in range(4)]
    entries = redis_client.xrange(keys.frames)
    assert [decode_frames(fields).batch for _id, fields in entries] == sent
    assert {decode_frames(fields).session for _id, fields in entries} == {ws_session["id"]}


def test_binary_messages_are_accepted_too(live_server: LiveServer, ws_session: Session) -> None:
    with connect(live_server.stream_url(ws_session["id"], ws_session["token"])) as ws:
        send(ws, json.dumps(batch(0, 2)).encode())
        assert receive(ws) == {"type": "ack", "seq": 1, "count": 2}


def test_admin_token_may_stream(live_server: LiveServer, ws_session: Session) -> None:
    with connect(live_server.stream_url(ws_session["id"], ADMIN_TOKEN)) as ws:
        send(ws, batch(0, 1))
        assert receive(ws)["type"] == "ack"


@pytest.mark.parametrize(
    ("session_id", "token", "code", "reason"),
    [
        ("own", "wrong-token", 4401, "bad token"),
        ("own", None, 4401, "missing token"),
        ("00000000-0000-4000-8000-000000000000", "own", 4404, "unknown session"),
        ("not-a-uuid", "own", 4404, "unknown session"),
    ],
)
def test_refused_connections_close_with_code_and_reason(
    live_server: LiveServer,
    ws_session: Session,
    session_id: str,
    token: str | None,
    code: int,
    reason: str,
) -> None:
    session_id = ws_session["id"] if session_id == "own" else session_id
    token = ws_session["token"] if token == "own" else token
    with connect(live_server.stream_url(session_id, token)) as ws:
        assert close_of(ws) == (code, reason)


def _bad_score() -> dict:
    body = batch(0, 5)
    body["frames"][2]["keypoints"][7][2] = 3.0
    return body


def _short_keypoints() -> dict:
    body = batch(0, 2)
    body["frames"][1]["keypoints"].pop()
    return body


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (_bad_score(), "frames[2].keypoints[7][2]: score must be in [0, 1], got 3.0"),
        ("{oops", "malformed JSON"),
        (_short_keypoints(), "frames[1].keypoints: expected 17 keypoints, got 16"),
        (batch(0, MAX_BATCH_FRAMES + 1), f"frames: a batch holds 1 to {MAX_BATCH_FRAMES} frames"),
        (json.dumps(batch(0, 1, t=12.5)).replace("12.5", "NaN"), "frames[0].t: must be a finite"),
    ],
    ids=["score", "malformed-json", "16-keypoints", "too-many-frames", "nan"],
)
def test_an_invalid_batch_closes_with_1007_naming_the_field(
    live_server: LiveServer, ws_session: Session, body: Any, reason: str
) -> None:
    with connect(live_server.stream_url(ws_session["id"], ws_session["token"])) as ws:
        send(ws, batch(0, 1))
        send(ws, body)
        assert receive(ws) == {"type": "ack", "seq": 0, "count": 1}  # flushed before the close
        code, text = close_of(ws)
    assert code == 1007
    assert reason in text
    assert len(text.encode()) <= WS_REASON_MAX_BYTES


def test_long_reasons_are_truncated_to_fit_a_close_frame(
    live_server: LiveServer, ws_session: Session
) -> None:
    body = batch(0, 1)
    body["detector"] = {"name": "x", "é" * 300: 1}
    with connect(live_server.stream_url(ws_session["id"], ws_session["token"])) as ws:
        send(ws, body)
        code, text = close_of(ws)
    assert code == 1007
    assert text.startswith("detector.")
    assert len(text.encode()) <= WS_REASON_MAX_BYTES


def test_message_too_big_closes_with_1009(make_settings: SettingsFactory) -> None:
    with serve(make_settings(ingest_max_body_bytes=4096)) as server:
        created = httpx.post(f"{server.http_url}/v1/sessions", json={}).json()
        url = server.stream_url(created["id"], created["token"])
        with connect(url, max_size=None) as ws:  # a little over the limit: the app refuses
            send(ws, json.dumps(batch(0, 1)).ljust(4200))
            assert close_of(ws) == (1009, "message over the limit of 4096 bytes")
        with connect(url, max_size=None) as ws:  # far over: uvicorn refuses before reading it
            send(ws, batch(0, 60))
            assert close_of(ws)[0] == 1009


def test_a_bad_client_does_not_disturb_another(
    live_server: LiveServer, ws_session: Session
) -> None:
    url = live_server.stream_url(ws_session["id"], ws_session["token"])
    with connect(url) as good, connect(url) as bad:
        send(good, batch(0, 10))
        assert receive(good)["seq"] == 9
        send(bad, "{broken")
        assert close_of(bad)[0] == 1007
        send(good, batch(10, 10))
        assert receive(good) == {"type": "ack", "seq": 19, "count": 10}


def test_origin_is_checked_against_the_configured_list(make_settings: SettingsFactory) -> None:
    settings = make_settings(ingest_cors_origins=["http://app.example"])
    with serve(settings) as server:
        created = httpx.post(f"{server.http_url}/v1/sessions", json={}).json()
        url = server.stream_url(created["id"], created["token"])
        with connect(url, origin="http://evil.example") as ws:  # type: ignore[arg-type]
            assert close_of(ws) == (4403, "origin not allowed")
        with connect(url, origin="http://app.example") as ws:  # type: ignore[arg-type]
            send(ws, batch(0, 1))
            assert receive(ws)["type"] == "ack"


def test_predictions_of_the_session_are_relayed(
    live_server: LiveServer, ws_session: Session, redis_client: redis.Redis, keys: StreamKeys
) -> None:
    prediction = {
        "seq": 4,
        "person": 0,
        "label": "tree",
        "probability": 0.9,
        "probabilities": {"tree": 0.9, "warrior": 0.1},
        "latency_ms": 3.5,
    }
    with connect(live_server.stream_url(ws_session["id"], ws_session["token"])) as ws:
        send(ws, batch(0, 5))
        assert receive(ws)["type"] == "ack"
        for session_id in ("00000000-0000-4000-8000-000000000000", ws_session["id"]):
            fields = encode_predictions(
                session=session_id, model="yoga", version=3, predictions=[prediction]
            )
            redis_client.xadd(keys.predictions, fields)  # type: ignore[arg-type]
        message = receive(ws)
    assert message == {"type": "prediction", **prediction, "model": "yoga", "version": 3}


def test_open_sockets_are_counted(live_server: LiveServer, ws_session: Session) -> None:
    gauge = metrics.WEBSOCKETS._value
    before = gauge.get()
    with connect(live_server.stream_url(ws_session["id"], ws_session["token"])) as ws:
        send(ws, batch(0, 1))
        receive(ws)
        assert gauge.get() == before + 1
    deadline = time.monotonic() + 5
    while gauge.get() != before:
        assert time.monotonic() < deadline, "gauge not decremented after close"
        time.sleep(0.01)
