import type { Batch, WireFrame } from '../src/lib/batcher';
import type { Keypoint } from '../src/lib/skeleton';

export const HEADER = { detector: { name: 'movenet-lightning', version: '4' }, width: 640, height: 480 };

export function frame(seq: number, person = 0): WireFrame {
  const keypoints: Keypoint[] = Array.from({ length: 17 }, (_, i) => [i, seq, 0.5]);
  return { seq, t: 1_700_000_000 + seq / 30, keypoints, person };
}

/** A batch of frames first..last (inclusive). */
export function batch(first: number, last: number): Batch {
  const frames = [];
  for (let seq = first; seq <= last; seq++) frames.push(frame(seq));
  return { ...HEADER, frames };
}
