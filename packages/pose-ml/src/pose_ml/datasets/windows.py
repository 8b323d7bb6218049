"""Windows of consecutive frames, for temporal models of movements.

A window is `window` frames of one session and person with consecutive seq numbers and one
label; windows start every `stride` frames. Training windows never mix two labels or jump a
gap in the recording. The same function cuts the evaluation split, so a temporal version is
evaluated (and compared for promotion) on windows of frames it never trained on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose_ml.datasets.dataset import Dataset


@dataclass(frozen=True, slots=True)
class Windows:
    """M windows: keypoints (M, W, 17, 3) and, per window, its label, group and last frame."""

    keypoints: np.ndarray
    labels: np.ndarray
    groups: np.ndarray
    last_rows: np.ndarray  # index in the dataset of each window's last frame

    def __len__(self) -> int:
        return len(self.labels)


def _runs(dataset: Dataset) -> list[np.ndarray]:
    """Row indices of each stretch of consecutive seqs with one label, per session and person."""
    order = np.lexsort((dataset.seqs, dataset.persons, dataset.sessions))
    sessions, persons = dataset.sessions[order], dataset.persons[order]
    seqs, labels = dataset.seqs[order], dataset.labels[order]
    breaks = (
        np.flatnonzero(
            (sessions[1:] != sessions[:-1])
            | (persons[1:] != persons[:-1])
            | (seqs[1:] != seqs[:-1] + 1)
            | (labels[1:] != labels[:-1])
        )
        + 1
    )
    return [run for run in np.split(order, breaks) if len(run)]


def make_windows(dataset: Dataset, *, window: int, stride: int = 1) -> Windows:
    """Every window of `window` consecutive same-label frames, `stride` frames apart."""
    if window < 1 or stride < 1:
        raise ValueError("window and stride must be at least 1")
    starts: list[np.ndarray] = []
    for run in _runs(dataset):
        if len(run) >= window:
            offsets = np.arange(0, len(run) - window + 1, stride)
            starts.append(run[offsets[:, None] + np.arange(window)[None, :]])
    if not starts:
        empty = np.zeros((0, window, *dataset.keypoints.shape[1:]), np.float32)
        return Windows(empty, np.array([], str), np.array([], str), np.array([], np.int64))
    rows = np.concatenate(starts)  # (M, W) dataset row indices
    return Windows(
        keypoints=dataset.keypoints[rows],
        labels=dataset.labels[rows[:, -1]],
        groups=dataset.groups[rows[:, -1]],
        last_rows=rows[:, -1],
    )


def window_features(features: np.ndarray, *, window: int) -> np.ndarray:
    """(N, F) features of consecutive frames -> (N, W, F): the window ending at each frame.

    The first frames, which have fewer than W frames before them, repeat the first frame.
    """
    if len(features) == 0:
        return np.zeros((0, window, features.shape[-1]), dtype=features.dtype)
    padded = np.concatenate([np.repeat(features[:1], window - 1, axis=0), features])
    view = np.lib.stride_tricks.sliding_window_view(padded, window, axis=0)  # (N, F, W)
    return np.ascontiguousarray(view.transpose(0, 2, 1))
