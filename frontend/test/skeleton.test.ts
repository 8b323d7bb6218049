import { describe, expect, it } from 'vitest';
import {
  BLAZEPOSE_TO_COCO17,
  blazePoseToCoco17,
  coco17Keypoints,
  KEYPOINT_NAMES,
  toKeypoint,
} from '../src/lib/skeleton';

// BlazePose's 33 landmark names, in the model's order.
const BLAZEPOSE_NAMES = [
  'nose', 'left_eye_inner', 'left_eye', 'left_eye_outer', 'right_eye_inner', 'right_eye',
  'right_eye_outer', 'left_ear', 'right_ear', 'mouth_left', 'mouth_right', 'left_shoulder',
  'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_pinky',
  'right_pinky', 'left_index', 'right_index', 'left_thumb', 'right_thumb', 'left_hip',
  'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle', 'left_heel',
  'right_heel', 'left_foot_index', 'right_foot_index',
];

describe('33 -> 17 mapping', () => {
  it('picks the BlazePose point of the same name for every COCO keypoint', () => {
    expect(BLAZEPOSE_TO_COCO17.map((i) => BLAZEPOSE_NAMES[i])).toEqual([...KEYPOINT_NAMES]);
  });

  it('keeps coordinates and scores of the mapped points', () => {
    const points = BLAZEPOSE_NAMES.map((_, i) => ({ x: i * 10, y: i * 10 + 1, score: i / 40 }));
    const mapped = blazePoseToCoco17(points);
    expect(mapped).toHaveLength(17);
    expect(mapped[5]).toEqual([110, 111, 11 / 40]); // left_shoulder is BlazePose 11
    expect(mapped[16]).toEqual([280, 281, 28 / 40]); // right_ankle is BlazePose 28
  });

  it('refuses a point list of the wrong length', () => {
    expect(() => blazePoseToCoco17([{ x: 0, y: 0 }])).toThrow(/33/);
    expect(() => coco17Keypoints([{ x: 0, y: 0 }])).toThrow(/17/);
  });
});

describe('wire keypoints', () => {
  it('turns a non-finite point into an unseen one and clamps the score', () => {
    expect(toKeypoint({ x: Number.NaN, y: 1, score: 0.9 })).toEqual([0, 0, 0]);
    expect(toKeypoint({ x: 1, y: 2, score: 1.2 })).toEqual([1, 2, 1]);
    expect(toKeypoint({ x: 1, y: 2, score: -0.1 })).toEqual([1, 2, 0]);
    expect(toKeypoint({ x: 1, y: 2 })).toEqual([1, 2, 0]);
    expect(toKeypoint(undefined)).toEqual([0, 0, 0]);
  });
});
