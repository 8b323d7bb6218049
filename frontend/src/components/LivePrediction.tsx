import type { Prediction } from '../lib/stream';

/** The backend's latest label per person, with probability and model version. */
export function LivePrediction(props: { predictions: Record<number, Prediction> }) {
  const people = Object.values(props.predictions).sort((a, b) => a.person - b.person);
  if (people.length === 0) {
    return (
      <p className="live-prediction empty" data-testid="live-label-empty">
        No live label yet
      </p>
    );
  }
  return (
    <ul className="live-prediction" data-testid="live-prediction">
      {people.map((p) => (
        <li key={p.person} data-person={p.person}>
          {people.length > 1 && <span className="person">#{p.person}</span>}
          <strong data-testid="live-label">{p.label}</strong>{' '}
          <span data-testid="live-probability">{(p.probability * 100).toFixed(0)}%</span>{' '}
          <span className="model" data-testid="live-model">
            {p.model} v{p.version} · {p.latency_ms.toFixed(0)} ms
          </span>
        </li>
      ))}
    </ul>
  );
}
