import { useCallback, useRef, useState } from 'react';
import { EXERCISES } from '../analysis/exercises';
import { ExerciseTracker, exerciseSignal } from '../analysis/reps';

export interface RepView {
  count: number;
  /** The exercise's signal now (a joint angle in degrees, or torso lengths); NaN if unseen. */
  value: number;
}

/**
 * Live reps: every exercise is counted on the first person's pose, smoothed by the tracker's
 * One Euro filter (the raw keypoints are still what is streamed); the picker only chooses
 * which count shows. trackReps runs per detected frame; refreshReps copies the count and
 * signal into React state (the page calls it on its 250 ms status tick, not per frame).
 */
export function useLiveReps(initialExercise: string) {
  const tracker = useRef(new ExerciseTracker());
  const [exercise, setExercise] = useState(initialExercise in EXERCISES ? initialExercise : 'squat');
  const exerciseRef = useRef(exercise);
  exerciseRef.current = exercise;
  const signal = useRef(NaN);
  const [view, setView] = useState<RepView>({ count: 0, value: NaN });

  const trackReps = useCallback((t: number, keypoints: [number, number, number][]) => {
    const frame = tracker.current.update(t, keypoints);
    const definition = EXERCISES[exerciseRef.current];
    signal.current = definition ? exerciseSignal(definition, frame.angles, frame.smoothed).value : NaN;
  }, []);

  const refreshReps = useCallback(() => {
    const count = tracker.current.counts()[exerciseRef.current] ?? 0;
    const value = signal.current;
    setView((shown) => (shown.count === count && Object.is(shown.value, value) ? shown : { count, value }));
  }, []);

  const reset = useCallback(() => tracker.current.reset(), []);
  return { exercise, setExercise, view, trackReps, refreshReps, reset };
}

/** Live rep counter: the exercise picker, its count and its current signal. */
export function RepCounterPanel(props: {
  exercise: string;
  onExercise: (name: string) => void;
  view: RepView;
  onReset: () => void;
}) {
  const definition = EXERCISES[props.exercise];
  const unit = definition?.unit === 'deg' ? '°' : ` ${definition?.unit ?? ''}`;
  const value = Number.isFinite(props.view.value) ? `${props.view.value.toFixed(definition?.unit === 'deg' ? 0 : 2)}${unit}` : '–';
  return (
    <section className="panel rep-counter" data-testid="rep-counter">
      <h2>Rep counter</h2>
      <div className="row">
        <label>
          Exercise{' '}
          <select
            data-testid="exercise-picker"
            value={props.exercise}
            onChange={(e) => props.onExercise(e.target.value)}
          >
            {Object.values(EXERCISES).map((ex) => (
              <option key={ex.name} value={ex.name}>
                {ex.title}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={props.onReset}>
          Reset
        </button>
      </div>
      <p className="rep-count">
        <strong data-testid="rep-count" data-exercise={props.exercise}>
          {props.view.count}
        </strong>{' '}
        reps · <span data-testid="rep-signal">{value}</span>
      </p>
    </section>
  );
}
