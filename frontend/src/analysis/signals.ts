// Per-frame exercise signals: the mirror of pose_ml/analysis/signals.py.
// angle: a joint angle (a joint without its side combines left and right);
// position: point minus reference along an axis, in torso lengths, y positive UP;
// distance: between two points, in torso lengths. NaN where unknown.

import { ANGLE_INDEX, isConfident, type KeypointTriple } from './angles';

export type Combine = 'mean' | 'min' | 'max' | 'left' | 'right';

/** A signal as written in exercises.yaml (and served by GET /v1/exercises). */
export type SignalSpec =
  | { angle: string; combine?: Combine }
  | { position: string; relative_to: string; axis?: 'x' | 'y'; combine?: Combine }
  | { distance: readonly [string, string] | readonly string[]; combine?: Combine };

const KEYPOINT_INDEX: Readonly<Record<string, number>> = Object.fromEntries(
  [
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder',
    'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip', 'right_hip',
    'left_knee', 'right_knee', 'left_ankle', 'right_ankle',
  ].map((name, i) => [name, i]),
);

/** Left and right values -> one, ignoring a NaN side (NaN when both are). */
export function combineSides(left: number, right: number, how: Combine = 'mean'): number {
  if (how === 'left') return left;
  if (how === 'right') return right;
  if (Number.isNaN(left)) return right;
  if (Number.isNaN(right)) return left;
  if (how === 'min') return Math.min(left, right);
  if (how === 'max') return Math.max(left, right);
  return (left + right) / 2;
}

/** (left, right) indices of a keypoint name; an unsided name gives the same index twice. */
function pointColumns(name: string): [number, number] {
  if (name in KEYPOINT_INDEX) return [KEYPOINT_INDEX[name], KEYPOINT_INDEX[name]];
  const left = KEYPOINT_INDEX[`left_${name}`];
  const right = KEYPOINT_INDEX[`right_${name}`];
  if (left === undefined || right === undefined) throw new Error(`unknown keypoint ${name}`);
  return [left, right];
}

/** Shoulder-midpoint to hip-midpoint distance; NaN without all four points or if 0. */
export function torsoLength(p: readonly KeypointTriple[], ok: readonly boolean[]): number {
  const dx = (p[5][0] + p[6][0]) / 2 - (p[11][0] + p[12][0]) / 2;
  const dy = (p[5][1] + p[6][1]) / 2 - (p[11][1] + p[12][1]) / 2;
  const length = Math.sqrt(dx * dx + dy * dy);
  return ok[5] && ok[6] && ok[11] && ok[12] && length > 0 ? length : NaN;
}

function pairSignal(
  spec: Exclude<SignalSpec, { angle: string }>,
  p: readonly KeypointTriple[],
  minScore: number,
): number {
  const ok = p.map((point) => isConfident(point, minScore));
  const torso = torsoLength(p, ok);
  const [first, second] = 'distance' in spec ? spec.distance : [spec.position, spec.relative_to];
  const a = pointColumns(first);
  const b = pointColumns(second);
  const sides = [0, 1].map((side) => {
    const i = a[side];
    const j = b[side];
    let value: number;
    if ('distance' in spec) {
      const dx = p[i][0] - p[j][0];
      const dy = p[i][1] - p[j][1];
      value = Math.sqrt(dx * dx + dy * dy);
    } else if ((spec.axis ?? 'y') === 'y') {
      value = p[j][1] - p[i][1]; // up is positive
    } else {
      value = p[i][0] - p[j][0];
    }
    return ok[i] && ok[j] ? value / torso : NaN;
  });
  return combineSides(sides[0], sides[1], spec.combine ?? 'mean');
}

/** The signal's value on one frame, from its angles and the keypoints they came from. */
export function computeSignal(
  spec: SignalSpec,
  angles: readonly number[],
  keypoints: readonly KeypointTriple[],
  minScore: number,
): number {
  if ('angle' in spec) {
    if (spec.angle in ANGLE_INDEX) return angles[ANGLE_INDEX[spec.angle]];
    const left = angles[ANGLE_INDEX[`left_${spec.angle}`]];
    const right = angles[ANGLE_INDEX[`right_${spec.angle}`]];
    if (left === undefined || right === undefined) throw new Error(`unknown angle ${spec.angle}`);
    return combineSides(left, right, spec.combine ?? 'mean');
  }
  return pairSignal(spec, keypoints, minScore);
}
