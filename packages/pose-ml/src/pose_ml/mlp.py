"""A small Keras MLP classifier over the pose features, for tests, benchmarks and baselines."""

from __future__ import annotations

import keras

from pose_ml.features import FEATURE_SIZE


def build_mlp(n_labels: int, seed: int = 0, *, hidden: int = 64) -> keras.Model:
    """FEATURE_SIZE -> hidden (relu) -> n_labels (softmax); weights fixed by the seed."""
    if n_labels < 1:
        raise ValueError("n_labels must be at least 1")
    inputs = keras.Input(shape=(FEATURE_SIZE,), name="features")
    hidden_layer = keras.layers.Dense(
        hidden,
        activation="relu",
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        bias_initializer=keras.initializers.RandomNormal(stddev=0.1, seed=seed + 1),
        name="hidden",
    )(inputs)
    outputs = keras.layers.Dense(
        n_labels,
        activation="softmax",
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 2),
        name="probabilities",
    )(hidden_layer)
    return keras.Model(inputs, outputs, name="pose_mlp")
