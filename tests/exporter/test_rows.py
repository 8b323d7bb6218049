"""Entries -> rows without a database: what is refused, and why."""

from __future__ import annotations

import copy
import struct
import uuid
from typing import Any

import pytest

from pose_common.codec import FramesEntry, PredictionsEntry
from pose_exporter.rows import COPY_SIGNATURE, pack_frames, prediction_rows
from tests import factories

SESSION = str(uuid.uuid4())


def entry(batch: dict[str, Any], session: str = SESSION) -> FramesEntry:
    return FramesEntry(session=session, model="yoga", ingested_at=0.0, batch=batch)


def test_a_valid_batch_packs_one_row_per_frame() -> None:
    packed = pack_frames(entry(factories.batch(0, 30)))
    assert packed.count == 30
    assert packed.session == uuid.UUID(SESSION)
    # Every row starts with its field count (10) and the session's 16 bytes.
    head = struct.pack(">hi", 10, 16) + uuid.UUID(SESSION).bytes
    assert packed.data.startswith(head)
    assert packed.data.count(head) == 30
    assert not packed.data.startswith(COPY_SIGNATURE)


def broken(change: str) -> dict[str, Any]:
    batch = copy.deepcopy(factories.batch(0, 3))
    frame = batch["frames"][1]
    if change == "16 keypoints":
        frame["keypoints"] = frame["keypoints"][:16]
    elif change == "2 values":
        frame["keypoints"][4] = [1.0, 2.0]
    elif change == "text value":
        frame["keypoints"][4][0] = "left"
    elif change == "null value":
        frame["keypoints"][4][0] = None
    elif change == "nan value":
        frame["keypoints"][4][1] = float("nan")
    elif change == "huge value":
        frame["keypoints"][4][0] = 1e39
    elif change == "score 1.5":
        frame["keypoints"][4][2] = 1.5
    elif change == "negative seq":
        frame["seq"] = -1
    elif change == "bool seq":
        frame["seq"] = True
    elif change == "long label":
        frame["label"] = "x" * 65
    elif change == "NUL label":
        frame["label"] = "a\x00b"
    elif change == "no t":
        del frame["t"]
    elif change == "zero width":
        batch["width"] = 0
    elif change == "no frames":
        batch["frames"] = []
    return batch


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("16 keypoints", "frames[1]: expected 17 keypoints, got 16"),
        ("2 values", "a keypoint is [x, y, score]"),
        ("text value", "keypoint values must be finite numbers that fit a 4-byte float"),
        ("null value", "keypoint values must be finite numbers that fit a 4-byte float"),
        ("huge value", "keypoint values must be finite numbers that fit a 4-byte float"),
        ("nan value", "keypoint values must be finite numbers that fit a 4-byte float"),
        ("score 1.5", "keypoint scores must be in [0, 1]"),
        ("negative seq", "frames[1].seq must be an integer >= 0, got -1"),
        ("bool seq", "frames[1].seq must be an integer >= 0, got True"),
        ("long label", "frames[1].label is longer than 64 characters"),
        ("NUL label", "frames[1].label contains a NUL character"),
        ("no t", "does not follow the v1 contract"),
        ("zero width", "width must be a positive integer, got 0"),
        ("no frames", "frames payload holds no frames"),
    ],
)
def test_invalid_frames_are_refused_with_a_reason(change: str, reason: str) -> None:
    with pytest.raises(ValueError) as raised:
        pack_frames(entry(broken(change)))
    assert reason in str(raised.value)


def test_a_session_id_must_be_a_uuid() -> None:
    with pytest.raises(ValueError, match="session id 'abc' is not a UUID"):
        pack_frames(entry(factories.batch(0, 1), session="abc"))


def prediction(**overrides: Any) -> dict[str, Any]:
    item = {
        "seq": 4,
        "person": 0,
        "label": "tree",
        "probability": 0.9,
        "probabilities": {"tree": 0.9, "chair": 0.1},
        "latency_ms": 2.0,
    }
    return {**item, **overrides}


def test_prediction_rows_carry_the_model_and_json_probabilities() -> None:
    rows = prediction_rows(PredictionsEntry(SESSION, "yoga", 7, [prediction()]))
    assert rows == [
        (uuid.UUID(SESSION), 4, 0, "yoga", 7, "tree", 0.9, '{"tree":0.9,"chair":0.1}', 2.0)
    ]


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (prediction(seq="4"), "predictions[0].seq must be an integer"),
        (prediction(probabilities={"tree": "high"}), "probabilities must map label names"),
        (prediction(latency_ms=float("nan")), "must be finite numbers"),
        (prediction(label=None), "label must be a string"),
        ({"seq": 1}, "does not follow the v1 contract"),
    ],
)
def test_invalid_predictions_are_refused_with_a_reason(item: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError) as raised:
        prediction_rows(PredictionsEntry(SESSION, "yoga", 1, [item]))
    assert reason in str(raised.value)
