"""A temporal (GRU / 1D-conv) model of movements: trained on windows, published, served."""

from __future__ import annotations

import numpy as np
import pytest
import redis

from pose_common.streams import StreamKeys
from pose_ml.analysis.synthetic import synthetic_recording
from pose_ml.datasets.dataset import Dataset
from pose_ml.datasets.windows import window_features
from pose_ml.experiments import ConfigError, load_config
from pose_ml.model_store import load_model
from pose_trainer.promotion import evaluate_loaded
from pose_trainer.publish import publish_outcome
from pose_trainer.settings import TrainerSettings
from pose_trainer.training import train_experiment
from tests.conftest import REDIS_URL

EXERCISES = ("squat", "push_up", "jumping_jack")
WINDOW = 20


def _movements() -> Dataset:
    """Two recordings of each exercise for each of four people (groups), 2 px of noise."""
    parts = []
    for person in range(4):
        for take in range(2):
            for exercise in EXERCISES:
                seed = person * 100 + take * 10 + EXERCISES.index(exercise)
                _, points = synthetic_recording(
                    exercise, reps=2, noise_px=2.0, seed=seed, period_s=1.5 + 0.2 * person
                )
                session = f"p{person}-t{take}-{exercise}"
                parts.append((points, exercise, f"person{person}", session))
    return Dataset(
        np.concatenate([p for p, *_ in parts]),
        [e for p, e, *_ in parts for _ in range(len(p))],
        [g for p, _, g, _ in parts for _ in range(len(p))],
        [s for p, *_, s in parts for _ in range(len(p))],
        [i for p, *_ in parts for i in range(len(p))],
    )


def _config(layer: str):  # type: ignore[no-untyped-def]
    return load_config(
        "movements",
        overrides={
            "dataset.labels": list(EXERCISES),
            "architecture.temporal": {"window": WINDOW, "stride": 4, "layer": layer, "units": 32},
            "training.epochs": 12,
            "evaluation.holdout_groups": ["person3"],
        },
    )


@pytest.mark.parametrize("layer", ["gru", "conv1d"])
def test_a_temporal_model_tells_movements_apart_on_an_unseen_person(layer: str) -> None:
    outcome = train_experiment(_config(layer), _movements())
    assert outcome.window == WINDOW
    assert outcome.model.input_shape == (None, WINDOW, outcome.spec.size)
    assert outcome.split["test_groups"] == ["person3"]
    assert outcome.metrics["accuracy"] >= 0.8, outcome.metrics["confusion_matrix"]
    # the learning curves' held-out line scores the windows the report was computed on
    assert outcome.history["held_out_accuracy"][-1] == pytest.approx(outcome.metrics["accuracy"])


def test_published_temporal_models_are_served_frame_by_frame_with_their_window(
    trainer_settings: TrainerSettings, redis_client: redis.Redis, keys: StreamKeys
) -> None:
    from pose_inference.feature_history import FeatureHistory
    from pose_inference.handler import DecodedEntry, classify

    config = _config("gru")
    outcome = train_experiment(config, _movements())
    version = publish_outcome(outcome, config=config, settings=trainer_settings, job_id=None)
    loaded = load_model(root=trainer_settings.model_dir, name="movements", version=version)
    assert loaded.window == WINDOW and loaded.manifest["input"] == {
        "kind": "window",
        "window": WINDOW,
    }
    # The promotion path measures the served model on the stored split: the same figure.
    assert evaluate_loaded(loaded, outcome.eval_split)["accuracy"] == pytest.approx(
        outcome.metrics["accuracy"]
    )

    # Live: a session's frames arrive in entries; each frame gets the window ending at it,
    # whether the frames before it came in the same entry or an earlier one, read by this
    # consumer or another (two consumers, each with its own connection, take turns).
    _, points = synthetic_recording("squat", reps=1, seed=5)
    points = points[:45].astype(np.float32)
    entries = [
        DecodedEntry(
            f"{i}-0", "s1", "movements", 0.0, list(range(i, i + 15)), [0] * 15, points[i : i + 15]
        )
        for i in (0, 15, 30)
    ]
    other = redis.Redis(connection_pool=redis.ConnectionPool.from_url(REDIS_URL))
    consumers = [FeatureHistory(redis_client, keys), FeatureHistory(other, keys)]
    live = np.concatenate(
        [p for i, e in enumerate(entries) for p in classify(loaded, [e], consumers[i % 2])]
    )
    other.close()
    with pytest.raises(ValueError, match="is temporal: it needs a history"):
        classify(loaded, entries[:1])
    expected = loaded.probabilities(window_features(loaded.features(points), window=WINDOW))
    np.testing.assert_allclose(live, expected, atol=1e-5)


def test_temporal_configs_refuse_per_frame_augmentations() -> None:
    with pytest.raises(ConfigError, match="temporal models take only 'mirror'"):
        load_config("movements", overrides={"augment.transforms": {"rotate": {}}})
