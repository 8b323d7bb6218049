"""Prometheus metrics of the ingest service (one registry per process; scraped at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

FRAMES = Counter("pose_ingest_frames_total", "Frames accepted and published", ["transport"])
BATCHES = Counter("pose_ingest_batches_total", "Batches accepted and published", ["transport"])
REJECTED = Counter(
    "pose_ingest_rejected_total", "Batches or connections refused, by reason", ["reason"]
)
BACKPRESSURE = Counter(
    "pose_ingest_backpressure_total", "Batches refused because the frames stream is behind"
)
STREAM_BACKLOG = Gauge(
    "pose_ingest_stream_backlog_entries",
    "Largest pending + lag of any consumer group on the frames stream, as last sampled",
)
WEBSOCKETS = Gauge("pose_ingest_websocket_connections", "Open frame WebSocket connections")
REQUEST_SECONDS = Histogram(
    "pose_ingest_request_seconds",
    "Time to handle one HTTP frame batch POST",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
PREDICTIONS_RELAYED = Counter(
    "pose_ingest_predictions_relayed_total", "Predictions queued to a connected WebSocket"
)
PREDICTIONS_DROPPED = Counter(
    "pose_ingest_predictions_dropped_total",
    "Predictions dropped (oldest first) because a client read too slowly",
)
SESSIONS_CREATED = Counter("pose_ingest_sessions_created_total", "Capture sessions created")

# Children resolved once: label lookup on every batch is measurable at 100k frames/s.
HTTP_FRAMES = FRAMES.labels(transport="http")
WS_FRAMES = FRAMES.labels(transport="websocket")
HTTP_BATCHES = BATCHES.labels(transport="http")
WS_BATCHES = BATCHES.labels(transport="websocket")


def rejected(reason: str) -> None:
    """Count one refusal under a short machine-readable reason."""
    REJECTED.labels(reason=reason).inc()
