"""Keras builders of the pose classifiers, read top to bottom like a keras-io example.

- build_mlp_member(): features -> Dense/ReLU/Dropout x N -> softmax; the unit that is trained.
- ensemble_trainer(): the members side by side in one model with one output each, so a single
  fit trains them all (each on its own loss, with its own initial weights).
- assemble_frame_classifier(): the one model that is served. It averages trained members
  (an ensemble) over the pose and its symmetric views (pose_ml.symmetry; a MirrorFeatures
  layer computes each view's features from the features), and blends in a k-nearest-neighbour
  vote over the training frames (KnnVote). Everything lives in one .keras file that maps
  (N, F) features to (N, labels) probabilities.
- build_temporal(): a GRU or 1D-convolution over a window of frames, for movements.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from pose_ml.layers import KnnVote, MirrorFeatures


def build_mlp_member(
    *,
    n_features: int,
    n_labels: int,
    hidden: Sequence[int] = (128, 64),
    dropout: float = 0.2,
    seed: int = 0,
    name: str = "mlp",
) -> keras.Model:
    """features -> hidden layers (ReLU, dropout) -> softmax over n_labels."""
    if n_labels < 2:
        raise ValueError("a classifier needs at least 2 labels")
    inputs = keras.Input(shape=(n_features,), name="features")
    x = inputs
    for i, units in enumerate(hidden):
        x = keras.layers.Dense(
            units,
            activation="relu",
            kernel_initializer=keras.initializers.HeNormal(seed=seed * 101 + i),
            name=f"dense_{i}",
        )(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, seed=seed * 101 + 50 + i, name=f"dropout_{i}")(x)
    outputs = keras.layers.Dense(
        n_labels,
        activation="softmax",
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed * 101 + 99),
        name="probabilities",
    )(x)
    return keras.Model(inputs, outputs, name=name)


def ensemble_trainer(members: Sequence[keras.Model], *, n_features: int) -> keras.Model:
    """features -> [member probabilities]: trains every member in one fit."""
    inputs = keras.Input(shape=(n_features,), name="features")
    return keras.Model(inputs, [member(inputs) for member in members], name="ensemble_trainer")


def assemble_frame_classifier(
    members: Sequence[keras.Model],
    *,
    n_features: int,
    n_labels: int,
    views: Sequence[tuple[Sequence[int], Sequence[float]]] = (),
    knn_memory: tuple[np.ndarray, np.ndarray] | None = None,
    knn_k: int = 5,
    knn_temperature: float = 0.1,
    knn_weight: float = 0.5,
) -> keras.Model:
    """The served model: mean of the members over the input and its views, blended with k-NN.

    views = (order, signs) of each symmetry besides the identity (pose_ml.symmetry
    .feature_symmetry); knn_memory = (features, label indices) of the training frames.
    """
    if not members:
        raise ValueError("at least one trained member is needed")
    inputs = keras.Input(shape=(n_features,), name="features")
    viewed = [inputs] + [
        MirrorFeatures(order, signs, name=f"view_{i}")(inputs)
        for i, (order, signs) in enumerate(views, start=1)
    ]
    outputs = [member(view) for member in members for view in viewed]
    network = outputs[0] if len(outputs) == 1 else keras.layers.Average(name="mean")(outputs)
    if knn_memory is not None and knn_weight > 0:
        memory, memory_labels = knn_memory
        knn = KnnVote(
            len(memory), n_features, n_labels, k=knn_k, temperature=knn_temperature, name="knn"
        )
        votes = [knn(view) for view in viewed]
        vote = votes[0] if len(votes) == 1 else keras.layers.Average(name="knn_mean")(votes)
        knn.set_memory(memory, memory_labels)
        network = keras.layers.Add(name="blend")(
            [
                keras.layers.Rescaling(1.0 - knn_weight, name="network_share")(network),
                keras.layers.Rescaling(knn_weight, name="knn_share")(vote),
            ]
        )
    return keras.Model(inputs, network, name="pose_classifier")


def build_temporal(
    *,
    window: int,
    n_features: int,
    n_labels: int,
    layer: str = "gru",
    units: int = 64,
    dropout: float = 0.2,
    seed: int = 0,
) -> keras.Model:
    """(window, features) -> GRU or two 1D convolutions -> softmax over n_labels."""
    inputs = keras.Input(shape=(window, n_features), name="windows")
    if layer == "gru":
        x = keras.layers.GRU(units, dropout=dropout, seed=seed, name="gru")(inputs)
    elif layer == "conv1d":
        x = keras.layers.Conv1D(units, 5, padding="same", activation="relu", name="conv_0")(inputs)
        x = keras.layers.Conv1D(units, 5, padding="same", activation="relu", name="conv_1")(x)
        x = keras.layers.GlobalAveragePooling1D(name="pool")(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, seed=seed, name="dropout")(x)
    else:
        raise ValueError(f"unknown temporal layer {layer!r}; use 'gru' or 'conv1d'")
    outputs = keras.layers.Dense(n_labels, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="pose_temporal")
