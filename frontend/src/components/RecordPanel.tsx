import { useState } from 'react';
import { type Clip, type ClipPlan, normaliseLabel } from '../lib/recording';

const KEY = 'posestream.labels';
const DEFAULT_LABELS = ['squat_down', 'squat_up', 'standing'];

function loadLabels(): string[] {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? 'null');
    return Array.isArray(saved) && saved.length > 0 ? saved : DEFAULT_LABELS;
  } catch {
    return DEFAULT_LABELS;
  }
}

/** Data collection: the label list, and a labelled clip with a countdown. */
export function RecordPanel(props: {
  session: { id: string } | null;
  recording: boolean;
  clips: Clip[];
  onRecord: (plan: ClipPlan) => void;
}) {
  const [labels, setLabels] = useState<string[]>(loadLabels);
  const [label, setLabel] = useState(labels[0] ?? '');
  const [newLabel, setNewLabel] = useState('');
  const [durationS, setDurationS] = useState(10);
  const [countdownS, setCountdownS] = useState(3);
  const save = (next: string[]) => {
    setLabels(next);
    localStorage.setItem(KEY, JSON.stringify(next));
  };
  const addLabel = () => {
    const normalised = normaliseLabel(newLabel);
    if (!normalised || labels.includes(normalised)) return;
    save([...labels, normalised]);
    setLabel(normalised);
    setNewLabel('');
  };
  return (
    <section className="panel">
      <h2>Record a labelled clip</h2>
      <ul className="labels" data-testid="label-list">
        {labels.map((name) => (
          <li key={name}>
            <label className="inline">
              <input type="radio" name="clip-label" checked={label === name} onChange={() => setLabel(name)} />
              {name}
            </label>
            <button type="button" className="small" aria-label={`remove ${name}`} onClick={() => save(labels.filter((l) => l !== name))}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <div className="row">
        <input
          data-testid="new-label"
          placeholder="new label"
          value={newLabel}
          onChange={(e) => setNewLabel(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && addLabel()}
        />
        <button type="button" data-testid="add-label" onClick={addLabel}>
          Add
        </button>
      </div>
      <div className="row">
        <label>
          Seconds
          <input type="number" min={1} max={600} value={durationS} data-testid="clip-duration" onChange={(e) => setDurationS(Number(e.target.value))} />
        </label>
        <label>
          Countdown
          <input type="number" min={0} max={30} value={countdownS} data-testid="clip-countdown" onChange={(e) => setCountdownS(Number(e.target.value))} />
        </label>
      </div>
      <button
        type="button"
        data-testid="record-clip"
        disabled={!props.session || props.recording || !label}
        onClick={() => props.onRecord({ label, durationS, countdownS })}
      >
        {props.session ? `Record “${label}”` : 'Start streaming to record'}
      </button>
      {props.clips.length > 0 && (
        <table className="clips" data-testid="clip-list">
          <thead>
            <tr>
              <th>Label</th>
              <th>Frames</th>
              <th>Seq</th>
            </tr>
          </thead>
          <tbody>
            {props.clips.map((clip, i) => (
              <tr key={i}>
                <td>{clip.label}</td>
                <td data-testid="clip-frames">{clip.frames}</td>
                <td>{clip.firstSeq === null ? '–' : `${clip.firstSeq}–${clip.lastSeq}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
