"""Classifier evaluation: accuracy, macro-F1, per-class precision/recall, confusion matrix,
and their plots (confusion matrix and learning curves as PNG via matplotlib's Agg backend).

numpy + matplotlib only, so reports can be rebuilt or compared anywhere.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, *, n_labels: int) -> np.ndarray:
    """(n_labels, n_labels) counts: row = true label, column = predicted label."""
    true, pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    if true.shape != pred.shape:
        raise ValueError(f"{true.shape[0]} true labels but {pred.shape[0]} predictions")
    matrix = np.zeros((n_labels, n_labels), dtype=np.int64)
    np.add.at(matrix, (true, pred), 1)
    return matrix


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.maximum(denominator, 1), 0.0)


def classification_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, *, labels: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, macro-F1 (over labels present in y_true), per-class P/R/F1, confusion matrix."""
    matrix = confusion_matrix(y_true, y_pred, n_labels=len(labels))
    tp = np.diag(matrix).astype(np.float64)
    support = matrix.sum(axis=1)
    predicted = matrix.sum(axis=0)
    precision = _ratio(tp, predicted.astype(np.float64))
    recall = _ratio(tp, support.astype(np.float64))
    f1 = _ratio(2 * precision * recall, precision + recall)
    present = support > 0
    total = int(matrix.sum())
    return {
        "accuracy": float(tp.sum() / total) if total else 0.0,
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "frames": total,
        "per_class": {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(labels)
        },
        "labels": list(labels),
        "confusion_matrix": matrix.tolist(),
    }


def summarise_folds(folds: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Cross-validation summary: mean/min accuracy and macro-F1 over folds, pooled accuracy."""
    if not folds:
        raise ValueError("no folds to summarise")
    accuracies = np.array([f["accuracy"] for f in folds.values()])
    f1s = np.array([f["macro_f1"] for f in folds.values()])
    frames = np.array([f["frames"] for f in folds.values()])
    return {
        "mean_accuracy": float(accuracies.mean()),
        "min_accuracy": float(accuracies.min()),
        "std_accuracy": float(accuracies.std()),
        "pooled_accuracy": float((accuracies * frames).sum() / max(frames.sum(), 1)),
        "mean_macro_f1": float(f1s.mean()),
        "folds": {
            name: {"accuracy": f["accuracy"], "macro_f1": f["macro_f1"], "frames": f["frames"]}
            for name, f in folds.items()
        },
    }


def _figure_png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def confusion_png(metrics: Mapping[str, Any], *, title: str = "Confusion matrix") -> bytes:
    """The confusion matrix of classification_metrics() as a PNG, counts in every cell."""
    from matplotlib.figure import Figure  # Figure without pyplot: no global state, no GUI

    matrix = np.asarray(metrics["confusion_matrix"])
    labels = list(metrics["labels"])
    figure = Figure(figsize=(1.2 + 0.7 * len(labels), 1.0 + 0.6 * len(labels)))
    axes = figure.add_subplot()
    axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(f"{title} (accuracy {metrics['accuracy']:.3f})")
    high = matrix.max() / 2 if matrix.size else 0
    for (row, col), count in np.ndenumerate(matrix):
        colour = "white" if count > high else "black"
        axes.text(col, row, str(count), ha="center", va="center", color=colour, fontsize=8)
    return _figure_png(figure)


# History key prefix -> (line style, legend): the training frames, the validation groups that
# early stopping watches, the evaluation split scored for the curve only (held_out_curve).
HELD_OUT_PREFIX: Final[str] = "held_out_"
CURVES: Final[tuple[tuple[str, str, str], ...]] = (
    ("", "-", "train"),
    ("val_", "--", "validation"),
    (HELD_OUT_PREFIX, ":", "held-out"),
)


def learning_curves_png(history: Mapping[str, Sequence[float]], *, title: str = "") -> bytes:
    """Loss and accuracy per epoch (train; validation and held-out when present) as a PNG."""
    return _figure_png(learning_curves_figure(history, title=title))


def learning_curves_figure(history: Mapping[str, Sequence[float]], *, title: str = "") -> Figure:
    """The figure of learning_curves_png: one axes for loss, one for accuracy."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 3.4))
    for position, metric in enumerate(("loss", "accuracy"), start=1):
        axes = figure.add_subplot(1, 2, position)
        for prefix, style, legend in CURVES:
            values = history.get(f"{prefix}{metric}")
            if values:
                axes.plot(range(1, len(values) + 1), values, style, label=legend)
        axes.set_xlabel("epoch")
        axes.set_ylabel(metric)
        axes.grid(alpha=0.3)
        if axes.lines:
            axes.legend()
    if title:
        figure.suptitle(title)
    return figure
