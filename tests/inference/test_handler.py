"""The handler against the real Redis: predictions equal the model's, poison is Invalid."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
import redis
from prometheus_client import REGISTRY

from pose_common.consumer import Entry
from pose_common.streams import StreamKeys
from pose_inference.feature_history import FeatureHistory
from pose_inference.handler import PredictionHandler
from pose_inference.registry import ModelRegistry
from pose_ml.model_store import LoadedModel, load_model
from tests.factories import batch
from tests.inference.conftest import (
    add_batches,
    check_prediction,
    frames_fields,
    keypoints_by_seq,
    publish,
    read_predictions,
    stream_entries,
)


def _handler(client: redis.Redis, keys: StreamKeys, registry: ModelRegistry) -> PredictionHandler:
    return PredictionHandler(
        client=client,
        registry=registry,
        predictions_stream=keys.predictions,
        history=FeatureHistory(client, keys),
    )


def test_one_prediction_entry_per_frames_entry_equal_to_the_model(
    redis_client: redis.Redis, keys: StreamKeys, model_root: Path, model_name: str
) -> None:
    published = publish(model_root, model_name, seed=1)
    sent = {
        "s1": add_batches(
            redis_client, keys, session="s1", model=model_name, starts=range(0, 20, 5)
        ),
        "s2": add_batches(
            redis_client, keys, session="s2", model=model_name, starts=range(0, 10, 5)
        ),
    }
    handler = _handler(redis_client, keys, ModelRegistry(root=model_root))
    assert handler(stream_entries(redis_client, keys.frames)) == {}

    entries = read_predictions(redis_client, keys)
    assert [(e.session, e.model, e.version) for e in entries] == [
        *[("s1", model_name, 1)] * 4,
        *[("s2", model_name, 1)] * 2,
    ]
    for session, batches in sent.items():
        kps = keypoints_by_seq(batches)
        predictions = [p for e in entries if e.session == session for p in e.predictions]
        assert [p["seq"] for p in predictions] == sorted(kps)
        expected = published.expected(np.array([kps[p["seq"]] for p in predictions]))
        for prediction, row in zip(predictions, expected, strict=True):
            check_prediction(prediction, row)
            assert prediction["person"] == 0
            assert 0 <= prediction["latency_ms"] < 60_000


def test_person_index_is_kept(
    redis_client: redis.Redis, keys: StreamKeys, model_root: Path, model_name: str
) -> None:
    publish(model_root, model_name, seed=1)
    body = batch(0, 2)
    body["frames"][1]["person"] = 3
    body["frames"][1]["seq"] = 0
    redis_client.xadd(keys.frames, frames_fields(session="s", model=model_name, body=body))
    _handler(redis_client, keys, ModelRegistry(root=model_root))(
        stream_entries(redis_client, keys.frames)
    )
    (entry,) = read_predictions(redis_client, keys)
    assert [(p["seq"], p["person"]) for p in entry.predictions] == [(0, 0), (0, 3)]


def _poison_bodies() -> dict[str, tuple[dict[str, Any], str]]:
    short = batch(0, 3)
    short["frames"][1]["keypoints"] = short["frames"][1]["keypoints"][:16]
    pair = batch(0, 3)
    pair["frames"][2]["keypoints"][4] = [1.0, 2.0]
    text = batch(0, 2)
    text["frames"][0]["keypoints"][0] = "nose"
    no_seq = batch(0, 2)
    del no_seq["frames"][0]["seq"]
    return {
        "short": (short, "17 keypoints"),
        "pair": (pair, "[x, y, score]"),
        "text": (text, "keypoint"),
        "no_seq": (no_seq, "seq"),
        "empty": ({**batch(0, 1), "frames": []}, "no frames"),
    }


def test_poison_entries_are_invalid_with_a_reason_and_others_flow(
    redis_client: redis.Redis, keys: StreamKeys, model_root: Path, model_name: str
) -> None:
    publish(model_root, model_name, seed=1)
    expected_reasons = {}
    add_batches(redis_client, keys, session="good", model=model_name, starts=range(0, 5, 5))
    for session, (body, reason) in _poison_bodies().items():
        entry_id = redis_client.xadd(
            keys.frames, frames_fields(session=session, model=model_name, body=body)
        )
        expected_reasons[entry_id.decode()] = reason
    garbage = frames_fields(session="garbage", model=model_name, body={})
    garbage["d"] = b"{not json"
    expected_reasons[redis_client.xadd(keys.frames, garbage).decode()] = "not JSON"
    bad_name = frames_fields(session="bad-name", model="Not A Name", body=batch(0, 1))
    expected_reasons[redis_client.xadd(keys.frames, bad_name).decode()] = "invalid model name"
    add_batches(redis_client, keys, session="good", model=model_name, starts=range(5, 10, 5))

    verdicts = _handler(redis_client, keys, ModelRegistry(root=model_root))(
        stream_entries(redis_client, keys.frames)
    )
    assert set(verdicts) == set(expected_reasons)
    for entry_id, reason in expected_reasons.items():
        assert reason in verdicts[entry_id].reason
    entries = read_predictions(redis_client, keys)
    assert [e.session for e in entries] == ["good", "good"]
    assert [p["seq"] for e in entries for p in e.predictions] == list(range(10))


def test_one_traced_call_per_model_per_batch(
    redis_client: redis.Redis, keys: StreamKeys, model_root: Path, model_name: str
) -> None:
    other = model_name + "-b"
    publish(model_root, model_name, seed=1)
    publish(model_root, other, seed=2)
    calls: list[tuple[str, int]] = []

    def counting_loader(**kw: Any) -> LoadedModel:
        loaded = load_model(**kw)

        def predict(features: Any) -> Any:
            calls.append((loaded.name, len(features)))
            return loaded.predict_fn(features)

        return dataclasses.replace(loaded, predict_fn=predict)

    for i in range(6):
        add_batches(
            redis_client, keys, session=f"s{i}", model=(model_name, other)[i % 2], starts=range(1)
        )
    registry = ModelRegistry(root=model_root, loader=counting_loader)
    _handler(redis_client, keys, registry)(stream_entries(redis_client, keys.frames))
    assert sorted(calls) == sorted([(model_name, 15), (other, 15)])
    assert len(read_predictions(redis_client, keys)) == 6
    assert {e.model for e in read_predictions(redis_client, keys)} == {model_name, other}


def test_frames_of_a_model_without_version_are_counted_not_predicted(
    redis_client: redis.Redis, keys: StreamKeys, model_root: Path, model_name: str
) -> None:
    def unclassified() -> float:
        value = REGISTRY.get_sample_value(
            "pose_inference_frames_unclassified_total", {"model": model_name}
        )
        return value or 0.0

    add_batches(redis_client, keys, session="s", model=model_name, starts=range(0, 15, 5))
    verdicts = _handler(redis_client, keys, ModelRegistry(root=model_root))(
        stream_entries(redis_client, keys.frames)
    )
    assert verdicts == {}
    assert read_predictions(redis_client, keys) == []
    assert unclassified() == 15


@pytest.mark.parametrize("frames", [1, 30])
def test_latency_is_measured_from_ingest_time(
    redis_client: redis.Redis, keys: StreamKeys, model_root: Path, model_name: str, frames: int
) -> None:
    publish(model_root, model_name, seed=1)
    fields = frames_fields(session="s", model=model_name, body=batch(0, frames))
    fields["ts"] = repr(1000.0)
    redis_client.xadd(keys.frames, fields)
    handler = PredictionHandler(
        client=redis_client,
        registry=ModelRegistry(root=model_root),
        predictions_stream=keys.predictions,
        history=FeatureHistory(redis_client, keys),
        clock=lambda: 1000.25,
    )
    handler([Entry(i.decode(), f) for i, f in redis_client.xrange(keys.frames)])
    (entry,) = read_predictions(redis_client, keys)
    assert [p["latency_ms"] for p in entry.predictions] == [pytest.approx(250.0)] * frames
    assert orjson.dumps(entry.predictions)  # plain JSON-able values for the WebSocket relay
