"""Hand a running job back when the worker is asked to stop.

Celery's warm shutdown waits for the task in hand, which for a training run can be an hour;
with Redis a task of a worker killed meanwhile comes back only after the visibility timeout.
So on shutdown the running job stops at its next progress report (JobInterrupted), its row
goes back to "queued", and the task is rejected with requeue: another worker starts it now.
"""

from __future__ import annotations

import threading

_stopping = threading.Event()


class JobInterrupted(Exception):
    """The worker is shutting down: the job goes back to the queue."""


def request_stop() -> None:
    _stopping.set()


def stopping() -> bool:
    return _stopping.is_set()


def reset() -> None:
    _stopping.clear()
