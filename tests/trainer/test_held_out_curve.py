"""The learning curves' held-out line: scores in the history, nothing learned from it."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from pose_trainer.held_out_curve import HeldOutCurve, held_out_scores
from pose_trainer.training import epoch_metrics


def test_scores_are_the_cross_entropy_and_accuracy_of_the_true_labels() -> None:
    probabilities = np.array([[0.8, 0.2], [0.4, 0.6], [0.9, 0.1], [0.0, 1.0]])
    truth = np.array([0, 1, 1, 0])
    scores = held_out_scores(probabilities, truth)
    assert scores["held_out_accuracy"] == 0.5
    # the last row gives its true label 0: floored at 1e-7 instead of an infinite loss
    expected = -(math.log(0.8) + math.log(0.6) + math.log(0.1) + math.log(1e-7)) / 4
    assert scores["held_out_loss"] == pytest.approx(expected)


def _fit(with_curve: bool) -> tuple[keras.Model, dict[str, list[float]], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    held_x = rng.normal(size=(16, 4)).astype(np.float32)
    held_y = (held_x[:, 0] > 0).astype(np.int64)
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = []
    if with_curve:
        predict = lambda inputs: np.asarray(model(inputs, training=False))  # noqa: E731
        callbacks = [HeldOutCurve(predict, held_x, held_y)]
    fit = model.fit(x, y, epochs=4, batch_size=16, shuffle=False, callbacks=callbacks, verbose=0)
    return model, fit.history, held_x, held_y


def test_every_epoch_of_the_history_gets_the_held_out_scores_and_training_ignores_them() -> None:
    model, history, held_x, held_y = _fit(with_curve=True)
    assert len(history["held_out_loss"]) == len(history["held_out_accuracy"]) == 4
    last = held_out_scores(np.asarray(model(held_x, training=False)), held_y)
    assert history["held_out_accuracy"][-1] == pytest.approx(last["held_out_accuracy"])
    assert history["held_out_loss"][-1] == pytest.approx(last["held_out_loss"], rel=1e-5)
    plain, plain_history, _, _ = _fit(with_curve=False)
    assert "held_out_loss" not in plain_history
    for trained, untouched in zip(model.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_array_equal(trained, untouched)  # the same fit, weight for weight


def test_inputs_and_labels_must_pair_up() -> None:
    with pytest.raises(ValueError, match="3 held-out inputs but 2 labels"):
        HeldOutCurve(lambda x: x, np.zeros((3, 2)), np.zeros(2))


def test_a_joint_ensemble_fit_reports_its_members_mean_loss_on_the_held_out_scale() -> None:
    logs = {
        "loss": 1.5,  # Keras: the sum over the members
        "member_0_loss": 0.7,
        "member_1_loss": 0.8,
        "member_0_accuracy": 0.5,
        "member_1_accuracy": 0.75,
        "val_loss": 1.6,
        "val_member_0_loss": 0.9,
        "val_member_1_loss": 0.7,
        "held_out_loss": 0.9,
    }
    assert epoch_metrics(logs) == pytest.approx(
        {"loss": 0.75, "accuracy": 0.625, "val_loss": 0.8, "held_out_loss": 0.9}
    )
    single = {"loss": 0.4, "accuracy": 0.9, "held_out_accuracy": 0.8}
    assert epoch_metrics(single) == single
