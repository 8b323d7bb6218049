import { describe, expect, it } from 'vitest';
import { computeAngles } from './angles';
import { EXERCISES } from './exercises';
import { KeypointFilter } from './oneEuro';
import { ExerciseTracker, exerciseSignal, RepCounter, type Rep } from './reps';
import { loadVectors, orNaN, type VectorRep } from './vectors.test-helpers';

const vectors = loadVectors();
const cases = vectors.cases.map((c) => [c.name, c] as const);

function expectSameRep(actual: Rep, expected: VectorRep): void {
  expect(actual.index).toBe(expected.index);
  expect(actual.complete).toBe(expected.complete);
  for (const [mine, theirs] of [
    [actual.startT, expected.start_t],
    [actual.bottomT, expected.bottom_t],
    [actual.endT, expected.end_t],
    [actual.durationS, expected.duration_s],
    [actual.depth, expected.depth],
    [actual.range, expected.range],
  ]) {
    expect(Math.abs(mine - theirs)).toBeLessThan(1e-6);
  }
}

describe('exercise signals and rep counts agree with pose_ml on the shared vectors', () => {
  it('uses the same exercise definitions as the backend', () => {
    expect(Object.keys(EXERCISES)).toEqual(Object.keys(vectors.cases[0].reps));
  });

  it.each(cases)('%s', (_name, c) => {
    const params = { minCutoff: c.one_euro.min_cutoff, beta: c.one_euro.beta, dCutoff: c.one_euro.d_cutoff };
    const filter = new KeypointFilter(params, 17, c.min_score);
    const counters = Object.fromEntries(Object.entries(EXERCISES).map(([n, ex]) => [n, new RepCounter(ex)]));
    const reps: Record<string, Rep[]> = Object.fromEntries(Object.keys(EXERCISES).map((n) => [n, []]));
    c.keypoints.forEach((frame, i) => {
      const smoothed = filter.update(c.times[i], frame);
      const angles = computeAngles(smoothed, c.min_score);
      for (const [name, exercise] of Object.entries(EXERCISES)) {
        const { value, guarded } = exerciseSignal(exercise, angles, smoothed, c.min_score);
        const expected = orNaN(c.signals[name][i]);
        if (Number.isNaN(expected)) expect(value).toBeNaN();
        else expect(Math.abs(value - expected)).toBeLessThan(1e-8);
        expect(guarded).toBe(c.guarded[name][i]);
        const rep = counters[name].update(c.times[i], value, guarded);
        if (rep) reps[name].push(rep);
      }
    });
    for (const name of Object.keys(EXERCISES)) {
      const expected = c.reps[name];
      expect(reps[name].length, `${c.name}: ${name} count`).toBe(expected.reps.length);
      reps[name].forEach((rep, i) => expectSameRep(rep, expected.reps[i]));
      const partial = counters[name].finish();
      if (expected.partial === null) expect(partial).toBeNull();
      else expectSameRep(partial!, expected.partial);
    }
  });
});

describe('RepCounter', () => {
  const squat = EXERCISES.squat;

  it('counts a full rep once and ignores jitter inside the hysteresis band', () => {
    const counter = new RepCounter(squat);
    const knee = [175, 170, 149, 151, 148, 130, 116, 114, 118, 112, 140, 149, 151, 149, 152, 170];
    const reps = knee.map((v, i) => counter.update(i * 0.2, v)).filter((r) => r !== null);
    expect(reps).toHaveLength(1);
    expect(counter.count).toBe(1);
    expect(reps[0]!.depth).toBe(112);
  });

  it('does not count a half movement or one shorter than min_duration_s', () => {
    const counter = new RepCounter(squat);
    [170, 130, 170].forEach((v, i) => counter.update(i * 0.5, v));
    [170, 100, 170].forEach((v, i) => counter.update(10 + i * 0.1, v));
    expect(counter.count).toBe(0);
  });

  it('reports a rep cut off after its depth as partial', () => {
    const counter = new RepCounter(squat);
    [170, 140, 100, 120].forEach((v, i) => counter.update(i * 0.5, v));
    expect(counter.count).toBe(0);
    expect(counter.finish()).toMatchObject({ complete: false, depth: 100 });
  });
});

describe('ExerciseTracker (the live counter)', () => {
  it.each(cases)('%s: counts what the backend counts', (_name, c) => {
    const params = { minCutoff: c.one_euro.min_cutoff, beta: c.one_euro.beta, dCutoff: c.one_euro.d_cutoff };
    const tracker = new ExerciseTracker(EXERCISES, params, c.min_score);
    c.keypoints.forEach((frame, i) => tracker.update(c.times[i], frame));
    const expected = Object.fromEntries(Object.entries(c.reps).map(([n, r]) => [n, r.reps.length]));
    expect(tracker.counts()).toEqual(expected);
  });
});
