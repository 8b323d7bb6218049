"""Prometheus metrics of the exporter (served on POSE_METRICS_PORT by the worker)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

FRAMES_WRITTEN = Counter("pose_exporter_frames_written_total", "Frames stored in PostgreSQL")
FRAMES_DUPLICATE = Counter(
    "pose_exporter_frames_duplicate_total", "Frames delivered again but already stored"
)
PREDICTIONS_WRITTEN = Counter(
    "pose_exporter_predictions_written_total", "Predictions stored in PostgreSQL"
)
PREDICTIONS_DUPLICATE = Counter(
    "pose_exporter_predictions_duplicate_total", "Predictions delivered again but already stored"
)
BATCH_SECONDS = Histogram(
    "pose_exporter_batch_seconds",
    "Time to store one batch of stream entries (one transaction)",
    ["stream"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
DUMPS = Counter("pose_exporter_dumps_total", "CSV + JSON dump pairs written", ["kind"])
DUMP_ERRORS = Counter("pose_exporter_dump_errors_total", "Dumps that failed (retried next round)")

# Children resolved once: a label lookup per batch is wasted work on the hot path.
FRAMES_BATCH_SECONDS = BATCH_SECONDS.labels(stream="frames")
PREDICTIONS_BATCH_SECONDS = BATCH_SECONDS.labels(stream="predictions")
SESSION_DUMPS = DUMPS.labels(kind="session")
DAILY_DUMPS = DUMPS.labels(kind="daily")
