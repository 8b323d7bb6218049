import { describe, expect, it } from 'vitest';
import { ANGLE_NAMES, computeAngles } from './angles';
import { KeypointFilter } from './oneEuro';
import { loadVectors, maxDifference } from './vectors.test-helpers';

const vectors = loadVectors();

describe('joint angles agree with pose_ml on the shared vectors', () => {
  it('names the same angles in the same order', () => {
    expect([...ANGLE_NAMES]).toEqual(vectors.angle_names);
  });

  it.each(vectors.cases.map((c) => [c.name, c] as const))('%s: raw keypoints, to 1e-6', (_name, c) => {
    c.keypoints.forEach((frame, i) => {
      expect(maxDifference(computeAngles(frame, c.min_score), c.raw_angles[i])).toBeLessThan(1e-6);
    });
  });

  it.each(vectors.cases.map((c) => [c.name, c] as const))('%s: smoothed keypoints, to 1e-6', (_name, c) => {
    const params = { minCutoff: c.one_euro.min_cutoff, beta: c.one_euro.beta, dCutoff: c.one_euro.d_cutoff };
    const filter = new KeypointFilter(params, 17, c.min_score);
    c.keypoints.forEach((frame, i) => {
      const angles = computeAngles(filter.update(c.times[i], frame), c.min_score);
      expect(maxDifference(angles, c.angles[i])).toBeLessThan(1e-6);
    });
  });

  it('covers the edge cases: straight, right angle, degenerate, below threshold, upside down', () => {
    const edge = vectors.cases.find((c) => c.name === 'edge_angles')!;
    const leftElbow = edge.keypoints.map((frame) => computeAngles(frame, edge.min_score)[0]);
    expect(leftElbow[0]).toBeCloseTo(180, 6);
    expect(leftElbow[1]).toBeCloseTo(90, 6);
    expect(leftElbow[2]).toBeNaN();
    expect(leftElbow[3]).toBeNaN();
    expect(computeAngles(edge.keypoints[5], edge.min_score)[8]).toBeCloseTo(180, 6);
    expect(computeAngles(edge.keypoints[6], edge.min_score)[8]).toBeCloseTo(90, 6);
  });
});
