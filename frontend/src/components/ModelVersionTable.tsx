import { useState } from 'react';
import type { RegistryModel } from '../lib/admin-api';
import { fixed, modelsRoute, when } from '../lib/model-registry';

interface Props {
  model: RegistryModel;
  openVersion: number | null;
  busy: boolean;
  onPromote: (version: number, force: boolean) => void;
  onRollback: () => void;
}

/** A model's versions, newest first: aliases, figures, and Promote / Roll back. */
export function ModelVersionTable({ model, openVersion, busy, onPromote, onRollback }: Props) {
  const [force, setForce] = useState<Record<number, boolean>>({});
  const production = model.aliases.production;
  return (
    <section data-testid="model-versions">
      <div className="row">
        <h3>
          Versions · production{' '}
          <span data-testid="production-version">{production ? `v${production}` : 'none'}</span>
        </h3>
        <button type="button" data-testid="rollback-button" disabled={busy || !production} onClick={onRollback}>
          Roll back production
        </button>
      </div>
      <table data-testid="version-table" className="grid">
        <thead>
          <tr>
            <th>Version</th>
            <th>Aliases</th>
            <th title="on the evaluation split: the held-out groups every candidate is compared on">
              Held-out accuracy
            </th>
            <th>Held-out macro-F1</th>
            <th>CV mean accuracy</th>
            <th>Config</th>
            <th>Created</th>
            <th>Promote</th>
          </tr>
        </thead>
        <tbody>
          {model.versions.map((v) => (
            <tr
              key={v.version}
              data-testid={`version-row-${v.version}`}
              data-aliases={v.aliases.join(' ')}
              className={v.version === openVersion ? 'open' : ''}
            >
              <td>
                <a href={modelsRoute(model.name, v.version)} data-testid={`version-link-${v.version}`}>
                  v{v.version}
                </a>
              </td>
              <td>
                {v.aliases.map((alias) => (
                  <span key={alias} className={`badge ${alias}`} data-testid={`alias-${alias}`}>
                    {alias}
                  </span>
                ))}
              </td>
              <td data-testid={`version-accuracy-${v.version}`}>{fixed(v.metrics.accuracy)}</td>
              <td>{fixed(v.metrics.macro_f1)}</td>
              <td title={v.metrics.cv_kind ?? ''}>{fixed(v.metrics.cv_mean_accuracy)}</td>
              <td>{v.config ?? ''}</td>
              <td>{when(v.created)}</td>
              <td className="nowrap">
                <label className="inline">
                  <input
                    type="checkbox"
                    data-testid={`promote-force-${v.version}`}
                    aria-label={`force the promotion of v${v.version}`}
                    checked={!!force[v.version]}
                    onChange={(e) => setForce({ ...force, [v.version]: e.target.checked })}
                  />{' '}
                  force
                </label>{' '}
                <button
                  type="button"
                  data-testid={`promote-${v.version}`}
                  disabled={busy || v.version === production}
                  aria-label={`promote v${v.version}`}
                  onClick={() => {
                    onPromote(v.version, !!force[v.version]);
                    setForce({ ...force, [v.version]: false }); // a force is for one click
                  }}
                >
                  Promote
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {model.versions.length === 0 && <p>No versions yet: train one below.</p>}
    </section>
  );
}
