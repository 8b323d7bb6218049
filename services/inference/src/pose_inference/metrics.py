"""Metrics of the inference worker (served on POSE_METRICS_PORT)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

FRAMES = Counter(
    "pose_inference_frames_total",
    "Frames classified, by model name and the version that classified them",
    ["model", "version"],
)
FRAMES_UNCLASSIFIED = Counter(
    "pose_inference_frames_unclassified_total",
    "Frames acknowledged without a prediction because their model has no production version",
    ["model"],
)
BATCH_SECONDS = Histogram(
    "pose_inference_batch_seconds",
    "Time to handle one batch of stream entries (decode, classify, publish)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
LATENCY_SECONDS = Histogram(
    "pose_inference_latency_seconds",
    "Time from ingest to the prediction being published, per stream entry",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0),
)
WINDOW_GAPS = Counter(
    "pose_inference_window_gaps_total",
    "Temporal models: a person's frames whose window lacked the frame just before them (a new "
    "version, an expired or trimmed history, a gap in the session, or consumers racing)",
    ["model"],
)
MODEL_VERSION = Gauge(
    "pose_inference_model_version",
    "Version of each model being served (0 while none is published)",
    ["model"],
)
MODEL_LOAD_ERRORS = Counter(
    "pose_inference_model_load_errors_total",
    "Model versions that failed to load (the previous version keeps serving)",
    ["model"],
)
