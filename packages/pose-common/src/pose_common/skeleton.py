"""The 17-point COCO skeleton shared by every detector and service (DESIGN.md section 2)."""

from typing import Final

KEYPOINT_NAMES: Final[tuple[str, ...]] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
NUM_KEYPOINTS: Final[int] = len(KEYPOINT_NAMES)
SKELETON_NAME: Final[str] = "coco17"

# BlazePose (33 points) index for each of the 17 COCO keypoints, in KEYPOINT_NAMES order.
BLAZEPOSE_TO_COCO17: Final[tuple[int, ...]] = (
    0,
    2,
    5,
    7,
    8,
    11,
    12,
    13,
    14,
    15,
    16,
    23,
    24,
    25,
    26,
    27,
    28,
)

# Pairs of (left, right) indices; mirroring a pose swaps them.
LEFT_RIGHT_PAIRS: Final[tuple[tuple[int, int], ...]] = (
    (1, 2),
    (3, 4),
    (5, 6),
    (7, 8),
    (9, 10),
    (11, 12),
    (13, 14),
    (15, 16),
)

# Limbs drawn as the skeleton (also used by reports).
EDGES: Final[tuple[tuple[int, int], ...]] = (
    (0, 1),
    (0, 2),
    (1, 3),
    (2, 4),
    (5, 6),
    (5, 7),
    (7, 9),
    (6, 8),
    (8, 10),
    (5, 11),
    (6, 12),
    (11, 12),
    (11, 13),
    (13, 15),
    (12, 14),
    (14, 16),
)


def keypoint_columns() -> list[str]:
    """Column names for a flat keypoint row: nose_x, nose_y, nose_score, ..."""
    return [f"{name}_{axis}" for name in KEYPOINT_NAMES for axis in ("x", "y", "score")]
