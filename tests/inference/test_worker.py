"""The worker in a thread against the real Redis: hot reload, roll back, poison, no model."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import redis
from prometheus_client import REGISTRY

from pose_common.model_aliases import set_alias
from pose_common.streams import GROUP_INFERENCE, StreamKeys
from pose_inference.settings import InferenceSettings
from pose_inference.worker import InferenceWorker
from pose_ml.classifiers import build_temporal
from pose_ml.datasets.windows import window_features
from pose_ml.features import feature_spec, keypoints_to_features
from pose_ml.model_store import publish_model
from tests.factories import batch
from tests.inference.conftest import (
    LABELS,
    Published,
    add_batches,
    check_prediction,
    frames_fields,
    keypoints_by_seq,
    publish,
    read_predictions,
    wait_for,
)

RunWorker = Callable[[InferenceSettings], InferenceWorker]


def _frames_predicted(client: redis.Redis, keys: StreamKeys) -> int:
    return sum(len(e.predictions) for e in read_predictions(client, keys))


def _send_and_wait(
    client: redis.Redis, keys: StreamKeys, *, model: str, starts: range, sent: list
) -> None:
    sent += add_batches(client, keys, session="s", model=model, starts=starts)
    total = sum(len(b["frames"]) for b in sent)
    wait_for(lambda: _frames_predicted(client, keys) == total)


def test_hot_reload_and_roll_back_without_restart(
    redis_client: redis.Redis,
    keys: StreamKeys,
    model_root: Path,
    inference_settings: InferenceSettings,
    run_worker: RunWorker,
) -> None:
    settings = inference_settings.model_copy(update={"inference_reload_every_s": 3600.0})
    name = settings.default_model
    models: dict[int, Published] = {
        1: publish(model_root, name, seed=1, client=redis_client, keys=keys)
    }
    run_worker(settings)
    sent: list = []
    _send_and_wait(redis_client, keys, model=name, starts=range(0, 20, 5), sent=sent)
    models[2] = publish(model_root, name, seed=2, client=redis_client, keys=keys)
    wait_for(lambda: json.loads(settings.heartbeat_path.read_text())["models"] == {name: 2})
    _send_and_wait(redis_client, keys, model=name, starts=range(20, 40, 5), sent=sent)
    set_alias(root=model_root, name=name, version=1, redis=redis_client, models_stream=keys.models)
    wait_for(lambda: json.loads(settings.heartbeat_path.read_text())["models"] == {name: 1})
    _send_and_wait(redis_client, keys, model=name, starts=range(40, 60, 5), sent=sent)

    entries = read_predictions(redis_client, keys)
    versions = [e.version for e in entries]
    assert versions == [1] * 4 + [2] * 4 + [1] * 4
    kps = keypoints_by_seq(sent)
    seqs = [p["seq"] for e in entries for p in e.predictions]
    assert seqs == list(range(60))  # every frame exactly once, none lost in the swaps
    for entry in entries:
        rows = np.array([kps[p["seq"]] for p in entry.predictions])
        expected = models[entry.version].expected(rows)
        assert not np.allclose(expected, models[3 - entry.version].expected(rows), atol=1e-3)
        for prediction, row in zip(entry.predictions, expected, strict=True):
            check_prediction(prediction, row)
    assert redis_client.xpending(keys.frames, GROUP_INFERENCE)["pending"] == 0


def test_poison_is_dead_lettered_with_its_reason_and_others_flow(
    redis_client: redis.Redis,
    keys: StreamKeys,
    model_root: Path,
    inference_settings: InferenceSettings,
    run_worker: RunWorker,
) -> None:
    name = inference_settings.default_model
    publish(model_root, name, seed=1)
    run_worker(inference_settings)
    add_batches(redis_client, keys, session="s", model=name, starts=range(0, 10, 5))
    garbage = frames_fields(session="s", model=name, body={})
    garbage["d"] = b"\x00garbage"
    redis_client.xadd(keys.frames, garbage)
    short = batch(10, 5)
    short["frames"][2]["keypoints"].pop()
    redis_client.xadd(keys.frames, frames_fields(session="s", model=name, body=short))
    add_batches(redis_client, keys, session="s", model=name, starts=range(15, 25, 5))
    dead_stream = keys.dead_letter(keys.frames)
    wait_for(
        lambda: redis_client.xlen(dead_stream) == 2 and _frames_predicted(redis_client, keys) == 20
    )
    reasons = [fields[b"reason"].decode() for _, fields in redis_client.xrange(dead_stream)]
    assert "not JSON" in reasons[0]
    assert "17 keypoints" in reasons[1]
    seqs = [p["seq"] for e in read_predictions(redis_client, keys) for p in e.predictions]
    assert seqs == [*range(10), *range(15, 25)]
    wait_for(lambda: redis_client.xpending(keys.frames, GROUP_INFERENCE)["pending"] == 0)


def test_without_a_model_frames_are_acked_counted_and_health_says_so(
    redis_client: redis.Redis,
    keys: StreamKeys,
    model_root: Path,
    inference_settings: InferenceSettings,
    run_worker: RunWorker,
    model_name: str,
) -> None:
    settings = inference_settings.model_copy(update={"default_model": model_name})
    worker = run_worker(settings)
    add_batches(redis_client, keys, session="s", model=model_name, starts=range(0, 15, 5))

    def unclassified() -> float:
        value = REGISTRY.get_sample_value(
            "pose_inference_frames_unclassified_total", {"model": model_name}
        )
        return value or 0.0

    wait_for(lambda: unclassified() == 15)
    wait_for(lambda: redis_client.xpending(keys.frames, GROUP_INFERENCE)["pending"] == 0)
    assert read_predictions(redis_client, keys) == []
    heartbeat = json.loads(settings.heartbeat_path.read_text())
    assert heartbeat["status"] == "no model" and heartbeat["no_model"] == [model_name]
    key = keys.heartbeat("inference", worker.consumer.config.consumer)
    assert json.loads(redis_client.get(key))["status"] == "no model"  # type: ignore[arg-type]

    publish(model_root, model_name, seed=1, client=redis_client, keys=keys)
    wait_for(lambda: json.loads(settings.heartbeat_path.read_text())["status"] == "ok")
    add_batches(redis_client, keys, session="s", model=model_name, starts=range(15, 20, 5))
    wait_for(lambda: _frames_predicted(redis_client, keys) == 5)
    assert unclassified() == 15


def test_publishing_while_frames_flow_loses_nothing(
    redis_client: redis.Redis,
    keys: StreamKeys,
    model_root: Path,
    inference_settings: InferenceSettings,
    run_worker: RunWorker,
) -> None:
    name = inference_settings.default_model
    models = {1: publish(model_root, name, seed=1, client=redis_client, keys=keys)}
    run_worker(inference_settings)
    sent: list = []
    stop = threading.Event()

    def produce() -> None:
        start = 0
        while not stop.is_set() and start < 2000:
            sent.extend(
                add_batches(
                    redis_client, keys, session="s", model=name, starts=range(start, start + 1)
                )
            )
            start += 5
            time.sleep(0.005)

    producer = threading.Thread(target=produce)
    producer.start()
    wait_for(lambda: _frames_predicted(redis_client, keys) >= 50)
    models[2] = publish(model_root, name, seed=2, client=redis_client, keys=keys)
    wait_for(lambda: sum(e.version == 2 for e in read_predictions(redis_client, keys)) >= 10)
    stop.set()
    producer.join()
    wait_for(lambda: _frames_predicted(redis_client, keys) == len(sent) * 5)

    entries = read_predictions(redis_client, keys)
    versions = [e.version for e in entries]
    assert versions == sorted(versions) and set(versions) == {1, 2}
    kps = keypoints_by_seq(sent)
    assert sorted(p["seq"] for e in entries for p in e.predictions) == sorted(kps)
    for entry in entries:
        rows = np.array([kps[p["seq"]] for p in entry.predictions])
        for prediction, row in zip(
            entry.predictions, models[entry.version].expected(rows), strict=True
        ):
            check_prediction(prediction, row)


def test_two_workers_give_a_temporal_model_the_windows_one_would(
    redis_client: redis.Redis,
    keys: StreamKeys,
    model_root: Path,
    inference_settings: InferenceSettings,
    run_worker: RunWorker,
) -> None:
    """The consumer group splits the session's entries; every frame still gets its window."""
    window, spec = 8, feature_spec()
    model = build_temporal(window=window, n_features=spec.size, n_labels=len(LABELS), seed=3)
    settings = inference_settings.model_copy(update={"inference_batch_entries": 1})
    name = settings.default_model
    publish_model(
        root=model_root, name=name, model=model, labels=LABELS, feature_spec=spec, window=window
    )
    workers = [run_worker(settings), run_worker(settings)]
    sent: list = []
    for start in range(0, 60, 5):  # one entry at a time, so both blocked readers take turns
        _send_and_wait(redis_client, keys, model=name, starts=range(start, start + 5, 5), sent=sent)
    assert all(w.consumer.processed > 0 for w in workers), [w.consumer.processed for w in workers]

    kps = keypoints_by_seq(sent)
    points = np.array([kps[seq] for seq in range(60)], np.float32)
    windows = window_features(keypoints_to_features(points), window=window)
    expected = model(windows, training=False).numpy()
    predictions = [p for e in read_predictions(redis_client, keys) for p in e.predictions]
    assert sorted(p["seq"] for p in predictions) == list(range(60))
    for prediction in predictions:
        check_prediction(prediction, expected[prediction["seq"]])
