"""Windows of consecutive same-label frames, and the window ending at each frame."""

from __future__ import annotations

import numpy as np
import pytest

from pose_ml.datasets.dataset import Dataset
from pose_ml.datasets.windows import make_windows, window_features


def _dataset() -> Dataset:
    # session a: seqs 0..9 label x, then 10..14 label y; session b: seqs 0..5 then a gap, 8..12.
    seqs = [*range(15), *range(6), *range(8, 13)]
    sessions = ["a"] * 15 + ["b"] * 11
    labels = ["x"] * 10 + ["y"] * 5 + ["x"] * 11
    points = np.zeros((len(seqs), 17, 3), np.float32)
    points[:, 0, 0] = np.arange(len(seqs))  # row number, to see which frames a window took
    return Dataset(points, labels, sessions, sessions, seqs)


def test_windows_never_cross_a_label_change_a_gap_or_a_session() -> None:
    windows = make_windows(_dataset(), window=5, stride=1)
    rows = windows.keypoints[:, :, 0, 0].astype(int)
    assert np.all(np.diff(rows, axis=1) == 1)  # consecutive rows only
    # a/x: 6 windows, a/y: 1, b before the gap: 2, b after: 1.
    assert len(windows) == 10
    assert list(windows.labels) == ["x"] * 6 + ["y"] + ["x"] * 3
    assert list(windows.last_rows) == [4, 5, 6, 7, 8, 9, 14, 19, 20, 25]


def test_stride_and_too_short_runs() -> None:
    assert len(make_windows(_dataset(), window=5, stride=3)) == 2 + 1 + 1 + 1
    assert len(make_windows(_dataset(), window=11, stride=1)) == 0


def test_the_window_ending_at_each_frame_repeats_the_first_frame_at_the_start() -> None:
    features = np.arange(12, dtype=np.float32).reshape(6, 2)
    windows = window_features(features, window=3)
    assert windows.shape == (6, 3, 2)
    np.testing.assert_array_equal(windows[0], features[[0, 0, 0]])
    np.testing.assert_array_equal(windows[1], features[[0, 0, 1]])
    np.testing.assert_array_equal(windows[5], features[[3, 4, 5]])


def test_bad_windows_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        make_windows(_dataset(), window=0)
