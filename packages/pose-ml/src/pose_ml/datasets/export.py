"""A dataset to a file: CSV (one row per frame, NAME_x/NAME_y/NAME_score columns) or JSON."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Literal

from pose_common.skeleton import keypoint_columns
from pose_ml.datasets.dataset import Dataset

META_COLUMNS = ("session", "group", "seq", "label")


def write_dataset(dataset: Dataset, path: Path, *, format: Literal["csv", "json"]) -> None:
    """Write every frame (written to a temp file, then renamed into place)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    rows = zip(
        dataset.sessions.tolist(),
        dataset.groups.tolist(),
        dataset.seqs.tolist(),
        dataset.labels.tolist(),
        dataset.keypoints.tolist(),
        strict=True,
    )
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        if format == "csv":
            writer = csv.writer(handle)
            writer.writerow([*META_COLUMNS, *keypoint_columns()])
            for session, group, seq, label, points in rows:
                flat = [round(v, 4) for point in points for v in point]
                writer.writerow([session, group, seq, label, *flat])
        elif format == "json":
            records = [
                {
                    "session": session,
                    "group": group,
                    "seq": seq,
                    "label": label,
                    "keypoints": [[round(v, 4) for v in point] for point in points],
                }
                for session, group, seq, label, points in rows
            ]
            json.dump({"frames": records, "labels": dataset.label_counts()}, handle)
        else:
            raise ValueError(f"unknown export format {format!r}; use csv or json")
    tmp.replace(path)
