"""The frames WebSocket: one Batch per text message, acks and predictions back.

Origin and token are checked before any work is done for the connection; the socket is
accepted only so that the refusal can carry its close code and reason.  Each connection
runs its reader here and a writer task draining a bounded Outbox, so a client that reads
slowly stalls only itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import NamedTuple

import orjson
from fastapi import APIRouter, WebSocket
from redis.exceptions import RedisError

from pose_common.sessions import parse_session_id
from pose_ingest import metrics
from pose_ingest.access import may_access, origin_allowed
from pose_ingest.outbox import Outbox
from pose_ingest.session_store import SessionRecord
from pose_ingest.state import IngestState
from pose_ingest.validation import BatchRejected, truncate_utf8, validate_batch

log = logging.getLogger(__name__)
router = APIRouter()

CLOSE_BAD_TOKEN = 4401
CLOSE_BAD_ORIGIN = 4403
CLOSE_UNKNOWN_SESSION = 4404
CLOSE_INVALID = 1007
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_TRY_AGAIN = 1013
CLOSE_DRAIN_TIMEOUT_S = 5.0


class Close(NamedTuple):
    code: int
    reason: str


async def admit(
    websocket: WebSocket, state: IngestState, session_id: str, token: str | None
) -> SessionRecord | Close:
    """The session this socket may stream to, or why it may not."""
    headers = websocket.headers
    if not origin_allowed(headers.get("origin"), host=headers.get("host"), settings=state.settings):
        metrics.rejected("bad_origin")
        return Close(CLOSE_BAD_ORIGIN, "origin not allowed")
    if not token:
        metrics.rejected("missing_token")
        return Close(CLOSE_BAD_TOKEN, "missing token")
    canonical = parse_session_id(session_id)
    session = None if canonical is None else await state.sessions.get(canonical)
    if session is None:
        metrics.rejected("unknown_session")
        return Close(CLOSE_UNKNOWN_SESSION, "unknown session")
    if not may_access(token, session, state.settings):
        metrics.rejected("bad_token")
        return Close(CLOSE_BAD_TOKEN, "bad token")
    return session


@router.websocket("/v1/sessions/{session_id}/stream", name="stream_frames")
async def stream_frames(websocket: WebSocket, session_id: str, token: str | None = None) -> None:
    """Stream batches; reply {"type": "ack"|"slow_down"|"prediction", ...}."""
    state: IngestState = websocket.app.state.ingest
    verdict = await admit(websocket, state, session_id, token)
    await websocket.accept()
    if isinstance(verdict, Close):
        log.info("stream refused session=%s code=%d (%s)", session_id[:64], *verdict)
        await websocket.close(verdict.code, verdict.reason)
        return
    log.info("stream opened session=%s model=%s", verdict.id, verdict.model)
    await FrameStream(websocket, state, verdict).serve()
    log.info("stream closed session=%s", verdict.id)


class FrameStream:
    """One accepted connection: its reader (this coroutine) and its writer task."""

    def __init__(self, websocket: WebSocket, state: IngestState, session: SessionRecord) -> None:
        self.websocket = websocket
        self.state = state
        self.session = session
        settings = state.settings
        self.outbox = Outbox(
            max_replies=settings.ingest_ws_send_queue,
            max_predictions=settings.ingest_ws_prediction_queue,
        )
        self.max_bytes = settings.ingest_max_body_bytes

    async def serve(self) -> None:
        """Read until the client leaves or a batch forces a close; then stop the writer."""
        self.state.hub.subscribe(self.session.id, self.outbox)
        metrics.WEBSOCKETS.inc()
        writer = asyncio.create_task(self.write_loop())
        try:
            try:
                closing = await self.read_loop()
            except Exception:
                log.exception("frame stream of session %s failed", self.session.id)
                self.outbox.close(CLOSE_INTERNAL, "internal error")
                closing = True
            if closing:
                # Let the writer flush the replies queued before the close frame.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(writer), CLOSE_DRAIN_TIMEOUT_S)
        finally:
            self.outbox.finish()
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            self.state.hub.unsubscribe(self.session.id, self.outbox)
            metrics.WEBSOCKETS.dec()

    async def read_loop(self) -> bool:
        """Handle messages in order; True when a close was queued, False when the client left."""
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return False
            raw = message.get("text")
            if raw is None:
                raw = message.get("bytes")
            if raw is None:
                continue
            close = await self.handle(raw)
            if close is not None:
                self.outbox.close(close.code, truncate_utf8(close.reason))
                return True
            if self.outbox.finished:
                return False

    async def handle(self, raw: str | bytes) -> Close | None:
        """Validate, publish and queue the reply for one message; a Close ends the stream."""
        if len(raw) > self.max_bytes:
            metrics.rejected("too_large")
            return Close(CLOSE_TOO_BIG, f"message over the limit of {self.max_bytes} bytes")
        try:
            accepted = validate_batch(raw)
        except BatchRejected as exc:
            metrics.rejected(exc.metric_reason)
            return Close(CLOSE_INVALID, exc.reason)
        monitor = self.state.backpressure
        if monitor.refusing:
            metrics.BACKPRESSURE.inc()
            metrics.rejected("backpressure")
            reply = {
                "type": "slow_down",
                "retry_after_ms": monitor.retry_after_ms,
                "seq": accepted.first_seq,
            }
            await self.outbox.put_reply(orjson.dumps(reply).decode())
            return None
        try:
            entry_id = await self.state.publisher.publish(session=self.session, body=accepted.body)
        except RedisError as exc:
            log.warning("publish failed for session %s: %s", self.session.id, exc)
            return Close(CLOSE_TRY_AGAIN, "frames stream unavailable; reconnect and resend")
        if log.isEnabledFor(logging.DEBUG):  # one line per batch: too many for INFO
            log.debug("batch accepted session=%s entry=%s %s", self.session.id, entry_id, accepted)
        metrics.WS_BATCHES.inc()
        metrics.WS_FRAMES.inc(accepted.count)
        ack = {"type": "ack", "seq": accepted.last_seq, "count": accepted.count}
        await self.outbox.put_reply(orjson.dumps(ack).decode())
        return None

    async def write_loop(self) -> None:
        """Send queued messages in order; after a close decision, send the close frame."""
        try:
            while (messages := await self.outbox.take()) is not None:
                for message in messages:
                    await self.websocket.send_text(message)
            if self.outbox.close_code is not None:
                await self.websocket.close(self.outbox.close_code, self.outbox.close_reason)
        except Exception as exc:  # the peer went away mid-send: nothing left to deliver
            log.debug("writer of session %s stopped: %s", self.session.id, exc)
        finally:
            self.outbox.finish()
