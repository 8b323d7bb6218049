"""Validate one client batch and turn pydantic's errors into one reason that names the field.

Validation is strict (no "5" for 5, no 5.0 for an int): the validated body is published
as is, so what consumers read back must already have the contract's types.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from pose_common.contracts import MAX_BATCH_FRAMES, Batch
from pose_common.skeleton import NUM_KEYPOINTS

WS_REASON_MAX_BYTES = 123  # RFC 6455: a close frame's reason fits in 123 bytes
_BOUNDS = {
    "greater_than_equal": (">=", "ge"),
    "greater_than": (">", "gt"),
    "less_than_equal": ("<=", "le"),
    "less_than": ("<", "lt"),
}


@dataclass(frozen=True, slots=True)
class AcceptedBatch:
    """A valid batch reduced to what the hot path needs (the parsed frames are dropped early)."""

    body: bytes = field(repr=False)
    first_seq: int
    last_seq: int
    count: int


class BatchRejected(Exception):
    """A batch that can never be accepted, with the reason to show the client."""

    def __init__(self, reason: str, *, malformed_json: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.malformed_json = malformed_json

    @property
    def metric_reason(self) -> str:
        return "malformed_json" if self.malformed_json else "invalid_frame"


def validate_batch(raw: bytes | str) -> AcceptedBatch:
    """Parse and check one batch against the v1 contract; BatchRejected says why not."""
    try:
        batch = Batch.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise rejection(exc) from None
    seqs = [frame.seq for frame in batch.frames]
    if any(frame.label is not None for frame in batch.frames):
        # Labels are whitespace-stripped by the model; publish the normalised form.
        body = batch.model_dump_json().encode()
    else:
        body = raw.encode() if isinstance(raw, str) else raw
    return AcceptedBatch(body=body, first_seq=min(seqs), last_seq=max(seqs), count=len(seqs))


def rejection(exc: ValidationError) -> BatchRejected:
    """The client-facing rejection for a failed validation (first error, plus how many more)."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    if first["type"] == "json_invalid":
        detail = (first.get("ctx") or {}).get("error", "not valid JSON")
        return BatchRejected(f"malformed JSON: {detail}", malformed_json=True)
    reason = describe_error(first)
    if len(errors) > 1:
        reason += f" (and {len(errors) - 1} more)"
    return BatchRejected(reason)


def describe_error(error: ErrorDetails) -> str:
    """One error as "frames[3].keypoints: expected 17 keypoints, got 16"."""
    location = format_location(error["loc"])
    text = _explain(error)
    return f"{location}: {text}" if location else text


def format_location(loc: Sequence[int | str]) -> str:
    """('frames', 3, 'keypoints', 0, 2) -> 'frames[3].keypoints[0][2]'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _explain(error: ErrorDetails) -> str:
    kind, loc = error["type"], error["loc"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind in ("too_short", "too_long"):
        return _explain_length(loc, ctx, default=error["msg"])
    if kind == "finite_number":
        return "must be a finite number (NaN and Infinity are refused)"
    if kind in _BOUNDS:
        symbol, key = _BOUNDS[kind]
        if _is_score(loc):
            return f"score must be in [0, 1], got {_short(error.get('input'))}"
        return f"must be {symbol} {ctx.get(key)}, got {_short(error.get('input'))}"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind == "model_type" and not loc:
        return "a batch must be a JSON object"
    message = error["msg"]
    return message[:1].lower() + message[1:]


def _explain_length(loc: Sequence[int | str], ctx: dict[str, Any], *, default: str) -> str:
    actual = ctx.get("actual_length")
    if loc and loc[-1] == "keypoints":
        return f"expected {NUM_KEYPOINTS} keypoints, got {actual}"
    if tuple(loc) == ("frames",):
        return f"a batch holds 1 to {MAX_BATCH_FRAMES} frames, got {actual}"
    if len(loc) >= 2 and loc[-2] == "keypoints":
        return f"a keypoint is [x, y, score], got {actual} values"
    return default[:1].lower() + default[1:]


def _is_score(loc: Sequence[int | str]) -> bool:
    return len(loc) >= 2 and loc[-1] == 2 and loc[-3:-2] == ("keypoints",)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


def truncate_utf8(text: str, max_bytes: int = WS_REASON_MAX_BYTES) -> str:
    """Cut text to at most max_bytes of UTF-8 without splitting a character."""
    encoded = text.encode()
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode(errors="ignore")
