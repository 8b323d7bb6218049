"""POST a batch of frames over HTTP: validate, publish one stream entry, acknowledge."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Request, Response, status
from starlette.requests import ClientDisconnect

from pose_common.contracts import Ack
from pose_ingest import metrics
from pose_ingest.backpressure import BackpressureMonitor
from pose_ingest.deps import authorize_session
from pose_ingest.state import IngestState
from pose_ingest.validation import BatchRejected, validate_batch

log = logging.getLogger(__name__)
router = APIRouter(tags=["frames"])

# The body is read raw (validating it ourselves is ~2x faster than a `batch: Batch`
# parameter), so the request schema and the auth header are declared here for the docs.
BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Batch"}}},
    },
    "parameters": [
        {
            "name": "Authorization",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "Bearer <session token or admin token>",
        }
    ],
}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed JSON"},
    401: {"description": "Missing or wrong token"},
    404: {"description": "Unknown session"},
    413: {"description": "Body over the configured limit"},
    422: {"description": "A frame breaks the v1 contract; the detail names the field"},
    429: {"description": "Frames stream behind: retry after Retry-After seconds"},
    503: {"description": "Redis or PostgreSQL unreachable: retry after Retry-After seconds"},
}


async def read_limited_body(request: Request, *, limit: int) -> bytes:
    """The request body, refusing (413) anything over limit before and while reading it."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "invalid Content-Length")
        if int(declared) > limit:
            raise _too_large(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(size, limit)
            chunks.append(chunk)
    except ClientDisconnect:
        # Nobody is left to answer; a 4xx keeps it out of the server-error log.
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "client disconnected") from None
    return b"".join(chunks)


def _too_large(size: int, limit: int) -> HTTPException:
    metrics.rejected("too_large")
    detail = f"body of {size} bytes is over the limit of {limit} bytes"
    return HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail)


def refuse_when_behind(monitor: BackpressureMonitor) -> None:
    """429 with Retry-After while the frames stream is too far behind."""
    if monitor.refusing:
        metrics.BACKPRESSURE.inc()
        metrics.rejected("backpressure")
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"frames stream is {monitor.backlog} entries behind; slow down",
            headers={"Retry-After": str(monitor.retry_after_s)},
        )


@router.post(
    "/v1/sessions/{session_id}/frames",
    response_model=Ack,
    responses=ERRORS,
    openapi_extra=BATCH_BODY,
    summary="Send a batch of frames",
)
async def post_frames(request: Request, session_id: str) -> Response:
    """Accept one Batch (JSON body); the ack carries the highest accepted seq.

    Bearer token: the session's own or the admin token.
    """
    started = time.perf_counter()
    state: IngestState = request.app.state.ingest
    try:
        session = await authorize_session(
            state, session_id=session_id, authorization=request.headers.get("authorization")
        )
        refuse_when_behind(state.backpressure)
        raw = await read_limited_body(request, limit=state.settings.ingest_max_body_bytes)
        try:
            accepted = validate_batch(raw)
        except BatchRejected as exc:
            metrics.rejected(exc.metric_reason)
            code = status.HTTP_400_BAD_REQUEST if exc.malformed_json else 422
            raise HTTPException(code, exc.reason) from None
        # Only bytes and ints cross this await: validate_batch dropped the parsed frames.
        entry_id = await state.publisher.publish(session=session, body=accepted.body)
        if log.isEnabledFor(logging.DEBUG):  # one line per batch: too many for INFO
            log.debug("batch accepted session=%s entry=%s %s", session.id, entry_id, accepted)
        metrics.HTTP_BATCHES.inc()
        metrics.HTTP_FRAMES.inc(accepted.count)
        ack = {"type": "ack", "seq": accepted.last_seq, "count": accepted.count}
        return Response(orjson.dumps(ack), media_type="application/json")
    finally:
        metrics.REQUEST_SECONDS.observe(time.perf_counter() - started)
