"""Readers of the yoga and ML Kit keypoint CSVs, on the real shared files and broken ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pose_common.skeleton import BLAZEPOSE_TO_COCO17
from pose_ml.datasets.formats import (
    FormatError,
    mlkit_groups,
    read_mlkit_csv,
    read_sessions,
    read_yoga_csv,
    sessions_to_dataset,
    yoga_subject,
)
from tests.conftest import FITNESS_CSV, YOGA_CSV, shared_path


def test_yoga_csv_gives_five_subjects_with_every_row() -> None:
    sessions = read_yoga_csv(shared_path(*YOGA_CSV))
    assert [s.subject for s in sessions] == ["girl1", "girl2", "girl3", "guy1", "guy2"]
    assert sum(len(s.labels) for s in sessions) == 734  # SOURCE.md's row count
    data = sessions_to_dataset(sessions)
    assert data.label_counts() == {
        "chair": 167,
        "cobra": 113,
        "dog": 139,
        "tree": 238,
        "warrior": 77,
    }
    assert data.keypoints.shape == (734, 17, 3)
    assert (data.keypoints[:, :, 2] > 0).all() and (data.keypoints[:, :, 2] <= 1).all()
    first = sessions[0]
    assert first.frame_names[0] == "chair/girl1_chair070.jpg"
    np.testing.assert_allclose(first.keypoints[0][0], [158.0, 91.0, 0.48621434], rtol=1e-6)


def test_yoga_subject_names() -> None:
    assert yoga_subject("chair/girl1_chair070.jpg") == "girl1"
    assert yoga_subject("chair/guy_chair072.jpg") == "guy1"  # the tutorial's naming of guy1


def test_mlkit_csv_maps_33_landmarks_to_17_and_groups_by_video() -> None:
    path = shared_path(*FITNESS_CSV)
    sessions = read_mlkit_csv(path)
    data = sessions_to_dataset(sessions)
    assert len(data) == 812
    assert data.label_counts() == {
        "pushups_down": 195,
        "pushups_up": 201,
        "squats_down": 225,
        "squats_up": 191,
    }
    row = path.read_text().splitlines()[0].split(",")
    landmarks = np.array(row[2:], dtype=np.float32).reshape(33, 3)
    name = row[0]
    session = next(s for s in sessions if name in s.frame_names)
    points = session.keypoints[session.frame_names.index(name)]
    np.testing.assert_allclose(points[:, :2], landmarks[list(BLAZEPOSE_TO_COCO17), :2])
    assert (points[:, 2] == 1.0).all()
    videos = {s.subject for s in sessions if s.subject.startswith("video-")}
    assert len(videos) == 285  # SOURCE.md: 285 distinct video ids
    # Every other row is a screenshot, in either spelling: none is left a group of its own.
    assert all(s.subject.startswith(("video-", "screens-")) for s in sessions)


def test_screenshots_close_in_time_share_a_group() -> None:
    names = [
        "Screenshot_2021-02-11_at_12.43.07.png",
        "Screenshot_2021-02-11_at_12.43.50.png",
        "Screenshot_2021-02-11_at_12.50.00.png",
        "frame__abc__12.jpg",
        "frame__abc__40.jpg",
        "odd.png",
        "Screenshot_2021-02-11 at 12.44.30.png",  # the other spelling, in the first run
    ]
    groups = mlkit_groups(names, screenshot_gap_s=120)
    assert groups[0] == groups[1] == groups[6] != groups[2]
    assert groups[3] == groups[4] == "video-abc"
    assert groups[5] == "image-odd"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "the file is empty"),
        ("a,b,c\n", "missing columns"),
        ("HEADER\nx,1\n", "line 2: 2 fields"),
    ],
)
def test_broken_yoga_files_name_the_problem(tmp_path: Path, content: str, reason: str) -> None:
    header = shared_path(*YOGA_CSV).read_text().splitlines()[0]
    path = tmp_path / "bad.csv"
    path.write_text(content.replace("HEADER", header))
    with pytest.raises(FormatError, match=reason):
        read_yoga_csv(path)


def test_bad_values_and_formats_are_refused(tmp_path: Path) -> None:
    lines = shared_path(*YOGA_CSV).read_text().splitlines()
    path = tmp_path / "nan.csv"
    path.write_text(lines[0] + "\n" + lines[1].replace("158.0", "nan", 1) + "\n")
    with pytest.raises(FormatError, match="line 2: a coordinate is not a finite number"):
        read_yoga_csv(path)
    path.write_text(lines[0] + "\n" + lines[1].replace("0.48621434", "1.5", 1) + "\n")
    with pytest.raises(FormatError, match="line 2: a score is outside"):
        read_yoga_csv(path)
    with pytest.raises(FormatError, match="unknown import format 'parquet'"):
        read_sessions(path, format="parquet")
    with pytest.raises(FormatError, match="no such file"):
        read_sessions(tmp_path / "missing.csv", format="yoga")
