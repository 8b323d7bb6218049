"""Acceptance 2 and 3: the squats in ../shared/media/pose_squats.full.json, clean and jittered.

What the clip shows (pose_squats.mp4: 65 frames at 5 fps, 13 s, a woman squatting, seen from
the front): the knee angle (mean of left and right, after One Euro smoothing) starts at
~175 degrees standing, and has three clear minima -- ~100 at frame 10 (2.0 s), ~92 at frame 34
(6.8 s) and ~91 at frame 59 (11.8 s) -- with standing (~175) between them.  The clip ends at
frame 64 with the knees at ~123 degrees, still on the way up from the third squat.  So:
two complete squats, and a third that reached full depth but is cut off before she stands
(reported as a partial rep, not counted).  A camera looping the clip returns to standing
at frame 0, completing the third: three squats per loop.  (Plot: docs/analysis.md.)
"""

from __future__ import annotations

import numpy as np
import pytest

from pose_ml.analysis.exercises import default_exercises
from pose_ml.analysis.report import SessionAnalyzer
from tests.ml.analysis.recordings import SQUAT_CLIP_SIZE, jittered, squat_clip

EXPECTED_COMPLETE = 2
JITTER_SIGMA_PX = 0.02 * SQUAT_CLIP_SIZE[1]  # 2% of the image height: 25.6 px


def _analyse(times: np.ndarray, keypoints: np.ndarray) -> dict:
    analyzer = SessionAnalyzer(default_exercises())
    analyzer.add_frames(times, keypoints)
    return analyzer.result().to_dict()["exercises"]


def test_the_clip_gives_two_complete_squats_and_the_third_cut_off() -> None:
    times, keypoints = squat_clip()
    exercises = _analyse(times, keypoints)
    squat = exercises["squat"]
    assert squat["count"] == EXPECTED_COMPLETE
    bottoms = [rep["bottom_s"] for rep in squat["reps"]]
    assert bottoms == pytest.approx([2.2, 7.0], abs=0.45)  # the minima near frames 10 and 34
    assert all(rep["depth"] < 105 and rep["range"] > 50 for rep in squat["reps"])
    assert squat["partial"] is not None and squat["partial"]["bottom_s"] == pytest.approx(
        11.8, abs=0.45
    )
    assert {name: ex["count"] for name, ex in exercises.items() if name != "squat"} == {
        "push_up": 0,
        "bicep_curl": 0,
        "lunge": 0,
        "jumping_jack": 0,
    }


def test_the_clip_looped_counts_three_squats_per_loop() -> None:
    times, keypoints = squat_clip()
    looped_t = np.concatenate([times, times + times[-1] + 0.2, times + 2 * (times[-1] + 0.2)])
    looped = np.concatenate([keypoints] * 3)
    squat = _analyse(looped_t, looped)["squat"]
    assert squat["count"] == 3 * EXPECTED_COMPLETE + 2  # each wrap completes the cut-off squat


@pytest.mark.parametrize("seed", range(5))
def test_a_jittered_copy_gives_the_same_count(seed: int) -> None:
    times, keypoints = squat_clip()
    noisy = jittered(keypoints, sigma_px=JITTER_SIGMA_PX, seed=seed)
    squat = _analyse(times, noisy)["squat"]
    assert squat["count"] == EXPECTED_COMPLETE
    assert squat["partial"] is not None
