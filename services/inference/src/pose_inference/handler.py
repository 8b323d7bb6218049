"""Frames entries in, predictions entries out: the pure core of the inference worker.

For one batch of stream entries:
1. decode each entry (codec.decode_frames) and stack its keypoints; an entry that cannot be
   decoded gets Invalid(reason), so the consumer dead-letters it and the others flow on;
2. group the entries by model name and look up each model's production version;
   entries of a model with none are counted as unclassified and acknowledged as they are;
3. per model: features for all its frames at once, ONE traced call, argmax;
4. build one predictions entry per frames entry (latency_ms = now - ingest time) and XADD
   them all in one pipelined round trip.
The consumer acknowledges the entries after this returns, i.e. after the predictions are out.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import redis

from pose_common import codec
from pose_common.consumer import Entry, Invalid
from pose_common.model_catalog import NAME_PATTERN
from pose_common.skeleton import NUM_KEYPOINTS
from pose_inference import metrics
from pose_inference.feature_history import FeatureHistory, Track, TrackRows
from pose_inference.registry import ModelRegistry
from pose_ml.model_store import LoadedModel

log = logging.getLogger(__name__)

_VALUES_PER_FRAME = NUM_KEYPOINTS * 3
_chain = itertools.chain.from_iterable


@dataclass(slots=True)
class DecodedEntry:
    """One frames entry, ready to classify."""

    entry_id: str
    session: str
    model: str
    ingested_at: float
    seqs: list[int]
    persons: list[int]
    keypoints: np.ndarray  # (frames, 17, 3) float32


def _stack_keypoints(frames: list[Any]) -> np.ndarray:
    """All frames' keypoints as one (n, 17, 3) float32 array; ValueError on a bad shape."""
    try:
        rows = [frame["keypoints"] for frame in frames]
        counts_ok = all(len(row) == NUM_KEYPOINTS for row in rows)
        # fromiter over the flattened values is ~2x faster than np.array on nested lists;
        # a point that is not [x, y, score] shows up in the total count.
        flat = np.fromiter(_chain(_chain(rows)), dtype=np.float32) if counts_ok else None
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed frame keypoints: {exc}") from None
    if flat is None:
        raise ValueError(f"a frame does not have {NUM_KEYPOINTS} keypoints")
    if flat.size != len(rows) * _VALUES_PER_FRAME:
        raise ValueError("malformed frame keypoints: a keypoint is not [x, y, score]")
    return flat.reshape(len(rows), NUM_KEYPOINTS, 3)


def decode_entry(entry: Entry) -> DecodedEntry:
    """Parse one frames entry; ValueError says why it can never be classified."""
    parsed = codec.decode_frames(entry.fields)
    if not NAME_PATTERN.match(parsed.model):
        raise ValueError(f"invalid model name {parsed.model!r}")
    frames = parsed.batch["frames"]
    if not frames:
        raise ValueError("frames payload has no frames")
    try:
        seqs = [int(frame["seq"]) for frame in frames]
        persons = [int(frame.get("person", 0)) for frame in frames]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"malformed frame seq/person: {exc!r}") from None
    keypoints = _stack_keypoints(frames)
    return DecodedEntry(
        entry.id, parsed.session, parsed.model, parsed.ingested_at, seqs, persons, keypoints
    )


def build_predictions(
    entry: DecodedEntry, *, labels: Sequence[str], probabilities: np.ndarray, now: float
) -> list[dict[str, Any]]:
    """One prediction dict per frame of the entry (the predictions stream's d field)."""
    best = probabilities.argmax(axis=1).tolist()
    rows = probabilities.tolist()
    latency_ms = (now - entry.ingested_at) * 1000.0
    return [
        {
            "seq": seq,
            "person": person,
            "label": labels[index],
            "probability": row[index],
            "probabilities": dict(zip(labels, row, strict=True)),
            "latency_ms": latency_ms,
        }
        for seq, person, index, row in zip(entry.seqs, entry.persons, best, rows, strict=True)
    ]


def classify(
    model: LoadedModel,
    entries: Sequence[DecodedEntry],
    history: FeatureHistory | None = None,
) -> list[np.ndarray]:
    """Probabilities per entry, from one feature pass and ONE traced call for all of them.

    A temporal model (model.window) needs the history of the frames before each frame.
    """
    keypoints = np.concatenate([e.keypoints for e in entries]) if len(entries) > 1 else None
    stacked = entries[0].keypoints if keypoints is None else keypoints
    features = model.features(stacked)
    if model.window is not None:
        if history is None:
            raise ValueError(f"{model.name} v{model.version} is temporal: it needs a history")
        features = _windows(model, entries, features, history)
    probabilities = model.probabilities(features)
    bounds = np.cumsum([len(e.seqs) for e in entries])[:-1]
    return np.split(probabilities, bounds)


