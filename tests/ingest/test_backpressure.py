"""Backpressure: refuse batches (429 / slow_down) while a consumer group is too far behind."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import httpx
import pytest
import redis
from websockets.sync.client import connect

from pose_common.redis_client import connect_async
from pose_common.streams import GROUP_EXPORTER, StreamKeys
from pose_ingest.backpressure import BackpressureMonitor, group_backlog, worst_backlog
from pose_ingest.settings import IngestSettings
from tests.factories import batch
from tests.ingest.conftest import AppOpener, SettingsFactory, auth, serve

MAX_LAG = 3


def wait_until(predicate: Callable[[], bool], *, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def catch_up(client: redis.Redis, keys: StreamKeys, group: str) -> None:
    """What a healthy consumer does: read everything, acknowledge it."""
    while entries := client.xreadgroup(group, "c1", {keys.frames: ">"}, count=100):
        for _stream, items in entries:
            client.xack(keys.frames, group, *[entry_id for entry_id, _ in items])


@pytest.fixture
def slow_settings(make_settings: SettingsFactory) -> IngestSettings:
    return make_settings(ingest_max_lag_entries=MAX_LAG, ingest_retry_after_ms=1500)


def test_backlog_is_pending_plus_lag_of_the_worst_group() -> None:
    groups = [
        {"name": "inference", "pending": 2, "lag": 1},
        {"name": "exporter", "pending": 5, "lag": 4},
    ]
    assert worst_backlog(groups) == 9
    assert group_backlog({"pending": 3, "lag": None}) == 3  # lag unknown: pending alone
    assert worst_backlog([]) == 0


def test_http_is_refused_with_429_while_behind_and_accepted_after_catching_up(
    slow_settings: IngestSettings,
    open_app: AppOpener,
    redis_client: redis.Redis,
    keys: StreamKeys,
) -> None:
    redis_client.xgroup_create(keys.frames, GROUP_EXPORTER, id="0", mkstream=True)
    client, session = open_app(slow_settings)
    url, headers = f"/v1/sessions/{session['id']}/frames", auth(session["token"])

    def post(start: int) -> httpx.Response:
        return client.post(url, content=json.dumps(batch(start, 5)), headers=headers)

    for start in range(0, 5 * (MAX_LAG + 1), 5):
        assert post(start).status_code == 200
    wait_until(lambda: post(100).status_code == 429)
    length = redis_client.xlen(keys.frames)
    refused = post(100)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "2"
    assert "behind" in refused.json()["detail"]
    assert redis_client.xlen(keys.frames) == length  # nothing refused was published
    catch_up(redis_client, keys, GROUP_EXPORTER)
    wait_until(lambda: post(100).status_code == 200)


def test_streams_without_groups_are_never_behind(
    slow_settings: IngestSettings, open_app: AppOpener
) -> None:
    client, session = open_app(slow_settings)
    url, headers = f"/v1/sessions/{session['id']}/frames", auth(session["token"])
    for start in range(0, 50, 5):
        response = client.post(url, content=json.dumps(batch(start, 5)), headers=headers)
        assert response.status_code == 200
        time.sleep(0.02)


def test_websocket_gets_slow_down_and_the_batch_is_not_published(
    slow_settings: IngestSettings, redis_client: redis.Redis, keys: StreamKeys
) -> None:
    redis_client.xgroup_create(keys.frames, GROUP_EXPORTER, id="0", mkstream=True)
    with serve(slow_settings) as server:
        created = httpx.post(f"{server.http_url}/v1/sessions", json={}).json()
        with connect(server.stream_url(created["id"], created["token"])) as ws:
            for start in range(0, 5 * (MAX_LAG + 1), 5):
                ws.send(json.dumps(batch(start, 5)))
                assert json.loads(ws.recv(timeout=5))["type"] == "ack"
            monitor = server.app.state.ingest.backpressure
            wait_until(lambda: monitor.refusing)
            length = redis_client.xlen(keys.frames)
            ws.send(json.dumps(batch(100, 5)))
            reply = json.loads(ws.recv(timeout=5))
            assert reply == {"type": "slow_down", "retry_after_ms": 1500, "seq": 100}
            assert redis_client.xlen(keys.frames) == length
            catch_up(redis_client, keys, GROUP_EXPORTER)
            wait_until(lambda: not monitor.refusing)
            ws.send(json.dumps(batch(100, 5)))  # the client resends the refused batch
            assert json.loads(ws.recv(timeout=5)) == {"type": "ack", "seq": 104, "count": 5}


async def test_monitor_stops_on_its_event(redis_url: str, keys: StreamKeys) -> None:
    client = connect_async(redis_url)
    monitor = BackpressureMonitor(
        client, stream=keys.frames, max_lag_entries=1, interval_s=10.0, retry_after_ms=100
    )
    stop = asyncio.Event()
    task = asyncio.create_task(monitor.run(stop))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=1.0)  # well before the 10 s interval
    assert not monitor.refusing
    await client.aclose()
