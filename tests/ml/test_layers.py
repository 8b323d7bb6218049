"""The custom layers: the k-NN vote is a k-NN, and both survive saving and loading."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from pose_ml.classifiers import assemble_frame_classifier, build_mlp_member
from pose_ml.layers import KnnVote, MirrorFeatures


def test_knn_vote_weights_the_nearest_examples() -> None:
    memory = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]], np.float32)
    layer = KnnVote(4, 2, 2, k=2, temperature=0.05)
    layer.set_memory(memory, np.array([0, 0, 1, 1]))
    votes = np.asarray(layer(np.array([[0.05, 0.0], [5.0, 5.1]], np.float32)))
    np.testing.assert_allclose(votes, [[1.0, 0.0], [0.0, 1.0]], atol=1e-6)
    # Between two classes: the nearer one gets more of the vote, as softmax(-d / T) says.
    layer = KnnVote(4, 2, 2, k=4, temperature=1.0)
    layer.set_memory(memory, np.array([0, 0, 1, 1]))
    query = np.array([[2.0, 2.0]], np.float32)
    distances = np.linalg.norm(memory - query, axis=1)
    weights = np.exp(-distances) / np.exp(-distances).sum()
    expected = [weights[:2].sum(), weights[2:].sum()]
    np.testing.assert_allclose(np.asarray(layer(query))[0], expected, rtol=1e-5)


def test_mirror_features_gathers_and_flips() -> None:
    layer = MirrorFeatures([1, 0, 2], [-1.0, -1.0, 1.0])
    out = np.asarray(layer(np.array([[1.0, 2.0, 3.0]], np.float32)))
    np.testing.assert_array_equal(out, [[-2.0, -1.0, 3.0]])


def test_an_assembled_classifier_round_trips_through_a_keras_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    members = [
        build_mlp_member(n_features=6, n_labels=3, hidden=[8], seed=s, name=f"member_{s}")
        for s in (0, 1)
    ]
    model = assemble_frame_classifier(
        members,
        n_features=6,
        n_labels=3,
        views=[([1, 0, 2, 3, 5, 4], [-1.0] * 6)],
        knn_memory=(rng.normal(size=(20, 6)).astype(np.float32), rng.integers(0, 3, 20)),
        knn_weight=0.4,
    )
    x = rng.normal(size=(7, 6)).astype(np.float32)
    before = np.asarray(model(x, training=False))
    np.testing.assert_allclose(before.sum(axis=1), 1.0, rtol=1e-5)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", compile=False)
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)), before, rtol=1e-6)
