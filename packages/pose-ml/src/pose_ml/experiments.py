"""Experiment configs: YAML files registered by name, validated into one typed object.

A config says which model name it trains, which frames make its dataset, the features, the
augmentations, the architecture, training, evaluation, promotion and tuning settings. The
shipped configs live in pose_ml/experiments/*.yaml (their file stem is their name); more
directories can be added with POSE_EXPERIMENTS_DIRS. A request may override any field, by
a nested mapping or dotted keys ({"training.epochs": 5}). Every mistake is a ConfigError
naming the field, raised before any data is read.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pose_common.model_catalog import NAME_PATTERN
from pose_ml.augment import Augmenter, build_augmenter
from pose_ml.datasets.store import DatasetQuery
from pose_ml.features import FeatureSpec, feature_spec

BUILTIN_DIR = Path(__file__).with_name("experiments")
EXTRA_DIRS_ENV = "POSE_EXPERIMENTS_DIRS"


class ConfigError(ValueError):
    """A config that cannot be used, with the field and the reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FeatureOptions(_Strict):
    kind: Literal["keypoints", "embedding"] = Field(
        default="keypoints", description="keypoints (spec v1/v2) or the pose embedding (v3)."
    )
    min_score: float = Field(default=0.2, ge=0.0, le=1.0)
    angles: bool = Field(default=False, description="Append joint-angle features (keypoints).")

    @model_validator(mode="after")
    def _known_spec(self) -> FeatureOptions:
        if self.kind == "embedding" and self.angles:
            raise ValueError("the embedding has no angle features: set angles: false")
        return self

    def spec(self) -> FeatureSpec:
        return feature_spec(min_score=self.min_score, angles=self.angles, kind=self.kind)


class AugmentOptions(_Strict):
    copies: int = Field(default=1, ge=0, le=20, description="Augmented copies per frame.")
    keep_original: bool = Field(default=True, description="Train on the frames as recorded too.")
    transforms: dict[str, dict[str, Any] | None] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _buildable(self) -> AugmentOptions:
        self.augmenter()  # raises ValueError naming what is wrong
        return self

    def augmenter(self) -> Augmenter:
        return build_augmenter(
            self.transforms, copies=self.copies, keep_original=self.keep_original
        )


class KnnOptions(_Strict):
    k: int = Field(default=5, ge=1, le=100)
    weight: float = Field(default=0.5, ge=0.0, le=1.0, description="Share of the k-NN vote.")
    temperature: float = Field(default=0.1, gt=0.0)


class TemporalOptions(_Strict):
    window: int = Field(default=30, ge=2, le=600, description="Frames per window.")
    stride: int = Field(default=5, ge=1)
    layer: Literal["gru", "conv1d"] = "gru"
    units: int = Field(default=64, ge=4, le=1024)


class ArchitectureOptions(_Strict):
    kind: Literal["mlp", "temporal"] = "mlp"
    hidden: list[int] = Field(default_factory=lambda: [128, 64])
    dropout: float = Field(default=0.2, ge=0.0, lt=1.0)
    ensemble: int = Field(default=1, ge=1, le=16, description="MLPs averaged (seeds differ).")
    tta: list[str] = Field(
        default_factory=list,
        description="Symmetries (pose_ml.symmetry) averaged over at test time, inside the model.",
    )
    knn: KnnOptions | None = None
    temporal: TemporalOptions = Field(default_factory=TemporalOptions)

    @field_validator("hidden")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if not value or any(units < 1 or units > 4096 for units in value):
            raise ValueError("hidden must list 1 to 4096 units per layer")
        return value


class TrainingOptions(_Strict):
    epochs: int = Field(default=100, ge=1, le=10_000)
    batch_size: int = Field(default=32, ge=1, le=65_536)
    learning_rate: float = Field(default=1e-3, gt=0.0, le=1.0)
    seed: int = 0
    patience: int | None = Field(default=20, ge=1, description="Early stopping on val loss.")
    validation_fraction: float = Field(default=0.15, ge=0.0, lt=1.0)
    label_smoothing: float = Field(default=0.0, ge=0.0, lt=1.0)


class EvaluationOptions(_Strict):
    holdout_groups: list[str] | None = Field(
        default=None, description="Groups held out for the version's evaluation split."
    )
    holdout_fraction: float = Field(default=0.2, gt=0.0, lt=1.0)
    cross_validation: Literal["logo", "group_kfold"] | None = None
    folds: int = Field(default=5, ge=2, le=100)


class PromotionOptions(_Strict):
    metric: Literal["accuracy", "macro_f1"] = "accuracy"
    min_improvement: float = Field(default=0.0, ge=0.0, le=1.0)


class TuningOptions(_Strict):
    max_trials: int = Field(default=8, ge=1, le=1000)
    time_budget_s: float = Field(default=600.0, gt=0.0)
    epochs: int = Field(default=40, ge=1)
    hidden_units: list[int] = Field(default_factory=lambda: [32, 64, 128, 256])
    layers: list[int] = Field(default_factory=lambda: [1, 2, 3])
    dropout: tuple[float, float] = (0.0, 0.5)
    learning_rate: list[float] = Field(default_factory=lambda: [3e-4, 1e-3, 3e-3])


