"""Classifier metrics against hand-computed values, and the plots as real PNGs."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from pose_ml.evaluation import (
    classification_metrics,
    confusion_matrix,
    confusion_png,
    learning_curves_figure,
    learning_curves_png,
    summarise_folds,
)


def test_metrics_match_a_hand_computed_example() -> None:
    truth = np.array([0, 0, 0, 1, 1, 2])
    predicted = np.array([0, 0, 1, 1, 2, 2])
    metrics = classification_metrics(truth, predicted, labels=["a", "b", "c"])
    assert metrics["accuracy"] == pytest.approx(4 / 6)
    assert metrics["confusion_matrix"] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    a, b, c = (metrics["per_class"][k] for k in "abc")
    assert (a["precision"], a["recall"]) == (1.0, pytest.approx(2 / 3))
    assert (b["precision"], b["recall"]) == (0.5, 0.5)
    assert (c["precision"], c["recall"], c["support"]) == (0.5, 1.0, 1)
    f1 = [2 * p * r / (p + r) for p, r in ((1, 2 / 3), (0.5, 0.5), (0.5, 1.0))]
    assert metrics["macro_f1"] == pytest.approx(np.mean(f1))


def test_a_label_that_never_occurs_is_left_out_of_macro_f1() -> None:
    metrics = classification_metrics(np.array([0, 0]), np.array([0, 0]), labels=["a", "b"])
    assert metrics["macro_f1"] == 1.0 and metrics["per_class"]["b"]["support"] == 0
    with pytest.raises(ValueError, match="2 true labels but 1 predictions"):
        confusion_matrix(np.array([0, 1]), np.array([0]), n_labels=2)


def test_fold_summary_means_and_pools() -> None:
    summary = summarise_folds(
        {
            "x": {"accuracy": 1.0, "macro_f1": 1.0, "frames": 10},
            "y": {"accuracy": 0.5, "macro_f1": 0.4, "frames": 30},
        }
    )
    assert summary["mean_accuracy"] == 0.75 and summary["min_accuracy"] == 0.5
    assert summary["pooled_accuracy"] == pytest.approx((10 + 15) / 40)


def test_the_plots_are_images() -> None:
    metrics = classification_metrics(np.array([0, 1, 1]), np.array([0, 1, 0]), labels=["a", "b"])
    for png in (
        confusion_png(metrics),
        learning_curves_png({"loss": [1.0, 0.5], "accuracy": [0.5, 0.9], "val_loss": [1.1, 0.7]}),
    ):
        image = Image.open(io.BytesIO(png))
        image.load()
        assert image.format == "PNG" and image.width > 200 and image.height > 150


def test_the_learning_curves_draw_train_validation_and_held_out_lines() -> None:
    history = {
        "loss": [1.0, 0.5],
        "accuracy": [0.5, 0.9],
        "val_loss": [1.1, 0.7],
        "held_out_loss": [1.2, 0.9],
        "held_out_accuracy": [0.4, 0.7],
    }
    loss_axes, accuracy_axes = learning_curves_figure(history).axes
    assert [line.get_label() for line in loss_axes.lines] == ["train", "validation", "held-out"]
    assert [line.get_label() for line in accuracy_axes.lines] == ["train", "held-out"]
    assert list(accuracy_axes.lines[1].get_ydata()) == [0.4, 0.7]
