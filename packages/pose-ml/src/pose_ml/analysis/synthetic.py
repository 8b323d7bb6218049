"""Synthetic recordings of each exercise, for tests, the shared vectors and the benchmark.

A stick figure with fixed limb lengths (in torso lengths) is posed by joint angles (forward
kinematics, vectorised over frames) and drawn in pixels: seen from the side for squats,
push-ups, curls and lunges, from the front for jumping jacks.  Each repetition follows a
smooth cosine phase 0 -> 1 -> 0 with rest between reps, so the true count is known.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np

from pose_common.skeleton import KEYPOINT_NAMES, NUM_KEYPOINTS

_K = {name: i for i, name in enumerate(KEYPOINT_NAMES)}
# Limb lengths in torso lengths.
UPPER_ARM, FOREARM, THIGH, SHIN, HEAD = 0.6, 0.55, 0.9, 0.85, 0.35
SHOULDER_WIDTH, HIP_WIDTH, SIDE_OFFSET = 0.8, 0.5, 0.04
SCORE: Final[float] = 0.9
Angles = dict[str, np.ndarray]


def _direction(angle_from_down: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vector at this angle (degrees) from straight down, towards +x (y grows down)."""
    radians = np.radians(angle_from_down)
    return np.sin(radians), np.cos(radians)


def _limb(start: np.ndarray, length: float, angle: np.ndarray) -> np.ndarray:
    dx, dy = _direction(angle)
    return start + length * np.stack([dx, dy], axis=-1)


def _side_view(a: Angles) -> np.ndarray:
    """(N, 17, 2) in torso lengths, hip centre at the origin, facing +x."""
    n = len(a["lean"])
    points = np.zeros((n, NUM_KEYPOINTS, 2))
    trunk = 180.0 - a["lean"]
    shoulder = _limb(np.zeros((n, 2)), 1.0, trunk)
    nose = _limb(shoulder, HEAD, trunk - 20.0)
    for i, name in enumerate(("nose", "left_eye", "right_eye", "left_ear", "right_ear")):
        points[:, _K[name]] = nose + np.array([0.03 * (i % 3), -0.04 * (i > 0)])
    for side, offset in (("left", SIDE_OFFSET), ("right", -SIDE_OFFSET)):
        shift = np.array([offset, 0.0])
        hip = shift + np.zeros((n, 2))
        points[:, _K[f"{side}_hip"]] = hip
        points[:, _K[f"{side}_shoulder"]] = shoulder + shift
        elbow = _limb(shoulder + shift, UPPER_ARM, a[f"{side}_shoulder"])
        points[:, _K[f"{side}_elbow"]] = elbow
        points[:, _K[f"{side}_wrist"]] = _limb(
            elbow, FOREARM, a[f"{side}_shoulder"] + a[f"{side}_elbow"]
        )
        knee = _limb(hip, THIGH, a[f"{side}_hip"])
        points[:, _K[f"{side}_knee"]] = knee
        points[:, _K[f"{side}_ankle"]] = _limb(knee, SHIN, a[f"{side}_hip"] - a[f"{side}_knee"])
    return points


def _front_view(arms: np.ndarray, legs: np.ndarray) -> np.ndarray:
    """(N, 17, 2) facing the camera: arms and legs raised sideways by these angles."""
    n = len(arms)
    points = np.zeros((n, NUM_KEYPOINTS, 2))
    for side, sign in (("left", 1.0), ("right", -1.0)):
        hip = np.array([sign * HIP_WIDTH / 2, 0.0]) + np.zeros((n, 2))
        shoulder = np.array([sign * SHOULDER_WIDTH / 2, -1.0]) + np.zeros((n, 2))
        points[:, _K[f"{side}_hip"]], points[:, _K[f"{side}_shoulder"]] = hip, shoulder
        elbow = _limb(shoulder, UPPER_ARM, sign * arms)
        points[:, _K[f"{side}_elbow"]] = elbow
        points[:, _K[f"{side}_wrist"]] = _limb(elbow, FOREARM, sign * arms)
        knee = _limb(hip, THIGH, sign * legs)
        points[:, _K[f"{side}_knee"]] = knee
        points[:, _K[f"{side}_ankle"]] = _limb(knee, SHIN, sign * legs)
        points[:, _K[f"{side}_eye"]] = [sign * 0.07, -1.0 - HEAD - 0.05]
        points[:, _K[f"{side}_ear"]] = [sign * 0.14, -1.0 - HEAD]
    points[:, _K["nose"]] = [0.0, -1.0 - HEAD]
    return points


