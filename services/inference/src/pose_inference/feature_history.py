"""The frames before each frame, for temporal models: kept in Redis, shared by every consumer.

A temporal model classifies a frame with the window of W frames ending at it, so it needs the
W - 1 frames of the same session and person before it. The consumer group splits a session's
entries between the inference consumers, so no process has them all; this history keeps each
person's last feature rows in one sorted set per (model, version, session, person), scored by
seq, where every consumer reads and adds them.

Because rows are found by seq, not by arrival:
- a redelivered or reclaimed entry gets the same windows as the first time;
- an entry classified by one consumer right after another consumer classified the one before it
  sees that entry's frames (the next batch's read comes after the previous batch's write);
- two consumers classifying consecutive entries at the same instant is the one case where the
  later entry may miss its predecessors; it then uses the latest frames there are, and the first
  frame of a track with nothing before it is repeated, as at the start of a session (and as in
  training, `window_features`). Each time a person's batch lacks the frame just before it,
  pose_inference_window_gaps_total{model} counts one.

Per batch this is ONE pipelined round trip: the reads come first in the pipeline, so they see
the rows before this batch's own writes. Each set keeps its last `keep_frames` rows (at least
two windows; 300 = 10 s at 30 fps, so an entry redelivered within that gets its windows again)
and expires `ttl_s` after its last write, so an ended session leaves nothing behind.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import redis

from pose_common.streams import StreamKeys
from pose_inference import metrics
from pose_ml.datasets.windows import window_features

_SEQ = struct.Struct(">q")  # each member: its seq, then the float32 feature row


@dataclass(frozen=True, slots=True)
class Track:
    """One person's frames in one session, as classified by one model version."""

    model: str
    version: int
    session: str
    person: int


@dataclass(frozen=True, slots=True)
class TrackRows:
    """A batch's frames of one track: their seqs (n,) and feature rows (n, F)."""

    seqs: np.ndarray
    features: np.ndarray


class FeatureHistory:
    """Feature rows per track in Redis, shared by all inference consumers of a deployment."""

    def __init__(
        self, client: redis.Redis, keys: StreamKeys, *, ttl_s: int = 600, keep_frames: int = 300
    ) -> None:
        if ttl_s < 1 or keep_frames < 1:
            raise ValueError("ttl_s and keep_frames must be at least 1")
        self.client = client
        self.keys = keys
        self.ttl_s = ttl_s
        self.keep_frames = keep_frames

    def _key(self, track: Track) -> str:
        return self.keys.feature_history(track.model, track.version, track.session, track.person)

    def windows(self, tracks: Mapping[Track, TrackRows], *, window: int) -> dict[Track, np.ndarray]:
        """Per track, (n, W, F): the window ending at each of its rows, in the rows' order.

        Each window is the frames before it by seq: the batch's own earlier frames, then
        the history's. The batch's rows are added to the history.
        """
        if window < 1:
            raise ValueError("window must be at least 1")
        if window == 1:
            return {t: r.features[:, None, :] for t, r in tracks.items()}
        items = list(tracks.items())
        keep = max(self.keep_frames, 2 * window)
        pipe = self.client.pipeline(transaction=False)
        for track, rows in items:
            first = int(rows.seqs.min())
            pipe.zrevrangebyscore(self._key(track), f"({first}", "-inf", start=0, num=window - 1)
        for track, rows in items:
            key = self._key(track)
            members = {
                _SEQ.pack(int(seq)) + np.asarray(row, np.float32).tobytes(): int(seq)
                for seq, row in zip(rows.seqs, rows.features, strict=True)
            }
            pipe.zadd(key, members)  # type: ignore[arg-type]
            pipe.zremrangebyrank(key, 0, -(keep + 1))
            pipe.expire(key, self.ttl_s)
        replies = pipe.execute()
        for i, (track, rows) in enumerate(items):
            first = int(rows.seqs.min())
            newest = _SEQ.unpack(replies[i][0][: _SEQ.size])[0] if replies[i] else None
            if first > 0 and newest != first - 1:
                metrics.WINDOW_GAPS.labels(track.model).inc()
        return {
            track: _track_windows(rows, _rows_before(replies[i], rows.features), window)
            for i, (track, rows) in enumerate(items)
        }


def _rows_before(members: list[bytes], like: np.ndarray) -> np.ndarray:
    """The history's rows, newest first from Redis, as (k, F) oldest first; one row per seq."""
    width = like.shape[1]
    rows: list[np.ndarray] = []
    seen: set[bytes] = set()
    for member in members:
        seq, row = member[: _SEQ.size], np.frombuffer(member[_SEQ.size :], np.float32)
        if seq in seen or row.size != width:  # a resent seq, or a row of another layout
            continue
        seen.add(seq)
        rows.append(row)
    if not rows:
        return np.zeros((0, width), like.dtype)
    return np.stack(rows[::-1]).astype(like.dtype, copy=False)


def _track_windows(rows: TrackRows, before: np.ndarray, window: int) -> np.ndarray:
    """Windows of the batch's rows (in their order) over history + the rows sorted by seq."""
    order = np.argsort(rows.seqs, kind="stable")
    stacked = np.concatenate([before, rows.features[order]])
    out = np.empty((len(order), window, rows.features.shape[1]), rows.features.dtype)
    out[order] = window_features(stacked, window=window)[len(before) :]
    return out
