import { BACKENDS, type BackendName, type BackendTiming } from '../lib/backend';
import { DETECTORS, type DetectorId } from '../lib/detector';

/** Pose model and TF.js backend pickers (the backend was measured at start). */
export function ModelControls(props: {
  detectorId: DetectorId;
  onDetector: (id: DetectorId) => void;
  backend: string;
  timings: BackendTiming[];
  onBackend: (name: BackendName) => void;
  threshold: number;
  onThreshold: (threshold: number) => void;
}) {
  const timing = (name: string) => {
    const t = props.timings.find((entry) => entry.backend === name);
    if (!t) return '';
    return t.msPerRun === null ? ' (unavailable)' : ` (${t.msPerRun.toFixed(1)} ms probe)`;
  };
  return (
    <section className="panel">
      <h2>Pose model</h2>
      <label>
        Model
        <select
          data-testid="detector-picker"
          value={props.detectorId}
          onChange={(e) => props.onDetector(e.target.value as DetectorId)}
        >
          {DETECTORS.map((d) => (
            <option key={d.id} value={d.id}>
              {d.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        TF.js backend
        <select
          data-testid="backend-picker"
          value={props.backend}
          onChange={(e) => props.onBackend(e.target.value as BackendName)}
        >
          {!BACKENDS.includes(props.backend as BackendName) && <option value={props.backend}>{props.backend}</option>}
          {BACKENDS.map((name) => (
            <option key={name} value={name}>
              {name}
              {timing(name)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Draw keypoints scoring at least {props.threshold.toFixed(2)}
        <input
          type="range"
          data-testid="score-threshold"
          min={0}
          max={1}
          step={0.05}
          value={props.threshold}
          onChange={(e) => props.onThreshold(Number(e.target.value))}
        />
      </label>
    </section>
  );
}
