"""Stream entries -> PostgreSQL rows (pure: no I/O). ValueError names what is wrong.

Frames are encoded straight into PostgreSQL's binary COPY format, the keypoints of a whole
entry at once (one struct.pack, then interleaved with their length words in an array):
psycopg's per-row formatter spends most of its time on the 51-float array of each frame,
and this path is what holds the exporter to its throughput target (DESIGN.md section 4).
Everything is checked before it reaches the database, so one bad entry is dead-lettered
instead of aborting the transaction of the whole batch.
"""

from __future__ import annotations

import math
import struct
import uuid
from array import array
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any

import orjson

from pose_common.codec import FramesEntry, PredictionsEntry
from pose_common.skeleton import NUM_KEYPOINTS

FLOAT4_MAX = 3.4028234663852886e38  # the largest finite 4-byte float
INT2_MAX, INT4_MAX, INT8_MAX = 2**15 - 1, 2**31 - 1, 2**63 - 1
TEXT_MAX_CHARS = 64  # the varchar(64) columns: detector, label, model
FLOATS_PER_FRAME = NUM_KEYPOINTS * 3
FLOAT4_OID = 700

FRAME_COLUMNS = (
    "session_id, seq, person, t, detector, detector_version, width, height, keypoints, label"
)
PREDICTION_COLUMNS = (
    "session_id, seq, person, model, version, label, probability, probabilities, latency_ms"
)
# psycopg type names for a binary COPY of PREDICTION_COLUMNS (probabilities travel as text).
PREDICTION_TYPES = ("uuid", "int8", "int2", "text", "int4", "text", "float4", "text", "float4")

COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # then flags = 0, header extension = 0
COPY_TRAILER = b"\xff\xff"

# Field count, then (length, value) for session uuid, seq int8, person int2, t float8.
_ROW_START = struct.Struct(">hi16siqihid")
_LENGTH = struct.Struct(">i")
_NULL = _LENGTH.pack(-1)
# A float4[] value: ndim, has-nulls, element oid, dimension, lower bound, then (length, value)
# per element, all 4-byte big-endian words.
_KEYPOINTS_HEADER = struct.pack(">iiiii", 1, 0, FLOAT4_OID, FLOATS_PER_FRAME, 1)
_CELL_WORDS = 5 + 2 * FLOATS_PER_FRAME
_CELL_BYTES = 4 * _CELL_WORDS
assert array("I").itemsize == array("f").itemsize == 4, "4-byte words are assumed"


@dataclass(frozen=True, slots=True)
class PackedFrames:
    """The frames of one stream entry as binary COPY rows (no signature or trailer)."""

    session: uuid.UUID
    count: int
    data: bytes


def session_uuid(session: str) -> uuid.UUID:
    """The entry's session id as a UUID (sessions.id is one)."""
    try:
        return uuid.UUID(session)
    except ValueError:
        raise ValueError(f"session id {session[:64]!r} is not a UUID") from None


def pack_frames(entry: FramesEntry) -> PackedFrames:
    """Check one decoded frames entry and encode its frames as binary COPY rows."""
    session = session_uuid(entry.session)
    batch = entry.batch
    try:
        frames = batch["frames"]
        if not frames:
            raise ValueError("frames payload holds no frames")
        detector = batch["detector"]
        head = b"".join(
            (
                _text_cell(detector["name"], field="detector.name", nullable=False),
                _text_cell(detector.get("version", ""), field="detector.version", nullable=False),
                _int4_cell(batch["width"], field="width"),
                _int4_cell(batch["height"], field="height"),
                _LENGTH.pack(_CELL_BYTES),
            )
        )
        cells, size = _keypoint_cells(frames), _CELL_BYTES
        rows = [
            _frame_row(index, frame, session.bytes, head, cells[index * size : (index + 1) * size])
            for index, frame in enumerate(frames)
        ]
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"frames payload does not follow the v1 contract: {exc!r}") from None
    return PackedFrames(session=session, count=len(rows), data=b"".join(rows))


def _frame_row(index: int, frame: dict[str, Any], session: bytes, head: bytes, kps: bytes) -> bytes:
    seq, person, t = frame["seq"], frame.get("person", 0), frame["t"]
    if type(seq) is not int or not 0 <= seq <= INT8_MAX:
        raise ValueError(f"frames[{index}].seq must be an integer >= 0, got {seq!r}")
    if type(person) is not int or not 0 <= person <= INT2_MAX:
        raise ValueError(f"frames[{index}].person must be an integer >= 0, got {person!r}")
    if type(t) not in (int, float) or not math.isfinite(t) or t < 0:
        raise ValueError(f"frames[{index}].t must be a finite time >= 0, got {t!r}")
    start = _ROW_START.pack(10, 16, session, 8, seq, 2, person, 8, float(t))
    label = _text_cell(frame.get("label"), field=f"frames[{index}].label")
    return b"".join((start, head, kps, label))


