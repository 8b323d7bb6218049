import { describe, expect, it } from 'vitest';
import { KeypointFilter, smoothingFactor } from './oneEuro';
import { loadVectors } from './vectors.test-helpers';

const vectors = loadVectors();

describe('One Euro filter agrees with pose_ml on the shared vectors', () => {
  it.each(vectors.cases.map((c) => [c.name, c] as const))('%s: every smoothed x and y, to 1e-8', (_name, c) => {
    const params = { minCutoff: c.one_euro.min_cutoff, beta: c.one_euro.beta, dCutoff: c.one_euro.d_cutoff };
    const filter = new KeypointFilter(params, 17, c.min_score);
    let worst = 0;
    c.keypoints.forEach((frame, i) => {
      const out = filter.update(c.times[i], frame);
      out.forEach((point, k) => {
        worst = Math.max(worst, Math.abs(point[0] - c.smoothed[i][k][0]), Math.abs(point[1] - c.smoothed[i][k][1]));
        expect(point[2]).toBe(frame[k][2]); // scores pass through
      });
    });
    expect(worst).toBeLessThan(1e-8);
  });
});

describe('One Euro filter behaviour', () => {
  const still = (x: number): [number, number, number][] => Array.from({ length: 17 }, () => [x, x, 0.9]);

  it('alpha is r / (r + 1)', () => {
    const r = 2 * Math.PI * 1.0 * 0.1;
    expect(smoothingFactor(0.1, 1.0)).toBe(r / (r + 1));
  });

  it('passes the first frame through and follows a step gradually', () => {
    const filter = new KeypointFilter();
    expect(filter.update(0, still(100))[0][0]).toBe(100);
    const next = filter.update(1 / 30, still(200))[0][0];
    expect(next).toBeGreaterThan(100);
    expect(next).toBeLessThan(200);
  });

  it('lets an unconfident point through raw and restarts it', () => {
    const filter = new KeypointFilter();
    filter.update(0, still(100));
    const lost = still(150);
    lost[3] = [500, 500, 0.1];
    expect(filter.update(0.1, lost)[3]).toEqual([500, 500, 0.1]);
    expect(filter.update(0.2, still(300))[3][0]).toBe(300); // restarted: no drag from 100
  });

  it('ignores a repeated timestamp', () => {
    const filter = new KeypointFilter();
    filter.update(0, still(100));
    const first = filter.update(0.1, still(200))[0][0];
    expect(filter.update(0.1, still(900))[0][0]).toBe(first);
  });

  it('rejects impossible parameters', () => {
    expect(() => new KeypointFilter({ minCutoff: 0, beta: 0, dCutoff: 1 })).toThrow();
  });
});
