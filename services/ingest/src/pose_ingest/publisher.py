"""Publish accepted batches: one frames-stream entry per batch, the validated body as is."""

from __future__ import annotations

import redis.asyncio as aioredis

from pose_common.codec import encode_frames
from pose_ingest.session_store import SessionRecord


class FramePublisher:
    """XADD to the frames stream; never trims it (the stream is bounded by backpressure)."""

    def __init__(self, client: aioredis.Redis, *, stream: str) -> None:
        self._client = client
        self._stream = stream

    async def publish(self, *, session: SessionRecord, body: bytes) -> str:
        """Append one batch; returns the stream entry id."""
        fields = encode_frames(session=session.id, model=session.model, body=body)
        entry_id = await self._client.xadd(self._stream, fields)  # type: ignore[arg-type]
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
