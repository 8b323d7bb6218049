import type { ModelList } from '../lib/api';
import type { StreamingSession } from '../lib/session';

/** Start/stop streaming, and the classifier the session's frames go to. */
export function SessionPanel(props: {
  session: StreamingSession | null;
  classifier: string;
  models: ModelList | null;
  onClassifier: (name: string) => void;
  onStart: () => void;
  onStop: () => void;
}) {
  const names = props.models?.models.map((m) => m.name) ?? [];
  if (props.classifier && !names.includes(props.classifier)) names.unshift(props.classifier);
  return (
    <section className="panel">
      <h2>Session</h2>
      <label>
        Classifier
        <select
          data-testid="classifier-picker"
          value={props.classifier}
          disabled={props.session !== null}
          onChange={(e) => props.onClassifier(e.target.value)}
        >
          {names.map((name) => {
            const info = props.models?.models.find((m) => m.name === name);
            const version = info?.production ?? info?.versions.at(-1);
            return (
              <option key={name} value={name}>
                {name}
                {version !== undefined ? ` (v${version})` : ' (no version yet)'}
              </option>
            );
          })}
        </select>
      </label>
      {props.session ? (
        <>
          <p data-testid="session-id">
            Streaming to session <code>{props.session.id}</code>
          </p>
          <button type="button" data-testid="stop-streaming" onClick={props.onStop}>
            Stop streaming
          </button>{' '}
          <button
            type="button"
            title="BlazePose's 33 points and 3D world points (kept in this page; the stream carries 17)"
            onClick={() => props.session?.downloadExtras()}
          >
            Download extra keypoints
          </button>
        </>
      ) : (
        <button type="button" data-testid="start-streaming" onClick={props.onStart}>
          Start streaming
        </button>
      )}
    </section>
  );
}