def _standing(p: np.ndarray, **angles: np.ndarray | float) -> Angles:
    base: dict[str, np.ndarray | float] = {"lean": 0.0}
    for side in ("left", "right"):
        base.update({f"{side}_{joint}": 0.0 for joint in ("shoulder", "elbow", "hip", "knee")})
    base.update(angles)
    return {name: np.broadcast_to(np.asarray(v, dtype=float), p.shape) for name, v in base.items()}


def _squat(p: np.ndarray) -> np.ndarray:
    legs = {f"{side}_{joint}": 100 * p for side in ("left", "right") for joint in ("hip", "knee")}
    arms = {f"{side}_shoulder": 80 * p for side in ("left", "right")}
    arms.update({f"{side}_elbow": np.full_like(p, 10.0) for side in ("left", "right")})
    return _side_view(_standing(p, lean=40 * p, **legs, **arms))


def _push_up(p: np.ndarray) -> np.ndarray:
    lean = np.full_like(p, 80.0)
    body = {f"{s}_hip": -lean for s in ("left", "right")}
    arms = {f"{s}_shoulder": -45 * p for s in ("left", "right")}
    arms.update({f"{s}_elbow": 10 + 90 * p for s in ("left", "right")})
    return _side_view(_standing(p, lean=lean, **body, **arms))


def _bicep_curl(p: np.ndarray) -> np.ndarray:
    arms = {f"{s}_elbow": 10 + 120 * p for s in ("left", "right")}
    return _side_view(_standing(p, **arms))


def _lunge(p: np.ndarray) -> np.ndarray:
    legs = {"left_hip": 25 + 60 * p, "left_knee": 90 * p, "right_hip": -25 + 15 * p}
    return _side_view(_standing(p, lean=5.0, right_knee=90 * p, **legs))


def _jumping_jack(p: np.ndarray) -> np.ndarray:
    return _front_view(20 + 150 * p, 5 + 15 * p)


MOTIONS: Final[dict[str, Callable[[np.ndarray], np.ndarray]]] = {
    "squat": _squat,
    "push_up": _push_up,
    "bicep_curl": _bicep_curl,
    "lunge": _lunge,
    "jumping_jack": _jumping_jack,
}


def rep_phase(times: np.ndarray, *, period_s: float, rest_s: float, reps: int) -> np.ndarray:
    """0 at rest, rising smoothly to 1 at the bottom of each rep; `reps` reps after a rest."""
    cycle = period_s + rest_s
    local = np.asarray(times) % cycle - rest_s
    active = (local >= 0) & (np.asarray(times) < reps * cycle)
    return np.where(active, (1 - np.cos(2 * np.pi * np.clip(local, 0, None) / period_s)) / 2, 0.0)


def synthetic_recording(
    exercise: str,
    *,
    reps: int,
    fps: float = 30.0,
    period_s: float = 2.0,
    rest_s: float = 1.0,
    height: int = 480,
    width: int = 640,
    noise_px: float = 0.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """(times (N,), keypoints (N, 17, 3) in pixels) of `reps` repetitions, then a last rest."""
    duration = reps * (period_s + rest_s) + rest_s
    times = np.arange(round(duration * fps)) / fps
    points = MOTIONS[exercise](rep_phase(times, period_s=period_s, rest_s=rest_s, reps=reps))
    scale = 0.22 * height  # a torso takes about a fifth of the picture
    floor = points[:, :, 1].max(axis=1, keepdims=True)  # the lowest point stands on the floor
    xy = np.empty_like(points)
    xy[:, :, 0] = width / 2 + scale * points[:, :, 0]
    xy[:, :, 1] = 0.92 * height + scale * (points[:, :, 1] - floor)
    if noise_px:
        xy += np.random.default_rng(seed).normal(0.0, noise_px, xy.shape)
    keypoints = np.concatenate([xy, np.full((*xy.shape[:2], 1), SCORE)], axis=2)
    return times, keypoints
