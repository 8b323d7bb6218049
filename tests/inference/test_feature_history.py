"""The shared feature history (temporal models) against the real Redis."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import redis
from prometheus_client import REGISTRY

from pose_common.streams import StreamKeys
from pose_inference.feature_history import FeatureHistory, Track, TrackRows
from pose_ml.datasets.windows import window_features

WINDOW = 5
TRACK = Track("movements", 3, "session-1", 0)


@pytest.fixture
def other_client(redis_url: str) -> Iterator[redis.Redis]:
    """A second connection, as a second inference process would have."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def _features(n: int, width: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, width)).astype(np.float32)


def _rows(features: np.ndarray, start: int, stop: int) -> TrackRows:
    return TrackRows(np.arange(start, stop), features[start:stop])


def test_consumers_taking_turns_see_each_others_frames(
    redis_client: redis.Redis, other_client: redis.Redis, keys: StreamKeys
) -> None:
    features = _features(24)
    consumers = [FeatureHistory(redis_client, keys), FeatureHistory(other_client, keys)]
    got = [
        consumers[i % 2].windows({TRACK: _rows(features, start, start + 3)}, window=WINDOW)[TRACK]
        for i, start in enumerate(range(0, 24, 3))
    ]
    np.testing.assert_array_equal(np.concatenate(got), window_features(features, window=WINDOW))


def test_a_redelivered_entry_gets_the_windows_it_got_the_first_time(
    redis_client: redis.Redis, keys: StreamKeys
) -> None:
    features = _features(20)
    history = FeatureHistory(redis_client, keys)
    first = [history.windows({TRACK: _rows(features, s, s + 4)}, window=WINDOW) for s in (0, 4, 8)]
    history.windows({TRACK: _rows(features, 12, 20)}, window=WINDOW)  # newer frames meanwhile
    again = history.windows({TRACK: _rows(features, 4, 8)}, window=WINDOW)  # reclaimed late
    np.testing.assert_array_equal(again[TRACK], first[1][TRACK])


def test_frames_are_windowed_in_seq_order_whatever_order_they_come_in(
    redis_client: redis.Redis, keys: StreamKeys
) -> None:
    features = _features(10)
    order = np.random.default_rng(1).permutation(10)
    history = FeatureHistory(redis_client, keys)
    got = history.windows({TRACK: TrackRows(order, features[order])}, window=WINDOW)[TRACK]
    np.testing.assert_array_equal(got, window_features(features, window=WINDOW)[order])


def test_tracks_never_mix_sessions_persons_or_versions(
    redis_client: redis.Redis, keys: StreamKeys
) -> None:
    history = FeatureHistory(redis_client, keys)
    history.windows({TRACK: _rows(_features(8, seed=1), 0, 8)}, window=WINDOW)
    fresh = _features(8, seed=2)
    others = [
        Track(TRACK.model, TRACK.version, "session-2", 0),
        Track(TRACK.model, TRACK.version, TRACK.session, 1),
        Track(TRACK.model, TRACK.version + 1, TRACK.session, 0),
    ]
    got = history.windows({t: _rows(fresh, 4, 8) for t in others}, window=WINDOW)
    # Nothing before seq 4 in those tracks: the first frame given is repeated, as at a start.
    expected = window_features(fresh[4:8], window=WINDOW)
    for track in others:
        np.testing.assert_array_equal(got[track], expected)


def test_each_track_keeps_its_last_frames_and_expires(
    redis_client: redis.Redis, keys: StreamKeys
) -> None:
    history = FeatureHistory(redis_client, keys, ttl_s=120, keep_frames=12)
    features = _features(40)
    for start in range(0, 40, 8):
        history.windows({TRACK: _rows(features, start, start + 8)}, window=WINDOW)
    key = keys.feature_history(TRACK.model, TRACK.version, TRACK.session, TRACK.person)
    kept = redis_client.zrange(key, 0, -1, withscores=True)
    assert [int(score) for _, score in kept] == list(range(40 - 12, 40))
    assert 0 < redis_client.ttl(key) <= 120


def test_a_window_of_one_frame_needs_no_history(
    redis_client: redis.Redis, keys: StreamKeys
) -> None:
    features = _features(6)
    got = FeatureHistory(redis_client, keys).windows({TRACK: _rows(features, 0, 6)}, window=1)
    np.testing.assert_array_equal(got[TRACK], features[:, None, :])
    assert not list(redis_client.scan_iter(match=keys.prefix + "pose:history:*"))


def test_bad_settings_are_refused(redis_client: redis.Redis, keys: StreamKeys) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FeatureHistory(redis_client, keys, ttl_s=0)
    with pytest.raises(ValueError, match="window must be at least 1"):
        FeatureHistory(redis_client, keys).windows({}, window=0)


def test_a_window_missing_the_frame_before_it_is_counted(
    redis_client: redis.Redis, keys: StreamKeys
) -> None:
    track = Track(f"m{keys.prefix[-9:-1]}", 1, "s", 0)  # a model name of this test only

    def gaps() -> float:
        value = REGISTRY.get_sample_value(
            "pose_inference_window_gaps_total", {"model": track.model}
        )
        return value or 0.0

    history, features = FeatureHistory(redis_client, keys), _features(30)
    history.windows({track: _rows(features, 0, 5)}, window=WINDOW)  # a session's start
    history.windows({track: _rows(features, 5, 10)}, window=WINDOW)  # right after it
    assert gaps() == 0
    history.windows({track: _rows(features, 15, 20)}, window=WINDOW)  # 10-14 never came
    assert gaps() == 1
    other = Track(track.model, 2, "s", 0)  # a new version starts with no history
    history.windows({other: _rows(features, 20, 25)}, window=WINDOW)
    assert gaps() == 2
