"""Model artifacts on shared storage: publish atomically, load for serving.

The layout is the one pose_common.model_catalog reads (DESIGN.md section 2):
    {root}/{name}/versions/{version:06d}/model.keras, manifest.json, report.json
    {root}/{name}/aliases/{alias}
A version is written completely into {root}/{name}/.tmp-*/ and then renamed into place, so
a reader never sees half of one; two publishers racing for the same number both succeed
with different numbers (the loser of the rename takes the next). Aliases move with an atomic
os.replace (pose_common.model_aliases, which promote and roll back use without TensorFlow).
After each change an event goes to the models stream so workers reload at once.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import keras
import numpy as np
import redis as redis_lib
import tensorflow as tf

from pose_common import model_catalog as catalog
from pose_common.model_aliases import announce, fsync_dir, point_alias
from pose_common.skeleton import KEYPOINT_NAMES, SKELETON_NAME
from pose_ml import layers as _layers  # noqa: F401  (registers the custom layers for loading)
from pose_ml.features import FeatureSpec
from pose_ml.labels import LabelMap
from pose_ml.mlp import build_mlp

__all__ = [
    "LoadedModel",
    "ModelLoadError",
    "build_mlp",
    "import_version",
    "load_model",
    "publish_model",
]

log = logging.getLogger(__name__)

MANIFEST_VERSION = 1
OUTPUTS_PROBABILITIES = "probabilities"
OUTPUTS_LOGITS = "logits"
_MAX_PUBLISH_ATTEMPTS = 1000
_STALE_TEMP_S = 3600.0


class ModelLoadError(RuntimeError):
    """A published version that cannot be served, with the reason."""


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """A version ready to serve: one traced call from features to probabilities."""

    name: str
    version: int
    model: keras.Model
    manifest: dict[str, Any]
    labels: LabelMap
    feature_spec: FeatureSpec
    predict_fn: Callable[[Any], Any]
    window: int | None = None  # temporal models: frames per input window

    def features(self, keypoints: np.ndarray) -> np.ndarray:
        """(N, 17, 3) keypoints -> this model's (N, F) input (per frame)."""
        return self.feature_spec.features(keypoints)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """(N, F) features (or (N, W, F) windows) -> (N, labels) through the traced function."""
        return np.asarray(self.predict_fn(features))


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True, default=str)
        handle.flush()
        os.fsync(handle.fileno())


def _input_shape(spec: FeatureSpec, window: int | None) -> tuple[int, ...]:
    return (spec.size,) if window is None else (window, spec.size)


def _check_model_shape(
    model: keras.Model, *, labels: LabelMap, spec: FeatureSpec, window: int | None = None
) -> None:
    """Refuse a model whose input/output does not fit the feature spec and the labels."""
    try:
        sample = np.zeros((1, *_input_shape(spec, window)), dtype=np.float32)
        output = model(sample, training=False)
    except Exception as exc:
        raise ValueError(f"the model does not take {spec.size} features: {exc}") from exc
    if tuple(output.shape) != (1, len(labels)):
        raise ValueError(f"the model outputs {tuple(output.shape)[1:]}, labels are {len(labels)}")


def _manifest(
    *,
    name: str,
    version: int,
    labels: LabelMap,
    spec: FeatureSpec,
    metrics: Mapping[str, Any] | None,
    training_data: Mapping[str, Any] | None,
    parent_version: int | None,
    window: int | None = None,
) -> dict[str, Any]:
    return {
        "manifest_version": MANIFEST_VERSION,
        "name": name,
        "version": version,
        "created": datetime.now(UTC).isoformat(),
        "labels": labels.to_list(),
        "feature_spec": spec.to_dict(),
        "skeleton": SKELETON_NAME,
        "keypoints": list(KEYPOINT_NAMES),
        "outputs": OUTPUTS_PROBABILITIES,
        "input": {"kind": "frame"} if window is None else {"kind": "window", "window": window},
        "training_data": dict(training_data or {}),
        "metrics": dict(metrics or {}),
        "parent_version": parent_version,
        "model_file": catalog.MODEL_FILE,
        "keras_version": keras.__version__,
        "tensorflow_version": tf.__version__,
    }


def _remove_stale_temp_dirs(model_dir: Path) -> None:
    """Temp dirs of publishers that died long ago: never listed, only taking space."""
    now = time.time()
    for path in model_dir.glob(".tmp-*"):
        try:
            if now - path.stat().st_mtime > _STALE_TEMP_S:
                shutil.rmtree(path, ignore_errors=True)
        except FileNotFoundError:
            continue


def _rename_into_place(*, tmp: Path, root: Path, name: str, manifest: dict[str, Any]) -> int:
    """Claim the next free version number by renaming tmp onto it; retry when taken."""
    versions_dir = catalog.model_root(root, name) / "versions"
    versions_dir.mkdir(parents=True, exist_ok=True)
    for _attempt in range(_MAX_PUBLISH_ATTEMPTS):
        existing = catalog.list_versions(root, name)
        version = (existing[-1] if existing else 0) + 1
        manifest["version"] = version
        _write_json(tmp / catalog.MANIFEST_FILE, manifest)
        try:
            # A version dir is never empty, so rename onto a taken number fails (ENOTEMPTY).
            os.rename(tmp, catalog.version_dir(root, name, version))
        except OSError as exc:
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                continue
            raise
        fsync_dir(versions_dir)
        return version
    raise RuntimeError(f"could not claim a version number for {name!r}")


