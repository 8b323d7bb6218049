"""One Euro filter: smoothing a still point, following a move, lost points, chunk = frames."""

from __future__ import annotations

import numpy as np
import pytest

from pose_ml.analysis.one_euro import KeypointFilter, OneEuroParams, smooth_sequence


def _still(value: float, score: float = 0.9) -> np.ndarray:
    return np.tile([value, value, score], (17, 1)).astype(float)


def test_first_frame_passes_through_and_a_step_is_followed_gradually() -> None:
    filt = KeypointFilter()
    assert np.array_equal(filt.update(0.0, _still(100.0)), _still(100.0))
    after = filt.update(1 / 30, _still(200.0))[0, 0]
    assert 100.0 < after < 200.0
    for i in range(2, 90):
        last = filt.update(i / 30, _still(200.0))[0, 0]
    assert last == pytest.approx(200.0, abs=0.5)


def test_jitter_on_a_still_point_is_reduced_and_lower_min_cutoff_smooths_more() -> None:
    rng = np.random.default_rng(0)
    times = np.arange(300) / 30
    noisy = np.repeat(_still(300.0)[None], 300, axis=0)
    noisy[:, :, :2] += rng.normal(0, 5.0, noisy[:, :, :2].shape)
    default = smooth_sequence(times, noisy)
    smoother = smooth_sequence(times, noisy, params=OneEuroParams(min_cutoff=0.3))
    raw_std = noisy[30:, :, :2].std()
    assert default[30:, :, :2].std() < 0.6 * raw_std
    assert smoother[30:, :, :2].std() < default[30:, :, :2].std()


def test_beta_reduces_lag_on_a_fast_move() -> None:
    times = np.arange(60) / 30
    ramp = np.repeat(_still(0.0)[None], 60, axis=0)
    ramp[:, :, :2] += (times * 600.0)[:, None, None]  # 600 px/s
    lag_without = (
        ramp[-1, 0, 0] - smooth_sequence(times, ramp, params=OneEuroParams(beta=0.0))[-1, 0, 0]
    )
    lag_with = (
        ramp[-1, 0, 0] - smooth_sequence(times, ramp, params=OneEuroParams(beta=0.05))[-1, 0, 0]
    )
    assert 0 < lag_with < lag_without / 3


def test_an_unconfident_point_passes_raw_and_restarts_when_seen_again() -> None:
    filt = KeypointFilter()
    filt.update(0.0, _still(100.0))
    lost = _still(150.0)
    lost[3] = [500.0, 500.0, 0.1]
    out = filt.update(0.1, lost)
    assert out[3].tolist() == [500.0, 500.0, 0.1]
    assert 100.0 < out[4, 0] < 150.0  # the others go on being smoothed
    assert filt.update(0.2, _still(300.0))[3, 0] == 300.0  # restarted: not dragged from 100
    nan_point = _still(300.0)
    nan_point[5, 0] = np.nan
    assert np.isnan(filt.update(0.3, nan_point)[5, 0])


def test_a_repeated_timestamp_changes_nothing() -> None:
    filt = KeypointFilter()
    filt.update(0.0, _still(100.0))
    first = filt.update(0.1, _still(200.0))
    assert np.array_equal(filt.update(0.1, _still(900.0))[:, :2], first[:, :2])
    assert filt.update(0.2, _still(200.0))[0, 0] > first[0, 0]


def test_chunks_give_exactly_what_frame_by_frame_updates_give() -> None:
    rng = np.random.default_rng(1)
    times = np.cumsum(rng.uniform(0.01, 0.05, 200))
    points = np.concatenate(
        [rng.uniform(0, 640, (200, 17, 2)), rng.uniform(0.0, 1.0, (200, 17, 1))], axis=2
    )
    by_frame = KeypointFilter()
    expected = np.array([by_frame.update(t, p) for t, p in zip(times, points, strict=True)])
    chunked = KeypointFilter()
    parts = [chunked.filter_chunk(times[i : i + 37], points[i : i + 37]) for i in range(0, 200, 37)]
    assert np.array_equal(np.concatenate(parts), expected)
    assert np.array_equal(points[:, :, 2], expected[:, :, 2])  # scores untouched


@pytest.mark.parametrize(
    "params", [{"min_cutoff": 0.0}, {"d_cutoff": -1.0}, {"beta": -0.1}], ids=str
)
def test_impossible_parameters_are_refused(params: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        OneEuroParams(**params)
