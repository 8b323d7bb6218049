"""Encoding of stream entries (the field layout is documented in pose_common.streams).

Frames travel as the JSON body that ingest validated (no re-encoding on the hot path);
predictions as msgpack.  Decoders raise ValueError with a reason on anything malformed,
so consumers can dead-letter it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import msgpack
import orjson

from pose_common.contracts import CONTRACT_VERSION


@dataclass(frozen=True, slots=True)
class FramesEntry:
    session: str
    model: str
    ingested_at: float
    batch: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PredictionsEntry:
    session: str
    model: str
    version: int
    predictions: list[dict[str, Any]]


def encode_frames(
    *, session: str, model: str, body: bytes, ingested_at: float | None = None
) -> dict[str, bytes | str]:
    """Stream fields for one validated batch."""
    return {
        "v": CONTRACT_VERSION,
        "s": session,
        "m": model,
        "ts": repr(time.time() if ingested_at is None else ingested_at),
        "d": body,
    }


def _text(fields: dict[bytes, bytes], key: bytes) -> str:
    try:
        return fields[key].decode()
    except KeyError:
        raise ValueError(f"missing field {key.decode()!r}") from None
    except UnicodeDecodeError:
        raise ValueError(f"field {key.decode()!r} is not UTF-8") from None


def _check_version(fields: dict[bytes, bytes]) -> None:
    version = _text(fields, b"v")
    if version != CONTRACT_VERSION:
        raise ValueError(f"unsupported contract version {version!r}")


def decode_frames(fields: dict[bytes, bytes]) -> FramesEntry:
    """Parse a frames entry; ValueError names what is wrong."""
    _check_version(fields)
    try:
        batch = orjson.loads(fields[b"d"])
        ingested_at = float(_text(fields, b"ts"))
    except KeyError:
        raise ValueError("missing field 'd'") from None
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"frames payload is not JSON: {exc}") from None
    if not isinstance(batch, dict) or not isinstance(batch.get("frames"), list):
        raise ValueError("frames payload has no 'frames' list")
    return FramesEntry(_text(fields, b"s"), _text(fields, b"m"), ingested_at, batch)


def encode_predictions(
    *, session: str, model: str, version: int, predictions: list[dict[str, Any]]
) -> dict[str, bytes | str]:
    return {
        "v": CONTRACT_VERSION,
        "s": session,
        "m": model,
        "n": str(version),
        "d": msgpack.packb(predictions, use_single_float=False),
    }


def decode_predictions(fields: dict[bytes, bytes]) -> PredictionsEntry:
    """Parse a predictions entry; ValueError names what is wrong."""
    _check_version(fields)
    try:
        predictions = msgpack.unpackb(fields[b"d"])
        version = int(_text(fields, b"n"))
    except KeyError:
        raise ValueError("missing field 'd'") from None
    except (msgpack.UnpackException, ValueError) as exc:
        raise ValueError(f"predictions payload is malformed: {exc}") from None
    if not isinstance(predictions, list):
        raise ValueError("predictions payload is not a list")
    return PredictionsEntry(_text(fields, b"s"), _text(fields, b"m"), version, predictions)
