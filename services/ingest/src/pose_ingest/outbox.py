"""What one WebSocket has still to send, so one slow client stalls only itself.

Replies (acks, slow_down) keep their order and are never dropped: when a client reads them
too slowly its reader waits for room, which stops reading its socket.  Predictions are
best effort: past the bound the oldest is dropped, since a stale prediction is worthless.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Outbox:
    """Bounded send queue of one connection, drained by its writer task."""

    def __init__(self, *, max_replies: int, max_predictions: int) -> None:
        self._replies: deque[str] = deque()
        self._predictions: deque[str] = deque(maxlen=max_predictions)
        self._max_replies = max_replies
        self._ready = asyncio.Event()
        self._room = asyncio.Event()
        self._closing = False
        self._finished = False
        self.close_code: int | None = None
        self.close_reason = ""

    @property
    def finished(self) -> bool:
        return self._finished

    async def put_reply(self, message: str) -> bool:
        """Queue a reply, waiting for room; False when the connection is gone."""
        while len(self._replies) >= self._max_replies and not self._finished:
            self._room.clear()
            await self._room.wait()
        if self._finished or self._closing:
            return False
        self._replies.append(message)
        self._ready.set()
        return True

    def offer_prediction(self, message: str) -> bool:
        """Queue a prediction without waiting; False when that pushed out an older one."""
        if self._finished or self._closing:
            return True
        dropped = len(self._predictions) == self._predictions.maxlen
        self._predictions.append(message)
        self._ready.set()
        return not dropped

    def close(self, code: int, reason: str) -> None:
        """Send what is queued, then close the socket with this code."""
        self.close_code, self.close_reason = code, reason
        self._closing = True
        self._ready.set()

    def finish(self) -> None:
        """The socket is gone: wake everyone waiting, send nothing more."""
        self._finished = True
        self._room.set()
        self._ready.set()

    async def take(self) -> list[str] | None:
        """Everything queued now, replies first; None once closing (or gone) and drained."""
        while True:
            if self._finished:
                return None
            if self._replies or self._predictions:
                messages = [*self._replies, *self._predictions]
                self._replies.clear()
                self._predictions.clear()
                self._room.set()
                return messages
            if self._closing:
                return None
            self._ready.clear()
            await self._ready.wait()
