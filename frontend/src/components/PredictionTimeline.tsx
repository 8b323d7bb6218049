import type { StoredPrediction } from '../lib/api';

const COLOURS = ['#22d3ee', '#f472b6', '#a3e635', '#facc15', '#fb923c', '#c084fc', '#60a5fa', '#f87171'];

/** Predicted label over the session's seqs: one coloured bar per run of the same label. */
export function PredictionTimeline(props: { predictions: StoredPrediction[] }) {
  const rows = props.predictions.filter((p) => p.person === 0);
  if (rows.length === 0) return <p>No predictions stored for this session.</p>;
  const labels = [...new Set(rows.map((p) => p.label))].sort();
  const first = rows[0].seq;
  const span = Math.max(1, rows[rows.length - 1].seq - first + 1);
  const runs: { label: string; from: number; to: number }[] = [];
  for (const p of rows) {
    const last = runs[runs.length - 1];
    if (last && last.label === p.label) last.to = p.seq;
    else runs.push({ label: p.label, from: p.seq, to: p.seq });
  }
  const colour = (label: string) => COLOURS[labels.indexOf(label) % COLOURS.length];
  return (
    <figure className="timeline" data-testid="prediction-timeline">
      <svg viewBox={`0 0 ${span} 10`} preserveAspectRatio="none" role="img" aria-label="predicted labels over time">
        {runs.map((run, i) => (
          <rect key={i} x={run.from - first} y={0} width={run.to - run.from + 1} height={10} fill={colour(run.label)}>
            <title>
              {run.label}: seq {run.from}–{run.to}
            </title>
          </rect>
        ))}
      </svg>
      <figcaption>
        {labels.map((label) => (
          <span key={label} className="legend">
            <i style={{ background: colour(label) }} /> {label}
          </span>
        ))}{' '}
        ({rows.length} predictions, model {rows[rows.length - 1].model} v{rows[rows.length - 1].version})
      </figcaption>
    </figure>
  );
}