class RetrainOptions(_Strict):
    enabled: bool = False
    min_new_frames: int = Field(default=500, ge=1)
    retry_after_s: float = Field(
        default=3600.0, ge=0.0, description="Wait after a failed scheduled retraining."
    )
    max_attempts: int = Field(
        default=3, ge=1, le=100, description="Scheduled retrainings per version, failures included."
    )


class ExperimentConfig(_Strict):
    """Everything one training run needs, as written in the model's manifest."""

    name: str
    model: str = Field(description="Registry name of the model this config trains.")
    description: str = ""
    dataset: DatasetQuery = Field(default_factory=DatasetQuery)
    features: FeatureOptions = Field(default_factory=FeatureOptions)
    augment: AugmentOptions = Field(default_factory=AugmentOptions)
    architecture: ArchitectureOptions = Field(default_factory=ArchitectureOptions)
    training: TrainingOptions = Field(default_factory=TrainingOptions)
    evaluation: EvaluationOptions = Field(default_factory=EvaluationOptions)
    promotion: PromotionOptions = Field(default_factory=PromotionOptions)
    tuning: TuningOptions = Field(default_factory=TuningOptions)
    retrain: RetrainOptions = Field(default_factory=RetrainOptions)

    @model_validator(mode="after")
    def _tta_follows_the_features(self) -> ExperimentConfig:
        from pose_ml.symmetry import feature_symmetry

        for name in self.architecture.tta:
            feature_symmetry(self.features.spec(), name)  # ValueError names what is wrong
        return self

    @model_validator(mode="after")
    def _temporal_augmentations(self) -> ExperimentConfig:
        if self.architecture.kind == "temporal":
            others = sorted(set(self.augment.transforms) - {"mirror"})
            if self.architecture.tta:
                raise ValueError("architecture.tta: temporal models average no views")
            if others:
                raise ValueError(
                    f"augment.transforms: temporal models take only 'mirror' (applied to whole "
                    f"windows), not {others}"
                )
        return self

    @field_validator("model")
    @classmethod
    def _model_name(cls, value: str) -> str:
        if not NAME_PATTERN.match(value):
            raise ValueError("use lowercase letters, digits, - and _ (at most 63)")
        return value

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def config_dirs() -> list[Path]:
    """Where configs are looked up: the shipped ones, then POSE_EXPERIMENTS_DIRS (':'-separated)."""
    extra = [Path(p) for p in os.environ.get(EXTRA_DIRS_ENV, "").split(os.pathsep) if p]
    return [BUILTIN_DIR, *extra]


def registered_configs(dirs: Iterable[Path] | None = None) -> dict[str, Path]:
    """Config name -> file; a later directory's file wins over an earlier one's."""
    found: dict[str, Path] = {}
    for directory in dirs if dirs is not None else config_dirs():
        for path in sorted(Path(directory).glob("*.yaml")):
            found[path.stem] = path
    return found


def _set_dotted(target: dict[str, Any], dotted: str, value: Any) -> None:
    node = target
    *parents, leaf = dotted.split(".")
    for key in parents:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[leaf] = value


def merge_overrides(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """base with overrides applied: nested mappings merge, dotted keys reach into them."""
    out = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if "." in key:
            _set_dotted(out, key, copy.deepcopy(value))
        elif isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = merge_overrides(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "config"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def parse_config(data: Mapping[str, Any], *, name: str | None = None) -> ExperimentConfig:
    """Validate a mapping into a config; ConfigError lists every bad field."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"a config is a mapping of fields, got {type(data).__name__}")
    fields = dict(data)
    if name is not None:
        fields.setdefault("name", name)
    try:
        return ExperimentConfig.model_validate(fields)
    except ValidationError as exc:
        raise ConfigError(f"bad config {fields.get('name', '?')!r}: {_describe(exc)}") from None
    except ValueError as exc:  # raised inside a validator without pydantic's wrapping
        raise ConfigError(f"bad config {fields.get('name', '?')!r}: {exc}") from None


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config {path} is not a mapping")
    return data


def load_config(
    config: str | Mapping[str, Any],
    *,
    overrides: Mapping[str, Any] | None = None,
    dirs: Iterable[Path] | None = None,
) -> ExperimentConfig:
    """A registered config by name (or a YAML path, or a mapping), with overrides applied."""
    if isinstance(config, Mapping):
        data, name = dict(config), None
    else:
        registry = registered_configs(dirs)
        path = registry.get(config)
        if path is None and config.endswith((".yaml", ".yml")) and Path(config).is_file():
            path = Path(config)
        if path is None:
            raise ConfigError(f"unknown config {config!r}; registered: {sorted(registry)}")
        data, name = read_config_file(path), path.stem
    return parse_config(merge_overrides(data, overrides or {}), name=name)
