import { type FormEvent, useState } from 'react';
import type { JobKind, PromoteMode, TrainBody } from '../lib/admin-api';
import { buildTrainBody, EMPTY_FIELDS, FormError, type TrainFields } from '../lib/train-request';

interface Props {
  model: string;
  configs: string[];
  busy: boolean;
  /** Why the last start was refused (the API's 400 reason). */
  error: string | null;
  onStart: (kind: JobKind, body: TrainBody) => void;
}

const PROMOTE_MODES: { value: PromoteMode; text: string }[] = [
  { value: 'auto', text: 'auto: if it beats production' },
  { value: 'never', text: 'never: keep as candidate' },
  { value: 'force', text: 'force: make it production' },
];

/** Start a training (or tuning) job: config, epochs, promotion, advanced JSON overrides. */
export function TrainForm({ model, configs, busy, error, onStart }: Props) {
  const [fields, setFields] = useState<TrainFields>(EMPTY_FIELDS);
  const [problem, setProblem] = useState<string | null>(null);
  const set = (key: keyof TrainFields) => (e: { target: { value: string } }) =>
    setFields({ ...fields, [key]: e.target.value });

  const start = (kind: JobKind) => (event?: FormEvent) => {
    event?.preventDefault();
    setProblem(null);
    try {
      onStart(kind, buildTrainBody(fields, kind));
    } catch (error) {
      if (!(error instanceof FormError)) throw error;
      setProblem(error.message);
    }
  };

  return (
    <form className="panel train-form" data-testid="train-form" onSubmit={start('train')}>
      <h3>Train {model}</h3>
      <label>
        Config
        <select data-testid="train-config" value={fields.config} onChange={set('config')}>
          <option value="">{configs.includes(model) ? `${model} (default)` : 'the model’s own'}</option>
          {configs
            .filter((name) => name !== model)
            .map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
        </select>
      </label>
      <label title="Train: the fit's epochs. Tune: each trial's epochs.">
        Epochs
        <input
          type="number"
          min={1}
          data-testid="train-epochs"
          placeholder="the config's"
          value={fields.epochs}
          onChange={set('epochs')}
        />
      </label>
      <label>
        Promote
        <select data-testid="train-promote" value={fields.promote} onChange={set('promote')}>
          {PROMOTE_MODES.map((mode) => (
            <option key={mode.value} value={mode.value}>
              {mode.text}
            </option>
          ))}
        </select>
      </label>
      <details>
        <summary>Advanced overrides (JSON)</summary>
        <label>
          Config overrides
          <textarea
            data-testid="train-overrides"
            rows={4}
            placeholder='{"architecture.hidden": [64], "augment.copies": 0}'
            value={fields.overrides}
            onChange={set('overrides')}
          />
        </label>
        <label>
          Dataset
          <textarea
            data-testid="train-dataset"
            rows={2}
            placeholder='{"source_prefix": "import:yoga"}'
            value={fields.dataset}
            onChange={set('dataset')}
          />
        </label>
      </details>
      {problem && (
        <p className="error" data-testid="train-form-error">
          {problem}
        </p>
      )}
      {error && (
        <p className="error" data-testid="train-error">
          {error}
        </p>
      )}
      <div className="row">
        <button type="submit" data-testid="train-submit" disabled={busy}>
          Train
        </button>
        <button type="button" data-testid="tune-submit" disabled={busy} onClick={start('tune')}>
          Tune
        </button>
      </div>
    </form>
  );
}
