"""Recordings the analysis tests share: the squat clip (../shared), jitter, and storing a
recording in PostgreSQL the way the exporter does (binary COPY)."""

from __future__ import annotations

import json
import uuid

import numpy as np
import psycopg

from pose_common.skeleton import BLAZEPOSE_TO_COCO17
from tests.conftest import shared_path

SQUAT_CLIP_FPS = 5.0  # pose_squats.mp4: 65 frames over 13 s (media/SOURCE.md)
SQUAT_CLIP_SIZE = (720, 1280)  # width, height

_COPY = (
    "COPY frames (session_id, seq, person, t, detector, detector_version, width, height,"
    " keypoints) FROM STDIN (FORMAT BINARY)"
)
_TYPES = ["uuid", "int8", "int2", "float8", "varchar", "varchar", "int4", "int4", "float4[]"]


def squat_clip() -> tuple[np.ndarray, np.ndarray]:
    """(times, (65, 17, 3) keypoints) of the BlazePose golden output, mapped to COCO-17.

    The file holds 65 frames x 33 landmarks x [x px, y px, z]; it has no visibility, so every
    point gets score 1 (they are the detector's own tracked output of a clear full body).
    """
    raw = np.array(json.loads(shared_path("media", "pose_squats.full.json").read_text()))
    keypoints = raw[:, list(BLAZEPOSE_TO_COCO17), :].copy()
    keypoints[:, :, 2] = 1.0
    return np.arange(len(keypoints)) / SQUAT_CLIP_FPS, keypoints


def jittered(keypoints: np.ndarray, *, sigma_px: float, seed: int) -> np.ndarray:
    """A copy with gaussian noise of sigma_px on every x and y (scores unchanged)."""
    noisy = keypoints.copy()
    noisy[:, :, :2] += np.random.default_rng(seed).normal(0.0, sigma_px, noisy[:, :, :2].shape)
    return noisy


def store_recording(
    conn: psycopg.Connection,
    *,
    session_id: str,
    times: np.ndarray,
    keypoints: np.ndarray,
    start_t: float = 1_700_000_000.0,
    size: tuple[int, int] = (640, 480),
    person: int = 0,
    detector: tuple[str, str] = ("blazepose-full", "1"),
) -> None:
    """Insert frames seq 0.. with capture time start_t + times (binary COPY)."""
    flat = np.asarray(keypoints, dtype=np.float32).reshape(len(times), -1)
    session_uuid = uuid.UUID(session_id)
    with conn.cursor().copy(_COPY) as copy:
        copy.set_types(_TYPES)
        for seq, (t, row) in enumerate(zip(np.asarray(times).tolist(), flat, strict=True)):
            copy.write_row((session_uuid, seq, person, start_t + t, *detector, *size, row.tolist()))
