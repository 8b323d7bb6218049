"""Graceful stop on SIGTERM/SIGINT: ask the loop to finish its batch, then exit."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from types import FrameType

log = logging.getLogger(__name__)


def on_termination(stop: Callable[[], None]) -> None:
    """Call stop() on the first SIGTERM or SIGINT; a second one exits at once."""
    state = {"asked": False}

    def handle(signum: int, _frame: FrameType | None) -> None:
        if state["asked"]:
            raise SystemExit(128 + signum)
        state["asked"] = True
        log.info("signal %s: finishing the batch in hand, then exiting", signum)
        stop()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
