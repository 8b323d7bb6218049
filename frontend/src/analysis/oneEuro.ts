// One Euro filter for every keypoint: the mirror of pose_ml/analysis/one_euro.py (see its
// docstring). Each x and y is its own filter; an unconfident point passes through raw and
// its filter restarts when it is seen again; a repeated timestamp changes nothing. The
// expressions below are evaluated in exactly the Python order, so both sides agree on
// tests/vectors/analysis_vectors.json.

import { DEFAULT_MIN_SCORE, type KeypointTriple } from './angles';

export interface OneEuroParams {
  /** Hz: smoothing of a still point (lower = smoother, more lag). */
  minCutoff: number;
  /** Per px/s: how fast the cutoff rises with speed (higher = less lag). */
  beta: number;
  /** Hz: smoothing of the speed estimate. */
  dCutoff: number;
}

export const DEFAULT_ONE_EURO: Readonly<OneEuroParams> = { minCutoff: 1.0, beta: 0.007, dCutoff: 1.0 };

/** alpha = r / (r + 1) with r = 2 * pi * cutoff * te. */
export function smoothingFactor(te: number, cutoff: number): number {
  const r = 2 * Math.PI * cutoff * te;
  return r / (r + 1);
}

function isSeen(point: KeypointTriple, minScore: number): boolean {
  return (
    point[2] >= minScore && Number.isFinite(point[0]) && Number.isFinite(point[1]) && Number.isFinite(point[2])
  );
}

export class KeypointFilter {
  private readonly xHat: Float64Array;
  private readonly dxHat: Float64Array;
  private readonly live: boolean[];
  private tPrev: number | null = null;

  constructor(
    readonly params: Readonly<OneEuroParams> = DEFAULT_ONE_EURO,
    readonly numPoints = 17,
    readonly minScore = DEFAULT_MIN_SCORE,
  ) {
    if (!(params.minCutoff > 0 && params.dCutoff > 0 && params.beta >= 0)) {
      throw new Error('minCutoff and dCutoff must be > 0 and beta >= 0');
    }
    this.xHat = new Float64Array(numPoints * 2);
    this.dxHat = new Float64Array(numPoints * 2);
    this.live = new Array<boolean>(numPoints).fill(false);
  }

  reset(): void {
    this.live.fill(false);
    this.tPrev = null;
  }

  /** Keypoints at time t (seconds) -> new keypoints with x, y smoothed (scores unchanged). */
  update(t: number, keypoints: readonly KeypointTriple[]): [number, number, number][] {
    const out = keypoints.map((p): [number, number, number] => [p[0], p[1], p[2]]);
    const seen = keypoints.map((p) => isSeen(p, this.minScore));
    const te = this.tPrev === null ? null : t - this.tPrev;
    if (te !== null && te <= 0) {
      for (let k = 0; k < this.numPoints; k++) {
        if (seen[k] && this.live[k]) {
          out[k][0] = this.xHat[2 * k];
          out[k][1] = this.xHat[2 * k + 1];
        }
      }
      return out;
    }
    this.tPrev = t;
    for (let k = 0; k < this.numPoints; k++) {
      if (seen[k] && this.live[k] && te !== null) {
        this.step(te, 2 * k, out[k][0]);
        this.step(te, 2 * k + 1, out[k][1]);
      } else if (seen[k]) {
        this.xHat[2 * k] = out[k][0];
        this.xHat[2 * k + 1] = out[k][1];
        this.dxHat[2 * k] = 0;
        this.dxHat[2 * k + 1] = 0;
      }
      this.live[k] = seen[k];
      if (seen[k]) {
        out[k][0] = this.xHat[2 * k];
        out[k][1] = this.xHat[2 * k + 1];
      }
    }
    return out;
  }

  private step(te: number, i: number, x: number): void {
    const { minCutoff, beta, dCutoff } = this.params;
    const alphaD = smoothingFactor(te, dCutoff);
    const xPrev = this.xHat[i];
    const dx = this.dxHat[i] * (1 - alphaD) + (x - xPrev) * (alphaD / te);
    const r = (Math.abs(dx) * beta + minCutoff) * (2 * Math.PI * te);
    const alpha = r / (r + 1);
    this.dxHat[i] = dx;
    this.xHat[i] = xPrev + alpha * (x - xPrev);
  }
}
