"""Model store: layout, manifest, atomic publish and aliases, concurrent publishers, loading."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
import redis

from pose_common import model_catalog as catalog
from pose_common.model_aliases import set_alias
from pose_common.skeleton import KEYPOINT_NAMES
from pose_common.streams import StreamKeys
from pose_ml import model_store
from pose_ml.features import FEATURE_SPEC_VERSION, FeatureSpec, feature_spec, keypoints_to_features
from pose_ml.mlp import build_mlp
from pose_ml.model_store import ModelLoadError, load_model, publish_model

LABELS = ["tree", "warrior", "cobra"]


def _publish(root: Path, seed: int = 0, **kw: object) -> int:
    return publish_model(
        root=root,
        name="yoga",
        model=build_mlp(len(LABELS), seed),
        labels=LABELS,
        feature_spec=feature_spec(),
        **kw,  # type: ignore[arg-type]
    )


def test_publish_writes_layout_manifest_report_and_alias(tmp_path: Path) -> None:
    version = _publish(
        tmp_path,
        metrics={"accuracy": 0.9},
        training_data={"frames": 1200, "subjects": 5},
        report={"confusion": [[1]]},
    )
    assert version == 1
    directory = tmp_path / "yoga" / "versions" / "000001"
    assert sorted(p.name for p in directory.iterdir()) == [
        "manifest.json",
        "model.keras",
        "report.json",
    ]
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["version"] == 1 and manifest["name"] == "yoga"
    assert manifest["labels"] == LABELS
    assert manifest["feature_spec"]["version"] == FEATURE_SPEC_VERSION
    assert manifest["feature_spec"]["size"] == 51
    assert manifest["skeleton"] == "coco17" and manifest["keypoints"] == list(KEYPOINT_NAMES)
    assert manifest["metrics"] == {"accuracy": 0.9}
    assert manifest["training_data"] == {"frames": 1200, "subjects": 5}
    assert manifest["parent_version"] is None and manifest["created"]
    assert json.loads((directory / "report.json").read_text()) == {"confusion": [[1]]}
    assert (tmp_path / "yoga" / "aliases" / "production").read_text().strip() == "1"
    assert catalog.list_models(tmp_path)[0].production == 1
    assert not list((tmp_path / "yoga").glob(".tmp-*"))


def test_versions_count_up_and_alias_follows_unless_told_not_to(tmp_path: Path) -> None:
    assert _publish(tmp_path, seed=1) == 1
    assert _publish(tmp_path, seed=2, parent_version=1) == 2
    assert catalog.resolve_alias(tmp_path, "yoga") == 2
    assert _publish(tmp_path, seed=3, alias=None) == 3
    assert catalog.resolve_alias(tmp_path, "yoga") == 2
    assert _publish(tmp_path, seed=4, alias="candidate") == 4
    assert catalog.read_aliases(tmp_path, "yoga") == {"production": 2, "candidate": 4}
    assert catalog.read_manifest(tmp_path, "yoga", 2)["parent_version"] == 1


def test_set_alias_promotes_and_rolls_back_with_events(
    tmp_path: Path, redis_client: redis.Redis, keys: StreamKeys
) -> None:
    stream = keys.models
    _publish(tmp_path, seed=1, redis=redis_client, models_stream=stream)
    _publish(tmp_path, seed=2, alias=None, redis=redis_client, models_stream=stream)
    assert (
        set_alias(root=tmp_path, name="yoga", version=2, redis=redis_client, models_stream=stream)
        == 1
    )
    assert (
        set_alias(root=tmp_path, name="yoga", version=1, redis=redis_client, models_stream=stream)
        == 2
    )
    events = [
        {k.decode(): v.decode() for k, v in fields.items()}
        for _, fields in redis_client.xrange(stream)
    ]
    assert events == [
        {"name": "yoga", "version": "1", "alias": "production", "event": "published"},
        {"name": "yoga", "version": "2", "alias": "", "event": "published"},
        {"name": "yoga", "version": "2", "alias": "production", "event": "promoted"},
        {"name": "yoga", "version": "1", "alias": "production", "event": "rolled_back"},
    ]
    assert catalog.resolve_alias(tmp_path, "yoga") == 1
    with pytest.raises(ValueError, match="no published version 9"):
        set_alias(root=tmp_path, name="yoga", version=9)


def test_alias_is_replaced_atomically(tmp_path: Path) -> None:
    _publish(tmp_path, seed=1)
    _publish(tmp_path, seed=2, alias=None)
    seen: set[str] = set()
    stop = threading.Event()
    alias = catalog.alias_file(tmp_path, "yoga", "production")

    def read_forever() -> None:
        while not stop.is_set():
            seen.add(alias.read_text())

    reader = threading.Thread(target=read_forever)
    reader.start()
    for i in range(200):
        set_alias(root=tmp_path, name="yoga", version=1 + i % 2)
    stop.set()
    reader.join()
    assert seen <= {"1\n", "2\n"}  # never empty, never half written, never missing
    assert not [p for p in alias.parent.iterdir() if p.name.startswith(".")]


def test_concurrent_publishers_get_distinct_versions(tmp_path: Path) -> None:
    models = [build_mlp(len(LABELS), seed) for seed in range(6)]
    barrier = threading.Barrier(len(models))
    versions: list[int] = []

    def publish(model: object) -> None:
        barrier.wait()
        versions.append(
            publish_model(
                root=tmp_path, name="yoga", model=model, labels=LABELS, feature_spec=feature_spec()
            )
        )

    threads = [threading.Thread(target=publish, args=(m,)) for m in models]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(versions) == [1, 2, 3, 4, 5, 6]
    for version in versions:
        assert catalog.read_manifest(tmp_path, "yoga", version)["version"] == version
    assert not list((tmp_path / "yoga").glob(".tmp-*"))


def test_lost_rename_race_takes_the_next_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _publish(tmp_path, seed=1)
    real_list_versions = catalog.list_versions
    calls = {"n": 0}

    def stale_listing(root: Path, name: str) -> list[int]:
        # The first look misses version 1, as a publisher racing another one would.
        calls["n"] += 1
        return [] if calls["n"] == 1 else real_list_versions(root, name)

    monkeypatch.setattr(model_store.catalog, "list_versions", stale_listing)
    assert _publish(tmp_path, seed=2) == 2
    assert calls["n"] == 2
    assert catalog.read_manifest(tmp_path, "yoga", 1)["version"] == 1


def test_half_written_version_is_never_listed_or_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A publisher killed mid-write leaves only a temp dir behind.
    partial = tmp_path / "yoga" / ".tmp-dead"
    partial.mkdir(parents=True)
    (partial / "model.keras").write_bytes(b"PK\x03\x04 half")
    assert catalog.list_versions(tmp_path, "yoga") == []
    assert catalog.list_models(tmp_path) == []
    # A publisher that fails after writing the model leaves nothing at all.
    monkeypatch.setattr(model_store, "_rename_into_place", _explode)
    with pytest.raises(OSError, match="disk full"):
        _publish(tmp_path, seed=1)
    assert catalog.list_versions(tmp_path, "yoga") == []
    assert catalog.resolve_alias(tmp_path, "yoga") is None
    assert sorted(p.name for p in (tmp_path / "yoga").glob(".tmp-*")) == [".tmp-dead"]
    monkeypatch.undo()
    assert _publish(tmp_path, seed=1) == 1


def _explode(**_kw: object) -> int:
    raise OSError("disk full")


def test_refuses_a_model_that_does_not_fit_labels_or_features(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="labels are 3"):
        publish_model(
            root=tmp_path,
            name="yoga",
            model=build_mlp(4),
            labels=LABELS,
            feature_spec=feature_spec(),
        )
    with pytest.raises(ValueError, match="not supported"):
        publish_model(
            root=tmp_path,
            name="yoga",
            model=build_mlp(3),
            labels=LABELS,
            feature_spec=FeatureSpec(version=99),
        )
    with pytest.raises(ValueError, match="invalid model name"):
        publish_model(
            root=tmp_path,
            name="Bad/Name",
            model=build_mlp(3),
            labels=LABELS,
            feature_spec=feature_spec(),
        )
    assert not (tmp_path / "yoga").exists() or catalog.list_versions(tmp_path, "yoga") == []


def test_load_model_predicts_like_the_published_model(tmp_path: Path) -> None:
    model = build_mlp(len(LABELS), 7)
    version = publish_model(
        root=tmp_path,
        name="yoga",
        model=model,
        labels=LABELS,
        feature_spec=feature_spec(min_score=0.3),
    )
    loaded = load_model(root=tmp_path, name="yoga", version=version)
    assert loaded.version == 1 and loaded.labels.to_list() == LABELS
    assert loaded.feature_spec.min_score == 0.3
    rng = np.random.default_rng(0)
    keypoints = np.concatenate(
        [rng.uniform(0, 640, (10, 17, 2)), rng.uniform(0, 1, (10, 17, 1))], axis=2
    ).astype(np.float32)
    features = keypoints_to_features(keypoints, min_score=0.3)
    np.testing.assert_allclose(loaded.features(keypoints), features)
    expected = model(features, training=False).numpy()
    np.testing.assert_allclose(loaded.probabilities(features), expected, atol=1e-6)
    # Any batch size goes through the same traced graph.
    for n in (1, 3, 10):
        np.testing.assert_allclose(loaded.probabilities(features[:n]), expected[:n], atol=1e-6)
    assert loaded.predict_fn.experimental_get_tracing_count() == 1


def test_load_refuses_missing_or_incompatible_versions(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="version 1"):
        load_model(root=tmp_path, name="yoga", version=1)
    _publish(tmp_path)
    manifest_path = catalog.version_dir(tmp_path, "yoga", 1) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["feature_spec"]["version"] = FEATURE_SPEC_VERSION + 1
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="not supported"):
        load_model(root=tmp_path, name="yoga", version=1)


def test_feature_spec_defaults_to_the_current_one(tmp_path: Path) -> None:
    model_store.publish_model(
        root=tmp_path, name="yoga", model=model_store.build_mlp(len(LABELS)), labels=LABELS
    )
    manifest = catalog.read_manifest(tmp_path, "yoga", 1)
    assert manifest["feature_spec"] == FeatureSpec().to_dict()
