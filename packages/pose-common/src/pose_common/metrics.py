"""Metrics shared by every service, and a helper to serve /metrics from a worker."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, start_http_server

RECLAIMED = Counter(
    "pose_stream_reclaimed_entries_total",
    "Stream entries reclaimed from idle consumers",
    ["service", "stream"],
)
DEAD_LETTERED = Counter(
    "pose_stream_dead_lettered_entries_total",
    "Stream entries moved to the dead-letter stream",
    ["service", "stream"],
)
HANDLER_ERRORS = Counter(
    "pose_stream_handler_errors_total",
    "Batches whose handler raised (retried entry by entry)",
    ["service", "stream"],
)
UP = Gauge("pose_service_up", "1 while the service loop runs", ["service"])


def serve_metrics(port: int) -> None:
    """Expose /metrics on a background thread (workers have no HTTP app of their own)."""
    if port > 0:
        start_http_server(port)
