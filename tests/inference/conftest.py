"""Helpers for the inference tests: tiny published models, frames entries, a worker thread."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import orjson
import pytest
import redis

from pose_common import codec
from pose_common.consumer import Entry
from pose_common.streams import StreamKeys
from pose_inference.settings import InferenceSettings
from pose_inference.worker import InferenceWorker, build_worker
from pose_ml.features import feature_spec, keypoints_to_features
from pose_ml.mlp import build_mlp
from pose_ml.model_store import publish_model
from tests.factories import batch

LABELS = ["tree", "warrior", "cobra", "chair"]


@dataclass
class Published:
    """A model the test published, kept to compute the expected predictions."""

    name: str
    version: int
    model: keras.Model

    def expected(self, keypoints: np.ndarray) -> np.ndarray:
        return self.model(keypoints_to_features(keypoints), training=False).numpy()


@pytest.fixture
def model_root(tmp_path: Path) -> Path:
    return tmp_path / "models"


@pytest.fixture
def model_name() -> str:
    return f"m{uuid.uuid4().hex[:10]}"  # unique per test: metrics are process-wide


def publish(
    root: Path,
    name: str,
    *,
    seed: int,
    client: redis.Redis | None = None,
    keys: StreamKeys | None = None,
    alias: str | None = "production",
) -> Published:
    model = build_mlp(len(LABELS), seed)
    version = publish_model(
        root=root,
        name=name,
        model=model,
        labels=LABELS,
        feature_spec=feature_spec(),
        alias=alias,
        redis=client,
        models_stream=keys.models if keys else None,
    )
    return Published(name, version, model)


def frames_fields(*, session: str, model: str, body: dict[str, Any]) -> dict[str, Any]:
    return codec.encode_frames(session=session, model=model, body=orjson.dumps(body))


def add_batches(
    client: redis.Redis,
    keys: StreamKeys,
    *,
    session: str,
    model: str,
    starts: range,
    count: int = 5,
) -> list[dict[str, Any]]:
    """XADD one frames entry per start seq; returns the batches sent."""
    sent = []
    for start in starts:
        body = batch(start, count, seed=hash(session) % 1000)
        client.xadd(keys.frames, frames_fields(session=session, model=model, body=body))
        sent.append(body)
    return sent


def keypoints_by_seq(batches: list[dict[str, Any]]) -> dict[int, list]:
    return {frame["seq"]: frame["keypoints"] for b in batches for frame in b["frames"]}


def stream_entries(client: redis.Redis, stream: str) -> list[Entry]:
    return [Entry(raw_id.decode(), fields) for raw_id, fields in client.xrange(stream)]


def read_predictions(client: redis.Redis, keys: StreamKeys) -> list[codec.PredictionsEntry]:
    return [codec.decode_predictions(fields) for _, fields in client.xrange(keys.predictions)]


def wait_for(condition: Callable[[], bool], *, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def check_prediction(prediction: dict[str, Any], expected: np.ndarray) -> None:
    """One prediction dict holds exactly what the model computes for that frame."""
    probabilities = [prediction["probabilities"][label] for label in LABELS]
    np.testing.assert_allclose(probabilities, expected, atol=1e-6)
    assert list(prediction["probabilities"]) == LABELS
    assert prediction["label"] == LABELS[int(np.argmax(expected))]
    assert prediction["probability"] == pytest.approx(float(expected.max()), abs=1e-6)


@pytest.fixture
def inference_settings(
    unique_prefix: str, model_root: Path, tmp_path: Path, redis_url: str
) -> InferenceSettings:
    return InferenceSettings(
        redis_url=redis_url,
        key_prefix=unique_prefix,
        model_dir=model_root,
        data_dir=tmp_path / "data",
        default_model="yoga",
        inference_block_ms=50,
        inference_reload_every_s=0.2,
        inference_heartbeat_every_s=0.05,
        inference_reclaim_idle_ms=60_000,
        metrics_port=0,
    )


@pytest.fixture
def run_worker(
    redis_client: redis.Redis,
) -> Iterator[Callable[[InferenceSettings], InferenceWorker]]:
    """Start workers in threads; each is stopped and joined at the end of the test."""
    started: list[tuple[InferenceWorker, threading.Thread]] = []

    def start(settings: InferenceSettings) -> InferenceWorker:
        worker = build_worker(settings=settings, client=redis_client)
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        started.append((worker, thread))
        return worker

    yield start
    for worker, thread in started:
        worker.stop()
        thread.join(timeout=10)
        assert not thread.is_alive()
