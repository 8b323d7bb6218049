"""ModelRegistry: lazy load, hot swap after loading, failed loads keep the old model, roll back."""

from __future__ import annotations

from pathlib import Path

import redis
from prometheus_client import REGISTRY

from pose_common import model_catalog as catalog
from pose_common.model_aliases import set_alias
from pose_common.streams import StreamKeys
from pose_inference.registry import ModelEvents, ModelRegistry
from tests.inference.conftest import publish


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_lazy_load_and_no_model_status(model_root: Path, model_name: str) -> None:
    registry = ModelRegistry(root=model_root, reload_every_s=60)
    assert registry.status() == {"status": "no model", "models": {}, "no_model": []}
    assert registry.get(model_name) is None
    assert registry.status()["no_model"] == [model_name]
    assert REGISTRY.get_sample_value("pose_inference_model_version", {"model": model_name}) == 0
    publish(model_root, model_name, seed=1)
    assert registry.get(model_name) is None  # not re-checked on every frame...
    registry.reload(announced={model_name})  # ...but as soon as it is announced
    loaded = registry.get(model_name)
    assert loaded is not None and loaded.version == 1
    assert registry.status() == {"status": "ok", "models": {model_name: 1}, "no_model": []}
    assert REGISTRY.get_sample_value("pose_inference_model_version", {"model": model_name}) == 1


def test_periodic_reload_follows_the_alias_and_rolls_back_instantly(
    model_root: Path, model_name: str
) -> None:
    clock = FakeClock()
    registry = ModelRegistry(root=model_root, reload_every_s=2.0, clock=clock)
    publish(model_root, model_name, seed=1)
    first = registry.get(model_name)
    publish(model_root, model_name, seed=2)
    registry.reload()
    assert registry.get(model_name) is first  # period not due yet
    clock.now = 2.5
    registry.reload()
    second = registry.get(model_name)
    assert second is not None and second.version == 2
    set_alias(root=model_root, name=model_name, version=1)
    clock.now = 5.0
    registry.reload()
    assert registry.get(model_name) is first  # the kept previous version: no reload needed


def test_a_version_that_fails_to_load_keeps_the_old_one(model_root: Path, model_name: str) -> None:
    clock = FakeClock()
    registry = ModelRegistry(root=model_root, reload_every_s=60, clock=clock)
    publish(model_root, model_name, seed=1)
    assert registry.get(model_name).version == 1  # type: ignore[union-attr]
    publish(model_root, model_name, seed=2, alias=None)
    (catalog.version_dir(model_root, model_name, 2) / "model.keras").write_bytes(b"corrupt")
    set_alias(root=model_root, name=model_name, version=2)

    def errors() -> float:
        value = REGISTRY.get_sample_value(
            "pose_inference_model_load_errors_total", {"model": model_name}
        )
        return value or 0.0

    registry.reload(announced={model_name})
    assert registry.get(model_name).version == 1  # type: ignore[union-attr]
    assert errors() == 1
    clock.now = 100.0
    registry.reload()  # not retried on every periodic check...
    assert errors() == 1
    publish(model_root, model_name, seed=3)  # ...and a good version is taken at once
    registry.reload(announced={model_name})
    assert registry.get(model_name).version == 3  # type: ignore[union-attr]


def test_unloadable_first_version_means_no_model(model_root: Path, model_name: str) -> None:
    publish(model_root, model_name, seed=1)
    (catalog.version_dir(model_root, model_name, 1) / "model.keras").write_bytes(b"corrupt")
    registry = ModelRegistry(root=model_root)
    assert registry.get(model_name) is None
    assert registry.status()["no_model"] == [model_name]


def test_invalid_names_never_have_a_model(model_root: Path) -> None:
    assert ModelRegistry(root=model_root).get("../etc") is None


def test_model_events_are_read_from_where_the_stream_stood(
    redis_client: redis.Redis, keys: StreamKeys
) -> None:
    redis_client.xadd(keys.models, {"name": "old", "version": "1", "alias": "", "event": "x"})
    events = ModelEvents(redis_client, keys.models)
    events.start()
    assert events.read() == set()
    redis_client.xadd(keys.models, {"name": "a", "version": "1", "alias": "", "event": "x"})
    redis_client.xadd(keys.models, {"name": "b", "version": "1", "alias": "", "event": "x"})
    assert events.read() == {"a", "b"}
    assert events.read() == set()
    fresh = ModelEvents(redis_client, keys.models + ":empty")
    assert fresh.read() == set()
    redis_client.xadd(keys.models + ":empty", {"name": "c"})
    assert fresh.read() == {"c"}
