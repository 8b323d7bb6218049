"""Prediction relay: one XREAD reader per process, fanned out to the session's sockets."""

from __future__ import annotations

import asyncio
import json

import redis

from pose_common.codec import PredictionsEntry, encode_predictions
from pose_common.redis_client import connect_async
from pose_common.streams import StreamKeys
from pose_ingest import metrics
from pose_ingest.outbox import Outbox
from pose_ingest.relay import PredictionHub, PredictionRelay, prediction_messages

SESSION = "11111111-1111-4111-8111-111111111111"


def prediction(seq: int) -> dict:
    return {
        "seq": seq,
        "person": 0,
        "label": "tree",
        "probability": 0.8,
        "probabilities": {"tree": 0.8, "chair": 0.2},
        "latency_ms": 2.0,
    }


def test_each_prediction_becomes_one_message_naming_model_and_version() -> None:
    entry = PredictionsEntry(SESSION, "yoga", 7, [prediction(1), prediction(2)])
    messages = [json.loads(m) for m in prediction_messages(entry)]
    assert messages == [
        {"type": "prediction", **prediction(seq), "model": "yoga", "version": 7} for seq in (1, 2)
    ]


def test_hub_fans_out_and_counts_drops() -> None:
    hub = PredictionHub()
    fast, slow = Outbox(max_replies=1, max_predictions=10), Outbox(max_replies=1, max_predictions=1)
    hub.subscribe(SESSION, fast)
    hub.subscribe(SESSION, slow)
    before = metrics.PREDICTIONS_DROPPED._value.get()
    hub.dispatch(SESSION, ["m1", "m2", "m3"])
    assert metrics.PREDICTIONS_DROPPED._value.get() - before == 2
    hub.unsubscribe(SESSION, fast)
    hub.unsubscribe(SESSION, slow)
    assert not hub.wants(SESSION)


async def test_relay_reads_new_entries_only_and_skips_other_sessions(
    redis_url: str, redis_client: redis.Redis, keys: StreamKeys
) -> None:
    def publish(session: str, seq: int) -> None:
        fields = encode_predictions(
            session=session, model="yoga", version=1, predictions=[prediction(seq)]
        )
        redis_client.xadd(keys.predictions, fields)  # type: ignore[arg-type]

    publish(SESSION, 0)  # before start: never relayed
    client = connect_async(redis_url)
    hub, outbox = PredictionHub(), Outbox(max_replies=1, max_predictions=10)
    hub.subscribe(SESSION, outbox)
    relay = PredictionRelay(client, stream=keys.predictions, hub=hub, block_ms=100)
    await relay.prime()
    publish("22222222-2222-4222-8222-222222222222", 1)
    redis_client.xadd(keys.predictions, {"v": "1", "s": SESSION, "d": b"\xc1"})  # malformed
    publish(SESSION, 2)
    assert await relay.read_once() == 3
    messages = await outbox.take()
    assert [json.loads(m)["seq"] for m in messages or []] == [2]
    stop = asyncio.Event()
    stop.set()
    await asyncio.wait_for(relay.run(stop), 1.0)  # returns at once when asked to stop
    await client.aclose()
