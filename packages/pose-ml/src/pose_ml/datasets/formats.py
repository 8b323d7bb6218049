"""Readers of outside keypoint CSVs into labelled sessions, ready to store like recorded ones.

- "yoga": the TF Lite pose-classification CSV: header `filename, NAME_x, NAME_y, NAME_score`
  x 17 (MoveNet order), `class_no, class_name`. One session per subject, the subject being
  the filename's first token ("chair/girl1_chair070.jpg" -> girl1).
- "mlkit": ML Kit's fitness_pose_samples.csv: no header, `image_name, class_name`, then x, y, z
  for 33 BlazePose landmarks in pixels, no score (every point gets score 1). Mapped to the 17
  COCO points. Rows are grouped so near-duplicate frames stay together: YouTube frames
  `frame__<video>__<n>.jpg` by video id, screenshots by time (a gap of more than
  `screenshot_gap_s` between consecutive screenshots starts a new group).

Both raise FormatError naming the line and the problem for a row they cannot read.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

import numpy as np

from pose_common.skeleton import BLAZEPOSE_TO_COCO17, KEYPOINT_NAMES, NUM_KEYPOINTS
from pose_ml.datasets.dataset import Dataset

_BLAZEPOSE_POINTS = 33
_MLKIT_COLUMNS = 2 + 3 * _BLAZEPOSE_POINTS
_VIDEO_FRAME = re.compile(r"^frame__(?P<video>.+)__(?P<frame>\d+)\.\w+$")
# Both spellings occur: "Screenshot_2021-02-11_at_14.20.51.png" and
# "Screenshot_2021-02-11 at 14.20.51.png".
_SCREENSHOT = re.compile(
    r"^Screenshot_(?P<date>\d{4}-\d{2}-\d{2})[_ ]at[_ ](?P<time>\d{2}\.\d{2}\.\d{2})"
)
_FPS = 30.0


class FormatError(ValueError):
    """A CSV row that cannot be read, with the file, line and reason."""


@dataclass(slots=True)
class ImportedSession:
    """One session's frames from an outside file: labels and (N, 17, 3) keypoints in pixels."""

    name: str
    subject: str
    source: str
    detector: str
    detector_version: str
    width: int
    height: int
    labels: list[str] = field(default_factory=list)
    keypoints: list[np.ndarray] = field(default_factory=list)
    frame_names: list[str] = field(default_factory=list)

    def add(self, *, label: str, points: np.ndarray, frame_name: str) -> None:
        self.labels.append(label)
        self.keypoints.append(points.astype(np.float32))
        self.frame_names.append(frame_name)

    def keypoint_array(self) -> np.ndarray:
        if not self.keypoints:
            return np.zeros((0, NUM_KEYPOINTS, 3), dtype=np.float32)
        return np.stack(self.keypoints)

    def times(self) -> np.ndarray:
        """Capture times for the frames: file order at 30 fps (the files record none)."""
        return np.arange(len(self.labels), dtype=np.float64) / _FPS


def _finite(values: Iterable[str], *, where: str) -> list[float]:
    try:
        out = [float(v) for v in values]
    except ValueError as exc:
        raise FormatError(f"{where}: {exc}") from None
    if not all(math.isfinite(v) for v in out):
        raise FormatError(f"{where}: a coordinate is not a finite number")
    return out


# The tutorial's files name guy1's chair images "guy_chair*.jpg" (he has no "guy1_chair"
# images, every other subject has all five poses): they are his, so the data has the five
# subjects its SOURCE.md lists.
YOGA_SUBJECT_ALIASES: dict[str, str] = {"guy": "guy1"}


def yoga_subject(filename: str) -> str:
    """ "chair/girl1_chair070.jpg" -> "girl1" ("guy_chair..." -> "guy1", see above)."""
    subject = PurePosixPath(filename).name.split("_", 1)[0]
    return YOGA_SUBJECT_ALIASES.get(subject, subject)


def read_yoga_csv(path: Path, *, width: int = 300, height: int = 300) -> list[ImportedSession]:
    """Sessions by subject from a yoga keypoint CSV (see the module docstring)."""
    path = Path(path)
    expected = [f"{name.upper()}_{axis}" for name in KEYPOINT_NAMES for axis in ("x", "y", "score")]
    sessions: dict[str, ImportedSession] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise FormatError(f"{path}: the file is empty")
        missing = [c for c in ["filename", *expected, "class_name"] if c not in header]
        if missing:
            raise FormatError(f"{path}: not a yoga keypoint CSV, missing columns {missing[:5]}")
        columns = [header.index(c) for c in expected]
        name_col, label_col = header.index("filename"), header.index("class_name")
        for line, row in enumerate(reader, start=2):
            where = f"{path.name} line {line}"
            if len(row) != len(header):
                raise FormatError(f"{where}: {len(row)} fields, the header has {len(header)}")
            values = _finite((row[c] for c in columns), where=where)
            points = np.asarray(values, dtype=np.float32).reshape(NUM_KEYPOINTS, 3)
            if not np.all((points[:, 2] >= 0) & (points[:, 2] <= 1)):
                raise FormatError(f"{where}: a score is outside [0, 1]")
            label = row[label_col].strip()
            if not label:
                raise FormatError(f"{where}: the class_name is empty")
            subject = yoga_subject(row[name_col])
            session = sessions.get(subject)
            if session is None:
                session = sessions[subject] = ImportedSession(
                    name=f"{path.stem} {subject}",
                    subject=subject,
                    source=f"import:yoga:{path.name}",
                    detector="movenet-thunder",
                    detector_version="tflite-tutorial",
                    width=width,
                    height=height,
                )
            session.add(label=label, points=points, frame_name=row[name_col])
    if not sessions:
        raise FormatError(f"{path}: no rows")
    return [sessions[s] for s in sorted(sessions)]


