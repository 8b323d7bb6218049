// The 17-point COCO skeleton every detector is mapped to (DESIGN.md section 2), mirroring
// pose_common.skeleton on the Python side.

export const KEYPOINT_NAMES = [
  'nose',
  'left_eye',
  'right_eye',
  'left_ear',
  'right_ear',
  'left_shoulder',
  'right_shoulder',
  'left_elbow',
  'right_elbow',
  'left_wrist',
  'right_wrist',
  'left_hip',
  'right_hip',
  'left_knee',
  'right_knee',
  'left_ankle',
  'right_ankle',
] as const;

export const NUM_KEYPOINTS = KEYPOINT_NAMES.length;

/** BlazePose (33 points) index of each COCO keypoint, in KEYPOINT_NAMES order. */
export const BLAZEPOSE_TO_COCO17 = [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28];

/** Limbs drawn as the skeleton. */
export const EDGES: ReadonlyArray<readonly [number, number]> = [
  [0, 1],
  [0, 2],
  [1, 3],
  [2, 4],
  [5, 6],
  [5, 7],
  [7, 9],
  [6, 8],
  [8, 10],
  [5, 11],
  [6, 12],
  [11, 12],
  [11, 13],
  [13, 15],
  [12, 14],
  [14, 16],
];

/** One keypoint on the wire: x, y in source pixels and a score in [0, 1]. */
export type Keypoint = [number, number, number];

/** A keypoint as detectors report it. */
export interface DetectedPoint {
  x: number;
  y: number;
  score?: number;
}

/**
 * A wire keypoint the backend will accept: a non-finite coordinate becomes an unseen point
 * (score 0) rather than a rejected batch, and the score is clamped into [0, 1].
 */
export function toKeypoint(point: DetectedPoint | undefined): Keypoint {
  if (!point || !Number.isFinite(point.x) || !Number.isFinite(point.y)) return [0, 0, 0];
  const score = Number.isFinite(point.score) ? Math.min(1, Math.max(0, point.score as number)) : 0;
  return [point.x, point.y, score];
}

/** The 17 keypoints of a 17-point detector (MoveNet, PoseNet). */
export function coco17Keypoints(points: readonly DetectedPoint[]): Keypoint[] {
  if (points.length !== NUM_KEYPOINTS) {
    throw new Error(`expected ${NUM_KEYPOINTS} keypoints, got ${points.length}`);
  }
  return points.map(toKeypoint);
}

/** The 17 COCO keypoints picked out of BlazePose's 33. */
export function blazePoseToCoco17(points: readonly DetectedPoint[]): Keypoint[] {
  if (points.length !== 33) throw new Error(`expected 33 BlazePose keypoints, got ${points.length}`);
  return BLAZEPOSE_TO_COCO17.map((index) => toKeypoint(points[index]));
}
