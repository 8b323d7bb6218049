"""A dataset as a model's input: per-frame features, or windows of them for temporal models.

The one place training, evaluation and promotion turn labelled frames into (inputs, labels),
so a version is always measured on inputs made exactly as it was trained on.
"""

from __future__ import annotations

import numpy as np

from pose_common.skeleton import NUM_KEYPOINTS
from pose_ml.datasets.dataset import Dataset
from pose_ml.datasets.windows import Windows, make_windows
from pose_ml.features import FeatureSpec


def window_inputs(windows: Windows, spec: FeatureSpec) -> np.ndarray:
    """(M, W, 17, 3) windows -> (M, W, F) features."""
    count, window = windows.keypoints.shape[:2]
    flat = windows.keypoints.reshape(count * window, NUM_KEYPOINTS, 3)
    return spec.features(flat).reshape(count, window, spec.size)


def dataset_inputs(
    dataset: Dataset, spec: FeatureSpec, *, window: int | None = None, stride: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, labels): (N, F) per frame, or (M, W, F) for every window of `window` frames."""
    if window is None:
        return spec.features(dataset.keypoints), dataset.labels
    windows = make_windows(dataset, window=window, stride=stride)
    return window_inputs(windows, spec), windows.labels
