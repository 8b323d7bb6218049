"""Fail-fast checks of a training request's data, before any worker time is spent.

Run by the admin API (so a bad request is a 400 at once), by the CLI and again by the worker
(so a job queued by any other client fails in seconds with the same message).
"""

from __future__ import annotations

from typing import Any

import psycopg

from pose_ml.datasets.store import DatasetQuery, known_labels, label_counts
from pose_ml.experiments import ExperimentConfig, parse_config

MIN_FRAMES_PER_LABEL = 1


class DatasetError(ValueError):
    """The data a request selects cannot train a classifier; the message says why."""


def with_dataset_overrides(
    config: ExperimentConfig, overrides: dict[str, Any] | None
) -> ExperimentConfig:
    """The config with some dataset fields replaced (labels, sessions, since, ...)."""
    if not overrides:
        return config
    data = config.to_dict()
    data["dataset"] = {**data["dataset"], **overrides}
    return parse_config(data)


def check_dataset(conn: psycopg.Connection, query: DatasetQuery) -> dict[str, int]:
    """Frames per label the query selects; DatasetError when they cannot train a model."""
    if query.labels is not None:
        known = set(known_labels(conn))
        unknown = sorted(set(query.labels) - known)
        if unknown:
            raise DatasetError(
                f"unknown label(s) {unknown}: no stored frame carries them; "
                f"known labels: {sorted(known) or 'none (import or record labelled frames)'}"
            )
    counts = label_counts(conn, query)
    if not counts:
        raise DatasetError(
            "the dataset is empty: no labelled frame matches "
            + (query.model_dump_json(exclude_defaults=True) or "{}")
        )
    if query.labels is not None:
        missing = sorted(
            label for label in query.labels if counts.get(label, 0) < MIN_FRAMES_PER_LABEL
        )
        if missing:
            raise DatasetError(f"label(s) {missing} have no frames in the selected data")
    if len(counts) < 2:
        raise DatasetError(
            f"a classifier needs at least 2 labels; the data has only {sorted(counts)}"
        )
    return counts