def publish_model(
    *,
    root: Path,
    name: str,
    model: keras.Model,
    labels: LabelMap | Sequence[str],
    feature_spec: FeatureSpec | None = None,
    metrics: Mapping[str, Any] | None = None,
    training_data: Mapping[str, Any] | None = None,
    parent_version: int | None = None,
    report: Mapping[str, Any] | None = None,
    alias: str | None = catalog.PRODUCTION,
    redis: redis_lib.Redis | None = None,
    models_stream: str | None = None,
    files: Mapping[str, bytes] | None = None,
    manifest_extra: Mapping[str, Any] | None = None,
    window: int | None = None,
) -> int:
    """Write a new version atomically, point `alias` at it, announce it; return its number.

    feature_spec defaults to FeatureSpec() (keypoints_to_features with its default min_score).
    `files` are written beside the model (plots, the evaluation split); `manifest_extra`
    adds fields to the manifest (the config, the job). `window` marks a temporal model whose
    input is (N, window, features).
    """
    label_map = labels if isinstance(labels, LabelMap) else LabelMap.from_names(labels)
    feature_spec = feature_spec or FeatureSpec()
    feature_spec.check_supported()
    _check_model_shape(model, labels=label_map, spec=feature_spec, window=window)
    model_dir = catalog.model_root(Path(root), name)
    model_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp_dirs(model_dir)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=model_dir))
    try:
        model.save(tmp / catalog.MODEL_FILE)
        _write_json(tmp / catalog.REPORT_FILE, report or {})
        _write_files(tmp, files or {})
        manifest = _manifest(
            name=name,
            version=0,
            labels=label_map,
            spec=feature_spec,
            metrics=metrics,
            training_data=training_data,
            parent_version=parent_version,
            window=window,
        )
        manifest.update(manifest_extra or {})
        version = _rename_into_place(tmp=tmp, root=Path(root), name=name, manifest=manifest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("published model %s version %d", name, version)
    if alias is not None:
        point_alias(root=Path(root), name=name, alias=alias, version=version)
    announce(redis, models_stream, name=name, version=version, alias=alias, event="published")
    return version


def _write_files(directory: Path, files: Mapping[str, bytes]) -> None:
    reserved = {catalog.MODEL_FILE, catalog.MANIFEST_FILE, catalog.REPORT_FILE}
    for filename, content in files.items():
        if "/" in filename or filename.startswith(".") or filename in reserved:
            raise ValueError(f"cannot store an extra file named {filename!r}")
        with open(directory / filename, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())


def import_version(
    *,
    root: Path,
    name: str,
    source: Path,
    alias: str | None = catalog.PRODUCTION,
    redis: redis_lib.Redis | None = None,
    models_stream: str | None = None,
) -> int:
    """Publish a complete version directory made elsewhere (a shipped default model) as-is.

    It is copied into a temp dir, then renamed in as the next version; its manifest keeps
    everything but the name and version number.
    """
    source = Path(source)
    manifest = json.loads((source / catalog.MANIFEST_FILE).read_text())
    model_dir = catalog.model_root(Path(root), name)
    model_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=model_dir))
    try:
        for path in source.iterdir():
            if path.is_file() and path.name != catalog.MANIFEST_FILE:
                shutil.copyfile(path, tmp / path.name)
        manifest.update({"name": name, "imported_from": str(source)})
        version = _rename_into_place(tmp=tmp, root=Path(root), name=name, manifest=manifest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if alias is not None:
        point_alias(root=Path(root), name=name, alias=alias, version=version)
    announce(redis, models_stream, name=name, version=version, alias=alias, event="published")
    return version


def _traced_predict(
    model: keras.Model, *, shape: tuple[int, ...], logits: bool
) -> Callable[[Any], Any]:
    """One graph for any batch size: model(x, training=False), softmax'd when it gives logits."""

    @tf.function(
        input_signature=[tf.TensorSpec(shape=[None, *shape], dtype=tf.float32)],
        reduce_retracing=True,
    )
    def predict(features: tf.Tensor) -> tf.Tensor:
        outputs = model(features, training=False)
        return tf.nn.softmax(outputs) if logits else outputs

    return predict


def load_model(*, root: Path, name: str, version: int) -> LoadedModel:
    """Load one published version for serving; ModelLoadError says why it cannot be."""
    directory = catalog.version_dir(Path(root), name, version)
    try:
        manifest = json.loads((directory / catalog.MANIFEST_FILE).read_text())
        labels = LabelMap.from_names(manifest["labels"])
        spec = FeatureSpec.from_dict(manifest["feature_spec"])
        spec.check_supported()
        window = _manifest_window(manifest)
        model = keras.saving.load_model(directory / catalog.MODEL_FILE, compile=False)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"model {name!r} version {version}: {exc}") from exc
    logits = manifest.get("outputs", OUTPUTS_PROBABILITIES) == OUTPUTS_LOGITS
    shape = _input_shape(spec, window)
    predict = _traced_predict(model, shape=shape, logits=logits)
    try:
        # Trace now, so the first batch after a swap does not pay for it.
        warm = np.asarray(predict(np.zeros((1, *shape), dtype=np.float32)))
    except Exception as exc:
        raise ModelLoadError(f"model {name!r} version {version}: {exc}") from exc
    if warm.shape != (1, len(labels)):
        raise ModelLoadError(
            f"model {name!r} version {version} outputs {warm.shape[1:]}, labels are {len(labels)}"
        )
    return LoadedModel(name, version, model, manifest, labels, spec, predict, window)


def _manifest_window(manifest: Mapping[str, Any]) -> int | None:
    """The window of a temporal model's manifest; None for per-frame models."""
    spec = manifest.get("input") or {"kind": "frame"}
    if spec.get("kind") == "frame":
        return None
    if spec.get("kind") == "window" and int(spec.get("window", 0)) >= 1:
        return int(spec["window"])
    raise ValueError(f"unknown model input {spec!r}")
