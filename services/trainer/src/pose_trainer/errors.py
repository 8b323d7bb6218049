"""Failures a client caused (bad config, unknown label, empty dataset, unknown version).

Raised before any heavy work where possible. Celery carries the class name to the caller,
which answers 400 with the message (ingest's admin API) or prints it (the CLI).
"""


class BadRequest(ValueError):
    """A request that can never succeed as given; the message says what to change."""


class PromotionRefused(RuntimeError):
    """A candidate that does not beat production on the same evaluation split."""


class QueueUnavailable(RuntimeError):
    """The broker (Redis) could not take a task: the job row stays queued, nothing runs it."""
