"""Exercise definitions: the shipped file, clear errors for bad configs, new ones by config."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pose_ml.analysis.angles import compute_angles
from pose_ml.analysis.exercises import (
    default_exercises,
    exercise_signal,
    load_exercises,
    parse_exercises,
)
from pose_ml.analysis.reps import count_reps
from pose_ml.analysis.signals import compute_signal, parse_signal
from pose_ml.analysis.synthetic import synthetic_recording

SHIPPED = ("squat", "push_up", "bicep_curl", "lunge", "jumping_jack")


def test_the_shipped_file_defines_the_five_exercises() -> None:
    exercises = default_exercises()
    assert tuple(exercises) == SHIPPED
    squat = exercises["squat"]
    assert squat.falling and squat.rest == 150 and squat.depth == 115
    assert squat.signal.to_dict() == {"angle": "knee", "combine": "mean"}
    assert not exercises["jumping_jack"].falling
    assert exercises["jumping_jack"].signal.unit == "torso"


def _document(**overrides: object) -> dict:
    squat = {"signal": {"angle": "knee"}, "rest": 150, "depth": 110}
    squat.update(overrides)
    return {"version": 1, "exercises": {"squat": squat}}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"exercises": {}}, "version: 1"),
        ({"version": 1, "exercises": {}}, "non-empty"),
        (_document(rest=110), "must differ"),
        (_document(depth="low"), "depth must be a finite number"),
        (_document(colour="red"), "unknown keys"),
        (_document(signal={"angle": "ankle"}), "unknown angle 'ankle'"),
        (_document(signal={"position": "wrist"}), "needs relative_to"),
        (_document(signal={"position": "hand", "relative_to": "hip"}), "unknown keypoint 'hand'"),
        (_document(signal={"distance": ["left_ankle"]}), "two keypoints"),
        (_document(signal={"angle": "knee", "combine": "median"}), "combine must be"),
        (_document(signal={"angle": "knee", "position": "wrist"}), "exactly one of"),
        (_document(signal={"angle": "knee", "axis": "y"}), "belong to a position"),
        (_document(signal={"position": "wrist", "relative_to": "hip", "axis": "z"}), "axis must"),
        (_document(min_duration_s=-1), "min_duration_s must be >= 0"),
        (_document(when=[{"max": 3}]), "a guard is"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_a_bad_definition_fails_with_a_clear_reason(document: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_exercises(document)


def test_a_new_exercise_is_added_by_config_alone(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "version: 1\n"
        "exercises:\n"
        "  arm_raise:\n"
        "    title: Arm raise\n"
        "    signal: {position: wrist, relative_to: shoulder, axis: y, combine: max}\n"
        "    rest: -0.3\n"
        "    depth: 0.5\n"
        "    min_duration_s: 0.3\n"
    )
    exercises = load_exercises(extra_files=[extra])
    assert tuple(exercises) == (*SHIPPED, "arm_raise")
    times, keypoints = synthetic_recording("jumping_jack", reps=4)
    angles = compute_angles(keypoints)
    values, guarded = exercise_signal(
        exercises["arm_raise"], angles=angles, keypoints=keypoints, min_score=0.3
    )
    reps, _partial = count_reps(exercises["arm_raise"], times, values, guarded)
    assert len(reps) == 4


def test_a_broken_extra_file_names_itself(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nexercises: {squat: {rest: 1}}\n")
    with pytest.raises(ValueError, match=r"broken\.yaml"):
        load_exercises(extra_files=[broken])


def test_position_and_distance_signals_are_in_torso_lengths_with_up_positive() -> None:
    pose = np.tile([0.0, 0.0, 0.9], (17, 1))
    pose[[5, 6], :2] = [[90, 100], [110, 100]]  # shoulders; torso = 100 px
    pose[[11, 12], :2] = [[90, 200], [110, 200]]  # hips
    pose[9, :2], pose[10, :2] = [90, 50], [110, 150]  # left wrist up, right wrist down
    pose[15, :2], pose[16, :2] = [0, 400], [60, 480]  # ankles 100 px apart
    angles = compute_angles(pose[None])
    signal = parse_signal({"position": "wrist", "relative_to": "shoulder", "axis": "y"})
    value = compute_signal(signal, angles=angles, keypoints=pose[None], min_score=0.3)[0]
    assert value == pytest.approx(0.0)  # mean of +0.5 and -0.5
    for combine, expected in (("max", 0.5), ("min", -0.5), ("left", 0.5), ("right", -0.5)):
        spec = parse_signal({"position": "wrist", "relative_to": "shoulder", "combine": combine})
        got = compute_signal(spec, angles=angles, keypoints=pose[None], min_score=0.3)[0]
        assert got == pytest.approx(expected)
    spread = parse_signal({"distance": ["left_ankle", "right_ankle"]})
    got = compute_signal(spread, angles=angles, keypoints=pose[None], min_score=0.3)[0]
    assert got == pytest.approx(1.0)
    pose[10, 2] = 0.0  # right wrist unseen: the mean is the left side alone
    got = compute_signal(signal, angles=angles, keypoints=pose[None], min_score=0.3)[0]
    assert got == pytest.approx(0.5)
