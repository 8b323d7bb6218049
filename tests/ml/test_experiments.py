"""Experiment configs: registered by name, overridden by a request, every mistake named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pose_ml.experiments import ConfigError, load_config, merge_overrides, registered_configs


def test_the_shipped_configs_are_registered_and_valid() -> None:
    names = registered_configs()
    assert {"yoga", "fitness", "movements"} <= set(names)
    yoga = load_config("yoga")
    assert yoga.name == "yoga" and yoga.model == "yoga"
    assert yoga.evaluation.cross_validation == "logo"
    assert load_config("movements").architecture.kind == "temporal"


def test_overrides_nested_or_dotted() -> None:
    config = load_config(
        "yoga",
        overrides={
            "training.epochs": 3,
            "architecture": {"hidden": [8]},
            "augment.transforms.mirror": {"p": 1.0},
        },
    )
    assert config.training.epochs == 3 and config.architecture.hidden == [8]
    assert config.augment.transforms["mirror"] == {"p": 1.0}
    assert config.architecture.ensemble == load_config("yoga").architecture.ensemble
    assert merge_overrides({"a": {"b": 1, "c": 2}}, {"a.b": 5}) == {"a": {"b": 5, "c": 2}}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"training.epochs": 0}, "training.epochs: Input should be greater than or equal to 1"),
        ({"training.epoch": 1}, "training.epoch: Extra inputs are not permitted"),
        ({"model": "Not A Name"}, "model: Value error, use lowercase letters"),
        ({"architecture.kind": "transformer"}, "architecture.kind: Input should be 'mlp'"),
        ({"augment.transforms": {"spin": {}}}, "unknown augmentation 'spin'"),
        ({"augment.transforms": {"rotate": {"max_degrees": 500}}}, "rotate.max_degrees"),
        ({"dataset.labels": []}, "an empty list selects nothing"),
        ({"evaluation.cross_validation": "random"}, "evaluation.cross_validation"),
    ],
)
def test_every_mistake_is_a_config_error_naming_the_field(overrides: dict, message: str) -> None:
    with pytest.raises(ConfigError, match="bad config 'yoga'") as error:
        load_config("yoga", overrides=overrides)
    assert message in str(error.value)


def test_more_configs_come_from_extra_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump({"model": "mine"}))
    (tmp_path / "yoga.yaml").write_text(yaml.safe_dump({"model": "yoga", "description": "x"}))
    (tmp_path / "broken.yaml").write_text("model: [unclosed")
    monkeypatch.setenv("POSE_EXPERIMENTS_DIRS", str(tmp_path))
    assert load_config("mine").model == "mine"
    assert load_config("yoga").description == "x"  # a later directory wins
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config("broken")
    with pytest.raises(ConfigError, match="unknown config 'nope'; registered: "):
        load_config("nope")
    assert load_config(str(tmp_path / "mine.yaml")).name == "mine"