def _keypoint_cells(frames: list[dict[str, Any]]) -> bytes:
    """One float4[] cell per frame (in frame order), built for the whole entry at once."""
    points = [frame["keypoints"] for frame in frames]
    if set(map(len, points)) != {NUM_KEYPOINTS}:
        index = next(i for i, p in enumerate(points) if len(p) != NUM_KEYPOINTS)
        raise ValueError(
            f"frames[{index}]: expected {NUM_KEYPOINTS} keypoints, got {len(points[index])}"
        )
    if set(map(len, chain.from_iterable(points))) != {3}:
        raise ValueError("a keypoint is [x, y, score]: some have another number of values")
    flat = list(chain.from_iterable(chain.from_iterable(points)))
    try:
        # NaN and inf: refused here (a sum of finite values below 2**128 stays finite).
        finite = math.isfinite(sum(flat))
        scores = flat[2::3]
        scores_ok = min(scores) >= 0.0 and max(scores) <= 1.0
        packed = _floats_struct(len(flat)).pack(*flat)  # big-endian 4-byte floats
    except (TypeError, struct.error, OverflowError):
        raise ValueError("keypoint values must be finite numbers that fit a 4-byte float") from None
    if not finite:
        raise ValueError("keypoint values must be finite numbers that fit a 4-byte float")
    if not scores_ok:
        raise ValueError("keypoint scores must be in [0, 1]")
    words = array("I", _cells_template(len(points)))
    words_of_values = array("I", packed)
    for index in range(len(points)):
        # Each value sits after its 4-byte length word, past the cell's 5-word header.
        first = index * _CELL_WORDS + 6
        words[first : first + 2 * FLOATS_PER_FRAME : 2] = words_of_values[
            index * FLOATS_PER_FRAME : (index + 1) * FLOATS_PER_FRAME
        ]
    return words.tobytes()


@lru_cache(maxsize=64)
def _floats_struct(count: int) -> struct.Struct:
    return struct.Struct(f">{count}f")


@lru_cache(maxsize=64)
def _cells_template(count: int) -> bytes:
    """count keypoints cells with header and lengths filled in and zero values."""
    return (_KEYPOINTS_HEADER + (_LENGTH.pack(4) + bytes(4)) * FLOATS_PER_FRAME) * count


def _text_cell(value: Any, *, field: str, nullable: bool = True) -> bytes:
    if value is None and nullable:
        return _NULL
    return _LENGTH.pack(len(encoded := _checked_text(value, field=field))) + encoded


def _checked_text(value: Any, *, field: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string, got {type(value).__name__}")
    if len(value) > TEXT_MAX_CHARS:
        raise ValueError(f"{field} is longer than {TEXT_MAX_CHARS} characters")
    if "\x00" in value:
        raise ValueError(f"{field} contains a NUL character")
    return value.encode()


def _int4_cell(value: Any, *, field: str) -> bytes:
    if type(value) is not int or not 0 < value <= INT4_MAX:
        raise ValueError(f"{field} must be a positive integer, got {value!r}")
    return b"\x00\x00\x00\x04" + value.to_bytes(4, "big")


def prediction_rows(entry: PredictionsEntry) -> list[tuple[Any, ...]]:
    """Check one decoded predictions entry; rows in PREDICTION_COLUMNS order."""
    session = session_uuid(entry.session)
    _checked_text(entry.model, field="model")
    if not 0 <= entry.version <= INT4_MAX:
        raise ValueError(f"model version {entry.version} is out of range")
    try:
        rows = [_prediction_row(i, p, session, entry) for i, p in enumerate(entry.predictions)]
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"predictions payload does not follow the v1 contract: {exc!r}") from None
    if not rows:
        raise ValueError("predictions payload holds no predictions")
    return rows


def _prediction_row(
    index: int, item: dict[str, Any], session: uuid.UUID, entry: PredictionsEntry
) -> tuple[Any, ...]:
    where = f"predictions[{index}]"
    seq, person = item["seq"], item.get("person", 0)
    if type(seq) is not int or not 0 <= seq <= INT8_MAX:
        raise ValueError(f"{where}.seq must be an integer >= 0, got {seq!r}")
    if type(person) is not int or not 0 <= person <= INT2_MAX:
        raise ValueError(f"{where}.person must be an integer >= 0, got {person!r}")
    label = item["label"]
    _checked_text(label, field=f"{where}.label")
    probabilities = item["probabilities"]
    if not isinstance(probabilities, dict) or not all(
        isinstance(k, str) and "\x00" not in k and _is_float4(v) for k, v in probabilities.items()
    ):
        raise ValueError(f"{where}.probabilities must map label names to finite numbers")
    probability, latency_ms = item["probability"], item["latency_ms"]
    if not _is_float4(probability) or not _is_float4(latency_ms):
        raise ValueError(f"{where}: probability and latency_ms must be finite numbers")
    return (
        session,
        seq,
        person,
        entry.model,
        entry.version,
        label,
        float(probability),
        orjson.dumps(probabilities).decode(),
        float(latency_ms),
    )


def _is_float4(value: Any) -> bool:
    return type(value) in (int, float) and abs(value) <= FLOAT4_MAX
