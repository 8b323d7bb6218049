"""Custom Keras layers of the pose classifiers, registered so a saved model loads anywhere.

- MirrorFeatures: the features of the mirrored pose, computed from the features themselves
  (a fixed gather plus a sign flip), so test-time mirror averaging lives inside the model.
- KnnVote: a k-nearest-neighbour head whose memory (training features and one-hot labels)
  is stored as non-trainable weights of the model file.
Importing this module registers both; pose_ml.model_store imports it before loading.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

PACKAGE = "posestream"


@keras.saving.register_keras_serializable(package=PACKAGE)
class MirrorFeatures(keras.layers.Layer):
    """x -> x[:, order] * signs: the feature vector of the left/right mirrored pose."""

    def __init__(self, order: Sequence[int], signs: Sequence[float], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if len(order) != len(signs):
            raise ValueError("order and signs must have the same length")
        self.order = [int(i) for i in order]
        self.signs = [float(s) for s in signs]

    def call(self, inputs: Any) -> Any:
        gathered = ops.take(inputs, np.asarray(self.order, dtype="int32"), axis=-1)
        return gathered * ops.convert_to_tensor(np.asarray(self.signs, dtype="float32"))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "order": self.order, "signs": self.signs}


@keras.saving.register_keras_serializable(package=PACKAGE)
class KnnVote(keras.layers.Layer):
    """Class probabilities from the k nearest stored examples (softmax over -distance / T).

    The memory is set once with set_memory() after building and saved with the model.
    """

    def __init__(
        self,
        memory_size: int,
        n_features: int,
        n_labels: int,
        *,
        k: int = 5,
        temperature: float = 0.1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.memory_size = int(memory_size)
        self.n_features = int(n_features)
        self.n_labels = int(n_labels)
        self.k = int(min(k, memory_size))
        self.temperature = float(temperature)
        self.memory = self.add_weight(
            name="memory",
            shape=(self.memory_size, self.n_features),
            trainable=False,
            initializer="zeros",
        )
        self.memory_labels = self.add_weight(
            name="memory_labels",
            shape=(self.memory_size, self.n_labels),
            trainable=False,
            initializer="zeros",
        )

    def set_memory(self, features: np.ndarray, labels: np.ndarray) -> None:
        """Store (memory_size, n_features) examples and their (memory_size,) label indices."""
        features = np.asarray(features, dtype=np.float32)
        if features.shape != (self.memory_size, self.n_features):
            raise ValueError(
                f"memory must be {(self.memory_size, self.n_features)}, got {features.shape}"
            )
        one_hot = np.eye(self.n_labels, dtype=np.float32)[np.asarray(labels, dtype=np.int64)]
        self.memory.assign(features)
        self.memory_labels.assign(one_hot)

    def call(self, inputs: Any) -> Any:
        # |a - b|^2 = |a|^2 - 2 a.b + |b|^2, one matmul for the whole batch.
        squared = (
            ops.sum(inputs * inputs, axis=-1, keepdims=True)
            - 2.0 * ops.matmul(inputs, ops.transpose(self.memory))
            + ops.sum(self.memory * self.memory, axis=-1)[None, :]
        )
        distance = ops.sqrt(ops.maximum(squared, 0.0))
        negative, index = ops.top_k(-distance, k=self.k)
        weights = ops.softmax(negative / self.temperature, axis=-1)  # (batch, k)
        votes = ops.take(self.memory_labels, index, axis=0)  # (batch, k, labels)
        return ops.sum(votes * weights[:, :, None], axis=1)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (input_shape[0], self.n_labels)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "memory_size": self.memory_size,
            "n_features": self.n_features,
            "n_labels": self.n_labels,
            "k": self.k,
            "temperature": self.temperature,
        }
