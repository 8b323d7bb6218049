"""Prometheus metrics of the trainer workers (served on POSE_METRICS_PORT)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

JOBS = Counter("pose_trainer_jobs_total", "Jobs finished, by kind and outcome", ["kind", "status"])
JOB_SECONDS = Histogram(
    "pose_trainer_job_seconds",
    "Wall time of finished jobs",
    ["kind"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200),
)
RUNNING = Gauge("pose_trainer_running_jobs", "Jobs running in this process")
EPOCHS = Counter("pose_trainer_epochs_total", "Training epochs completed", ["model"])
PROMOTIONS = Counter(
    "pose_trainer_promotions_total",
    "Promotion decisions: promoted, refused, forced, rolled_back",
    ["model", "result"],
)
EVALUATION_ACCURACY = Gauge(
    "pose_trainer_evaluation_accuracy",
    "Accuracy of the newest version on its evaluation split",
    ["model"],
)
