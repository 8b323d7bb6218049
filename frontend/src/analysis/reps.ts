// Repetition counting: the mirror of pose_ml/analysis/reps.py, plus ExerciseTracker, the
// live counter for the capture page (One Euro -> angles -> every exercise's counter).
//
// States: unknown until the signal is first at rest; rest; moving (left rest, not at depth);
// depth (reached the bottom). A rep completes when the signal is back at rest after depth,
// and counts if it lasted minDuration and no guard objected on any of its frames. The band
// between `rest` and `depth` is the hysteresis: jitter smaller than it cannot add a count.

import { computeAngles, DEFAULT_MIN_SCORE, type KeypointTriple } from './angles';
import { EXERCISES } from './exercises';
import { DEFAULT_ONE_EURO, KeypointFilter, type OneEuroParams } from './oneEuro';
import { computeSignal, type SignalSpec } from './signals';

/** An exercise as in exercises.yaml / GET /v1/exercises (snake_case: the wire form). */
export interface ExerciseDefinition {
  name: string;
  title: string;
  signal: SignalSpec;
  unit: string;
  rest: number;
  depth: number;
  min_duration_s: number;
  max_gap_s: number;
  when: ReadonlyArray<{ signal: SignalSpec; min?: number; max?: number }>;
}

export interface Rep {
  index: number; // 1-based among counted reps
  startT: number; // last moment at rest before the movement
  bottomT: number; // when the signal was most extreme
  endT: number; // back at rest (last frame seen, for a partial rep)
  depth: number; // most extreme signal value
  range: number; // max - min of the signal over the rep
  complete: boolean;
  durationS: number;
}

export type RepState = 'unknown' | 'rest' | 'moving' | 'depth';

/** The exercise's signal on one frame, and whether no guard objects to the frame. */
export function exerciseSignal(
  exercise: ExerciseDefinition,
  angles: readonly number[],
  keypoints: readonly KeypointTriple[],
  minScore = DEFAULT_MIN_SCORE,
): { value: number; guarded: boolean } {
  const value = computeSignal(exercise.signal, angles, keypoints, minScore);
  const guarded = exercise.when.every((guard) => {
    const check = computeSignal(guard.signal, angles, keypoints, minScore);
    return !(check < (guard.min ?? -Infinity) || check > (guard.max ?? Infinity)); // NaN never objects
  });
  return { value, guarded };
}

export class RepCounter {
  count = 0;
  state: RepState = 'unknown';
  private readonly sign: number;
  private startT = 0;
  private bottomT = 0;
  private lastT = 0;
  private low = NaN;
  private high = NaN;
  private extreme = NaN;
  private spoiled = false;

  constructor(readonly exercise: ExerciseDefinition) {
    this.sign = exercise.rest > exercise.depth ? -1 : 1;
  }

  private atRest(value: number): boolean {
    return this.sign * value <= this.sign * this.exercise.rest;
  }

  private atDepth(value: number): boolean {
    return this.sign * value >= this.sign * this.exercise.depth;
  }

  private restAt(t: number, value: number): void {
    this.state = 'rest';
    this.spoiled = false;
    this.startT = t;
    this.low = value;
    this.high = value;
  }

  private rep(endT: number, complete: boolean): Rep {
    return {
      index: this.count + 1,
      startT: this.startT,
      bottomT: this.bottomT,
      endT,
      depth: this.extreme,
      range: this.high - this.low,
      complete,
      durationS: endT - this.startT,
    };
  }

  /** Feed one frame in time order; returns the rep it completes, if any. */
  update(t: number, value: number, guarded = true): Rep | null {
    const gapped = this.state !== 'unknown' && t - this.lastT > this.exercise.max_gap_s;
    if (gapped) this.state = 'unknown';
    if (!Number.isFinite(value)) return null;
    this.lastT = t;
    if (this.state === 'unknown') {
      if (this.atRest(value)) this.restAt(t, value);
      return null;
    }
    if (this.atRest(value)) {
      const finished = this.state === 'depth';
      this.low = Math.min(this.low, value);
      this.high = Math.max(this.high, value);
      const rep = finished && !this.spoiled ? this.rep(t, true) : null;
      this.restAt(t, value);
      if (rep === null || rep.durationS < this.exercise.min_duration_s) return null;
      this.count += 1;
      return rep;
    }
    this.low = Math.min(this.low, value);
    this.high = Math.max(this.high, value);
    if (this.state !== 'depth' || this.sign * value > this.sign * this.extreme) {
      this.extreme = value;
      this.bottomT = t;
    }
    this.spoiled = this.spoiled || !guarded;
    if (this.state === 'rest') this.state = 'moving';
    if (this.state === 'moving' && this.atDepth(value)) {
      this.state = 'depth';
      this.extreme = value;
      this.bottomT = t;
    }
    return null;
  }

  /** At the end of a recording: the rep cut off after its depth, if any (not counted). */
  finish(): Rep | null {
    return this.state === 'depth' && !this.spoiled ? this.rep(this.lastT, false) : null;
  }
}

export interface TrackedFrame {
  smoothed: [number, number, number][];
  angles: number[];
  /** Reps completed by this frame, by exercise name. */
  completed: Array<{ exercise: string; rep: Rep }>;
}

/** Live counting for the page: feed each detected pose; read counts() for the display. */
export class ExerciseTracker {
  private readonly filter: KeypointFilter;
  private readonly counters: Map<string, RepCounter>;

  constructor(
    exercises: Readonly<Record<string, ExerciseDefinition>> = EXERCISES,
    oneEuro: Readonly<OneEuroParams> = DEFAULT_ONE_EURO,
    readonly minScore = DEFAULT_MIN_SCORE,
  ) {
    this.filter = new KeypointFilter(oneEuro, 17, minScore);
    this.counters = new Map(Object.entries(exercises).map(([name, ex]) => [name, new RepCounter(ex)]));
  }

  /** One pose at time t (seconds; the frame's capture time) -> smoothed points, angles, reps. */
  update(t: number, keypoints: readonly KeypointTriple[]): TrackedFrame {
    const smoothed = this.filter.update(t, keypoints);
    const angles = computeAngles(smoothed, this.minScore);
    const completed: TrackedFrame['completed'] = [];
    for (const [name, counter] of this.counters) {
      const { value, guarded } = exerciseSignal(counter.exercise, angles, smoothed, this.minScore);
      const rep = counter.update(t, value, guarded);
      if (rep !== null) completed.push({ exercise: name, rep });
    }
    return { smoothed, angles, completed };
  }

  counts(): Record<string, number> {
    return Object.fromEntries([...this.counters].map(([name, counter]) => [name, counter.count]));
  }

  reset(): void {
    this.filter.reset();
    for (const [name, counter] of this.counters) this.counters.set(name, new RepCounter(counter.exercise));
  }
}
