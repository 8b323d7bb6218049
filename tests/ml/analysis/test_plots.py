"""Plots: PNG and SVG bytes that decode, for a full and an empty analysis (acceptance 4)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ElementTree

import matplotlib.image
import numpy as np
import pytest

from pose_ml.analysis import plots
from pose_ml.analysis.exercises import default_exercises
from pose_ml.analysis.report import SessionAnalysis, SessionAnalyzer
from pose_ml.analysis.synthetic import synthetic_recording

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _analysis(frames: bool = True) -> SessionAnalysis:
    analyzer = SessionAnalyzer(default_exercises())
    if frames:
        times, keypoints = synthetic_recording("squat", reps=3)
        analyzer.add_frames(times, keypoints)
        for i, t in enumerate(times):
            analyzer.add_prediction(float(t), "squat" if i % 90 < 60 else "stand", 0.9)
    return analyzer.result()


def decode_png(content: bytes) -> np.ndarray:
    assert content.startswith(PNG_SIGNATURE)
    return matplotlib.image.imread(io.BytesIO(content), format="png")


def test_angle_plot_png_is_an_image_with_something_drawn() -> None:
    image = decode_png(plots.angle_plot(_analysis()))
    height, width = image.shape[:2]
    assert width > 600 and height > 250
    assert image[..., :3].std() > 0.05  # not a blank canvas


def test_angle_plot_defaults_to_the_joints_of_the_counted_exercise() -> None:
    assert plots.plotted_angles(_analysis()) == ["left_knee", "right_knee"]
    assert plots.plotted_angles(_analysis(frames=False)) == list(plots.DEFAULT_ANGLES)


def test_angle_plot_svg_is_xml() -> None:
    root = ElementTree.fromstring(plots.angle_plot(_analysis(), angles=["left_elbow"], fmt="svg"))
    assert root.tag.endswith("svg")


def test_unknown_angles_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown angles"):
        plots.angle_plot(_analysis(), angles=["left_ankle"])


@pytest.mark.parametrize("frames", [True, False], ids=["session", "empty"])
def test_timeline_and_empty_plots_still_render(frames: bool) -> None:
    analysis = _analysis(frames)
    decode_png(plots.timeline_plot(analysis))
    decode_png(plots.angle_plot(analysis))
    ElementTree.fromstring(plots.timeline_plot(analysis, fmt="svg"))
