"""A labelled set of frames as aligned numpy arrays, with the group each frame belongs to."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pose_common.skeleton import NUM_KEYPOINTS


@dataclass(frozen=True, slots=True)
class Dataset:
    """N frames: keypoints (N, 17, 3), labels, groups (subject or session), session, seq, person.

    Splits group by `groups` (never random rows: consecutive frames are near-duplicates).
    """

    keypoints: np.ndarray
    labels: np.ndarray
    groups: np.ndarray
    sessions: np.ndarray
    seqs: np.ndarray
    persons: np.ndarray | None = None

    def __post_init__(self) -> None:
        points = np.asarray(self.keypoints, dtype=np.float32)
        if points.ndim != 3 or points.shape[1:] != (NUM_KEYPOINTS, 3):
            raise ValueError(f"keypoints must be (N, {NUM_KEYPOINTS}, 3), got {points.shape}")
        object.__setattr__(self, "keypoints", points)
        for name in ("labels", "groups", "sessions"):
            object.__setattr__(self, name, np.asarray(getattr(self, name)).astype(str))
        object.__setattr__(self, "seqs", np.asarray(self.seqs, dtype=np.int64))
        persons = np.zeros(len(points), np.int64) if self.persons is None else self.persons
        object.__setattr__(self, "persons", np.asarray(persons, dtype=np.int64))
        for name in ("labels", "groups", "sessions", "seqs", "persons"):
            if len(getattr(self, name)) != len(points):
                raise ValueError(
                    f"{name} has {len(getattr(self, name))} rows, keypoints {len(points)}"
                )

    @classmethod
    def empty(cls) -> Dataset:
        return cls(np.zeros((0, NUM_KEYPOINTS, 3), np.float32), [], [], [], [])

    def __len__(self) -> int:
        return len(self.labels)

    def select(self, rows: np.ndarray) -> Dataset:
        """The frames at these indices (or where this mask is true), in that order."""
        return Dataset(
            self.keypoints[rows],
            self.labels[rows],
            self.groups[rows],
            self.sessions[rows],
            self.seqs[rows],
            self.persons[rows],  # type: ignore[index]
        )

    def label_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(self.labels.tolist()).items()))

    def label_names(self) -> list[str]:
        return sorted(set(self.labels.tolist()))

    def group_names(self) -> list[str]:
        return sorted(set(self.groups.tolist()))

    def fingerprint(self) -> str:
        """sha256 over every array: two datasets with the same fingerprint hold the same data."""
        digest = hashlib.sha256()
        digest.update(np.ascontiguousarray(self.keypoints).tobytes())
        for values in (self.labels, self.groups, self.sessions):
            digest.update("\x1f".join(values.tolist()).encode())
        digest.update(self.seqs.tobytes())
        digest.update(self.persons.tobytes())  # type: ignore[union-attr]
        return digest.hexdigest()

    def summary(self) -> dict[str, Any]:
        """What a manifest records about the data a model saw."""
        return {
            "frames": len(self),
            "labels": self.label_counts(),
            "groups": {g: int(n) for g, n in sorted(Counter(self.groups.tolist()).items())},
            "sessions": len(set(self.sessions.tolist())),
            "fingerprint": self.fingerprint(),
        }

    def save(self, path: Path) -> None:
        """Write as a compressed .npz (the evaluation split kept beside a model version)."""
        np.savez_compressed(
            path,
            keypoints=self.keypoints,
            labels=self.labels,
            groups=self.groups,
            sessions=self.sessions,
            seqs=self.seqs,
            persons=self.persons,
        )

    @classmethod
    def load(cls, path: Path) -> Dataset:
        with np.load(path, allow_pickle=False) as data:
            persons = data.get("persons", None)
            return cls(
                data["keypoints"],
                data["labels"],
                data["groups"],
                data["sessions"],
                data["seqs"],
                persons,
            )
