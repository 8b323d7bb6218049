"""Metric names the monitoring files may use, and the PromQL helpers that find them."""

from __future__ import annotations

import importlib
import re

import promql_parser
from prometheus_client import REGISTRY

# What the services export (their metrics.py modules and pose_common.metrics).
POSE_METRICS = frozenset(
    {
        "pose_ingest_frames_total",
        "pose_ingest_rejected_total",
        "pose_ingest_backpressure_total",
        "pose_ingest_websocket_connections",
        "pose_ingest_request_seconds_bucket",
        "pose_inference_frames_total",
        "pose_inference_batch_seconds_bucket",
        "pose_inference_model_version",
        "pose_inference_window_gaps_total",
        "pose_exporter_frames_written_total",
        "pose_exporter_batch_seconds_bucket",
        "pose_stream_dead_lettered_entries_total",
        "pose_stream_reclaimed_entries_total",
        "pose_service_up",
        "pose_trainer_jobs_total",
        "pose_trainer_running_jobs",
        "pose_trainer_evaluation_accuracy",
        "pose_trainer_promotions_total",
        "pose_trainer_epochs_total",
        "pose_trainer_job_seconds_bucket",
    }
)
# redis_exporter (with --check-single-streams) and Prometheus' own per-target series.
REDIS_EXPORTER_METRICS = frozenset(
    {
        "redis_up",
        "redis_stream_length",
        "redis_stream_group_lag",
        "redis_stream_group_messages_pending",
        "redis_stream_group_consumers",
        "redis_memory_used_bytes",
        "redis_connected_clients",
    }
)
PROMETHEUS_METRICS = frozenset({"up"})
KNOWN_METRICS = POSE_METRICS | REDIS_EXPORTER_METRICS | PROMETHEUS_METRICS

# Grafana's built-in variables, replaced by a duration so the query parses as plain PromQL.
GRAFANA_VARIABLES = re.compile(r"\$__(rate_interval|interval|range)|\$\{__[a-z_]+\}")


def metric_names(expr: str) -> set[str]:
    """Every metric a PromQL expression reads (raises ValueError when it does not parse)."""
    names: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
            for matcher in node.matchers.matchers:
                if matcher.name == "__name__":
                    names.add(matcher.value)

    promql_parser.walk(promql_parser.parse(GRAFANA_VARIABLES.sub("5m", expr)), visit)
    return names


def exported_series_names(modules: list[str]) -> set[str]:
    """The series names the given metrics modules register (counter x -> x_total, ...)."""
    for module in modules:
        importlib.import_module(module)
    suffixes = {
        "counter": ("_total",),
        "histogram": ("_bucket", "_sum", "_count"),
        "summary": ("_sum", "_count"),
        "gauge": ("",),
        "info": ("_info",),
    }
    names: set[str] = set()
    for family in REGISTRY.collect():
        names.update(family.name + s for s in suffixes.get(family.type, ("",)))
    return names