def _windows(
    model: LoadedModel,
    entries: Sequence[DecodedEntry],
    features: np.ndarray,
    history: FeatureHistory,
) -> np.ndarray:
    """Per-frame features -> the window ending at each frame, per session and person."""
    window = int(model.window or 1)
    seqs = np.fromiter(_chain(e.seqs for e in entries), np.int64, count=len(features))
    persons = np.fromiter(_chain(e.persons for e in entries), np.int64, count=len(features))
    sessions = np.repeat([e.session for e in entries], [len(e.seqs) for e in entries])
    rows_of: dict[Track, np.ndarray] = {}
    for session in dict.fromkeys(e.session for e in entries):
        in_session = sessions == session
        for person in np.unique(persons[in_session]):
            track = Track(model.name, model.version, session, int(person))
            rows_of[track] = np.flatnonzero(in_session & (persons == person))
    tracks = {t: TrackRows(seqs[rows], features[rows]) for t, rows in rows_of.items()}
    out = np.empty((len(features), window, features.shape[1]), dtype=features.dtype)
    for track, windows in history.windows(tracks, window=window).items():
        out[rows_of[track]] = windows
    return out


class PredictionHandler:
    """The consumer's handler: classify a batch of frames entries and publish predictions."""

    def __init__(
        self,
        *,
        client: redis.Redis,
        registry: ModelRegistry,
        predictions_stream: str,
        clock: Callable[[], float] = time.time,
        history: FeatureHistory,
        before_batch: Callable[[], None] | None = None,
    ) -> None:
        self.client = client
        self.registry = registry
        self.predictions_stream = predictions_stream
        self.clock = clock
        # Runs first for every batch (the worker follows model events there), so frames read
        # after a promotion was announced are classified by the promoted version.
        self.before_batch = before_batch
        # Shared by every consumer (Redis), for temporal models; see feature_history.
        self.history = history

    def __call__(self, entries: Sequence[Entry]) -> Mapping[str, Invalid]:
        started = time.perf_counter()
        if self.before_batch is not None:
            self.before_batch()
        verdicts: dict[str, Invalid] = {}
        groups: dict[str, list[DecodedEntry]] = {}
        for entry in entries:
            try:
                decoded = decode_entry(entry)
            except ValueError as exc:
                verdicts[entry.id] = Invalid(str(exc))
                continue
            groups.setdefault(decoded.model, []).append(decoded)
        results = [self._classify_group(name, group) for name, group in groups.items()]
        self._publish([r for r in results if r is not None])
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)
        return verdicts

    def _classify_group(
        self, name: str, group: list[DecodedEntry]
    ) -> tuple[LoadedModel, list[DecodedEntry], list[np.ndarray]] | None:
        model = self.registry.get(name)
        frames = sum(len(e.seqs) for e in group)
        if model is None:
            metrics.FRAMES_UNCLASSIFIED.labels(name).inc(frames)
            return None
        metrics.FRAMES.labels(name, str(model.version)).inc(frames)
        return model, group, classify(model, group, self.history)

    def _publish(
        self, results: list[tuple[LoadedModel, list[DecodedEntry], list[np.ndarray]]]
    ) -> None:
        """XADD one predictions entry per frames entry, all in one round trip."""
        if not results:
            return
        now = self.clock()
        pipe = self.client.pipeline(transaction=False)
        for model, group, probabilities in results:
            labels = model.labels.names
            for entry, probs in zip(group, probabilities, strict=True):
                predictions = build_predictions(entry, labels=labels, probabilities=probs, now=now)
                fields = codec.encode_predictions(
                    session=entry.session,
                    model=model.name,
                    version=model.version,
                    predictions=predictions,
                )
                pipe.xadd(self.predictions_stream, fields)  # type: ignore[arg-type]
                metrics.LATENCY_SECONDS.observe(now - entry.ingested_at)
                log.debug(
                    "classified %d frames of session %s (entry %s) with %s v%d",
                    len(entry.seqs),
                    entry.session,
                    entry.entry_id,
                    model.name,
                    model.version,
                )
        pipe.execute()
