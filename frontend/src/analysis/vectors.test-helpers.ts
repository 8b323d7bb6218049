// The shared vector file (tests/vectors/analysis_vectors.json), written by
// scripts/make_analysis_vectors.py from the Python implementation.

import { readFileSync } from 'node:fs';

export interface VectorRep {
  index: number;
  start_t: number;
  bottom_t: number;
  end_t: number;
  depth: number;
  range: number;
  complete: boolean;
  duration_s: number;
}

export interface VectorCase {
  name: string;
  one_euro: { min_cutoff: number; beta: number; d_cutoff: number };
  min_score: number;
  times: number[];
  keypoints: number[][][];
  raw_angles: (number | null)[][];
  smoothed: number[][][];
  angles: (number | null)[][];
  signals: Record<string, (number | null)[]>;
  guarded: Record<string, boolean[]>;
  reps: Record<string, { reps: VectorRep[]; partial: VectorRep | null }>;
}

export interface Vectors {
  version: number;
  keypoint_names: string[];
  angle_names: string[];
  cases: VectorCase[];
}

export function loadVectors(): Vectors {
  const url = new URL('../../../tests/vectors/analysis_vectors.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Vectors;
}

/** null (JSON's NaN) -> NaN. */
export function orNaN(value: number | null): number {
  return value === null ? NaN : value;
}

/** Largest |a - b| over two rows, NaN positions required to match (Infinity if not). */
export function maxDifference(actual: readonly number[], expected: readonly (number | null)[]): number {
  let worst = 0;
  expected.forEach((value, i) => {
    const a = actual[i];
    if (value === null || Number.isNaN(a)) {
      if (!(value === null && Number.isNaN(a))) worst = Infinity;
      return;
    }
    worst = Math.max(worst, Math.abs(a - value));
  });
  return worst;
}
