"""Builders of valid v1 frames and batches for tests."""

from __future__ import annotations

import random
import time
from typing import Any

from pose_common.skeleton import NUM_KEYPOINTS


def keypoints(rng: random.Random | None = None, *, width: int = 640, height: int = 480) -> list:
    rng = rng or random.Random(0)
    return [
        [rng.uniform(0, width), rng.uniform(0, height), rng.uniform(0.05, 1.0)]
        for _ in range(NUM_KEYPOINTS)
    ]


def frame(seq: int, *, rng: random.Random | None = None, **overrides: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"seq": seq, "t": time.time(), "keypoints": keypoints(rng)}
    out.update(overrides)
    return out


def batch(
    start: int = 0, count: int = 30, *, seed: int = 0, **frame_overrides: Any
) -> dict[str, Any]:
    rng = random.Random(seed + start)
    return {
        "detector": {"name": "movenet-lightning", "version": "4"},
        "width": 640,
        "height": 480,
        "frames": [frame(start + i, rng=rng, **frame_overrides) for i in range(count)],
    }
