// Joint angles in degrees from 17 COCO keypoints: the mirror of pose_ml/analysis/angles.py.
// An angle at B between B->A and B->C is atan2(|cross|, dot), 180 = straight. Trunk lean is
// the angle between image "up" and hip midpoint -> shoulder midpoint (0 upright, 90 lying).
// NaN when a point is unconfident (score < minScore or not finite) or a segment has length 0.

export type KeypointTriple = readonly [x: number, y: number, score: number] | readonly number[];

export const DEFAULT_MIN_SCORE = 0.3;

const L_SHOULDER = 5;
const R_SHOULDER = 6;
const L_HIP = 11;
const R_HIP = 12;

/** name -> [A, B, C]: the angle at B (COCO-17 indices). */
export const JOINT_ANGLES: Readonly<Record<string, readonly [number, number, number]>> = {
  left_elbow: [5, 7, 9],
  right_elbow: [6, 8, 10],
  left_shoulder: [11, 5, 7],
  right_shoulder: [12, 6, 8],
  left_hip: [5, 11, 13],
  right_hip: [6, 12, 14],
  left_knee: [11, 13, 15],
  right_knee: [12, 14, 16],
};

export const ANGLE_NAMES: readonly string[] = [...Object.keys(JOINT_ANGLES), 'trunk_lean'];
export const ANGLE_INDEX: Readonly<Record<string, number>> = Object.fromEntries(
  ANGLE_NAMES.map((name, i) => [name, i]),
);

const DEGREES = 180 / Math.PI;

export function isConfident(point: KeypointTriple, minScore: number): boolean {
  return (
    point[2] >= minScore && Number.isFinite(point[0]) && Number.isFinite(point[1]) && Number.isFinite(point[2])
  );
}

function angleAt(a: KeypointTriple, b: KeypointTriple, c: KeypointTriple): number {
  const ux = a[0] - b[0];
  const uy = a[1] - b[1];
  const vx = c[0] - b[0];
  const vy = c[1] - b[1];
  if ((ux === 0 && uy === 0) || (vx === 0 && vy === 0)) return NaN;
  const cross = ux * vy - uy * vx;
  const dot = ux * vx + uy * vy;
  return Math.atan2(Math.abs(cross), dot) * DEGREES;
}

function trunkLean(p: readonly KeypointTriple[]): number {
  const dx = (p[L_SHOULDER][0] + p[R_SHOULDER][0]) / 2 - (p[L_HIP][0] + p[R_HIP][0]) / 2;
  const dy = (p[L_SHOULDER][1] + p[R_SHOULDER][1]) / 2 - (p[L_HIP][1] + p[R_HIP][1]) / 2;
  if (dx === 0 && dy === 0) return NaN;
  return Math.atan2(Math.abs(dx), -dy) * DEGREES; // image y grows downwards: up is -y
}

/** One frame's angles in ANGLE_NAMES order (NaN where unknown). */
export function computeAngles(keypoints: readonly KeypointTriple[], minScore = DEFAULT_MIN_SCORE): number[] {
  const ok = keypoints.map((p) => isConfident(p, minScore));
  const out = Object.values(JOINT_ANGLES).map(([a, b, c]) =>
    ok[a] && ok[b] && ok[c] ? angleAt(keypoints[a], keypoints[b], keypoints[c]) : NaN,
  );
  const trunkKnown = ok[L_SHOULDER] && ok[R_SHOULDER] && ok[L_HIP] && ok[R_HIP];
  out.push(trunkKnown ? trunkLean(keypoints) : NaN);
  return out;
}

/** One frame's angles by name (null where unknown), e.g. for display. */
export function angleRecord(angles: readonly number[]): Record<string, number | null> {
  return Object.fromEntries(ANGLE_NAMES.map((name, i) => [name, Number.isFinite(angles[i]) ? angles[i] : null]));
}
