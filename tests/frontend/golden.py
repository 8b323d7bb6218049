"""Compare stored keypoints with a video's golden BlazePose file (33 points mapped to 17).

The fake camera loops the video, and where the loop starts relative to the page's clock is
unknown, so the comparison fits that one phase for the whole recording, then scores every
frame against the golden frame the phase puts it on (or a neighbour, for capture jitter).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pose_common.skeleton import BLAZEPOSE_TO_COCO17

SEEN = 0.3  # a keypoint counts as seen by us at this score


@dataclass(frozen=True)
class Comparison:
    mean_error: float  # in image heights
    frames: int
    joints: int
    phase: float


def load_golden(path: Path, *, scale: float) -> np.ndarray:
    """Golden keypoints (frames, 17, 2), in the fake camera's pixels."""
    frames = np.asarray(json.loads(path.read_text()), dtype=np.float64)  # (n, 33, 3): x, y, z
    return frames[:, list(BLAZEPOSE_TO_COCO17), :2] * scale


def visible(golden: np.ndarray, width: float, height: float) -> np.ndarray:
    """Golden joints inside the picture (BlazePose also guesses points out of view)."""
    x, y = golden[..., 0], golden[..., 1]
    return (x >= 0) & (x < width) & (y >= 0) & (y < height)


def compare(
    ours: np.ndarray,
    times: np.ndarray,
    golden: np.ndarray,
    *,
    fps: float,
    width: float,
    height: float,
) -> Comparison:
    """Mean distance (in image heights) over joints both see, at the best-fitting phase."""
    count = len(golden)
    seen_golden = visible(golden, width, height)
    best: Comparison | None = None
    for phase in np.arange(0.0, count, 0.25):
        index = np.floor((times - times[0]) * fps + phase).astype(int)
        errors = []
        for shift in (-1, 0, 1):  # the nearest of the neighbouring golden frames
            k = (index + shift) % count
            both = (ours[..., 2] >= SEEN) & seen_golden[k]
            distance = np.linalg.norm(ours[..., :2] - golden[k], axis=-1) / height
            per_frame = np.where(both, distance, 0).sum(axis=1) / np.maximum(both.sum(axis=1), 1)
            errors.append((per_frame, both.sum(axis=1)))
        per_frame = np.min([e[0] for e in errors], axis=0)
        joints = int(errors[1][1].sum())
        mean = float(per_frame.mean())
        if best is None or mean < best.mean_error:
            best = Comparison(mean, len(ours), joints, float(phase))
    assert best is not None
    return best