def _screenshot_time(name: str) -> datetime | None:
    match = _SCREENSHOT.match(name)
    if match is None:
        return None
    return datetime.strptime(f"{match['date']} {match['time']}", "%Y-%m-%d %H.%M.%S")


def mlkit_groups(names: list[str], *, screenshot_gap_s: float = 120.0) -> list[str]:
    """The group of each image: its video id, or its run of screenshots close in time."""
    groups = [""] * len(names)
    shots: list[tuple[datetime, int]] = []
    for i, name in enumerate(names):
        video = _VIDEO_FRAME.match(name)
        stamp = _screenshot_time(name)
        if video is not None:
            groups[i] = f"video-{video['video']}"
        elif stamp is not None:
            shots.append((stamp, i))
        else:
            groups[i] = f"image-{PurePosixPath(name).stem}"
    previous: datetime | None = None
    current = ""
    for stamp, i in sorted(shots):
        if previous is None or (stamp - previous).total_seconds() > screenshot_gap_s:
            current = f"screens-{stamp:%Y%m%d-%H%M%S}"
        groups[i] = current
        previous = stamp
    return groups


def read_mlkit_csv(path: Path, *, screenshot_gap_s: float = 120.0) -> list[ImportedSession]:
    """Sessions by video (or screenshot run) from ML Kit's 33-landmark CSV."""
    path = Path(path)
    rows: list[tuple[str, str, np.ndarray]] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.reader(handle), start=1):
            where = f"{path.name} line {line}"
            if not row:
                continue
            if len(row) != _MLKIT_COLUMNS:
                raise FormatError(
                    f"{where}: {len(row)} fields; a 33-landmark row has {_MLKIT_COLUMNS} "
                    "(image_name, class_name, x, y, z x 33)"
                )
            values = np.asarray(_finite(row[2:], where=where), dtype=np.float32)
            landmarks = values.reshape(_BLAZEPOSE_POINTS, 3)[list(BLAZEPOSE_TO_COCO17), :2]
            points = np.concatenate([landmarks, np.ones((NUM_KEYPOINTS, 1), np.float32)], axis=1)
            label = row[1].strip()
            if not label:
                raise FormatError(f"{where}: the class_name is empty")
            rows.append((row[0].strip(), label, points))
    if not rows:
        raise FormatError(f"{path}: no rows")
    groups = mlkit_groups([name for name, _, _ in rows], screenshot_gap_s=screenshot_gap_s)
    sessions: dict[str, ImportedSession] = {}
    for (name, label, points), group in zip(rows, groups, strict=True):
        session = sessions.get(group)
        if session is None:
            session = sessions[group] = ImportedSession(
                name=f"{path.stem} {group}",
                subject=group,
                source=f"import:mlkit:{path.name}",
                detector="blazepose",
                detector_version="mlkit",
                width=0,
                height=0,
            )
        session.add(label=label, points=points, frame_name=name)
    for session in sessions.values():
        # The images' sizes are not recorded: the smallest frame holding every point.
        extent = session.keypoint_array()[:, :, :2].max(axis=(0, 1))
        session.width, session.height = (max(1, math.ceil(float(v)) + 1) for v in extent)
    return [sessions[g] for g in sorted(sessions)]


READERS: dict[str, Callable[[Path], list[ImportedSession]]] = {
    "yoga": read_yoga_csv,
    "mlkit": read_mlkit_csv,
}


def read_sessions(path: Path, *, format: str) -> list[ImportedSession]:
    """Sessions from a file in one of READERS' formats."""
    reader = READERS.get(format)
    if reader is None:
        raise FormatError(f"unknown import format {format!r}; known: {sorted(READERS)}")
    if not Path(path).is_file():
        raise FormatError(f"{path}: no such file")
    return reader(Path(path))


def sessions_to_dataset(sessions: Sequence[ImportedSession]) -> Dataset:
    """The frames of imported sessions as a Dataset (group = subject), without a database."""
    if not sessions:
        return Dataset.empty()
    points = np.concatenate([s.keypoint_array() for s in sessions])
    labels = [label for s in sessions for label in s.labels]
    groups = [s.subject for s in sessions for _ in s.labels]
    names = [s.name for s in sessions for _ in s.labels]
    seqs = [seq for s in sessions for seq in range(len(s.labels))]
    return Dataset(points, labels, groups, names, seqs)
