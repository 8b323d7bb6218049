"""The learning curves' held-out line: the served model scored on the evaluation split after
every epoch of the final fit.

It is for the report's plot and the live progress only: nothing is stopped, selected or
restored on it (early stopping, when configured, watches its own validation groups carved out
of the training data), so the evaluation split stays unseen by training and the promotion
comparison stays fair. Scoring the served model (its symmetric views and k-NN head included,
which share the members' weights) makes the last point equal the report's accuracy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from pose_ml.evaluation import HELD_OUT_PREFIX


class HeldOutCurve(keras.callbacks.Callback):
    """Adds held_out_loss and held_out_accuracy to every epoch's logs (and so to the history).

    predict: inputs -> probabilities of the model being trained (the served model);
    truth: the label index of each input row.
    """

    def __init__(
        self,
        predict: Callable[[np.ndarray], np.ndarray],
        inputs: np.ndarray,
        truth: np.ndarray,
    ) -> None:
        super().__init__()
        if len(inputs) != len(truth):
            raise ValueError(f"{len(inputs)} held-out inputs but {len(truth)} labels")
        self.predict = predict
        self.inputs = inputs
        self.truth = np.asarray(truth, dtype=np.int64)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is None or len(self.truth) == 0:
            return
        logs.update(held_out_scores(self.predict(self.inputs), self.truth))


def held_out_scores(probabilities: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Cross-entropy (Keras' own, as the training loss) and accuracy of probabilities (rows)
    against label indices."""
    losses = keras.losses.sparse_categorical_crossentropy(truth, probabilities)
    return {
        f"{HELD_OUT_PREFIX}loss": float(np.mean(keras.ops.convert_to_numpy(losses))),
        f"{HELD_OUT_PREFIX}accuracy": float((probabilities.argmax(axis=1) == truth).mean()),
    }
