import { useEffect, useState } from 'react';
import { AdminTokenForm } from '../components/AdminTokenForm';
import { PredictionTimeline } from '../components/PredictionTimeline';
import { SessionReportView } from '../components/SessionReportView';
import {
  describeSession,
  downloadExport,
  listSessions,
  type SessionInfo,
  type SessionSummary,
  sessionPredictions,
  type StoredPrediction,
} from '../lib/api';
import { storedAdminToken } from '../lib/admin-token';
import { savedSessions, savedToken } from '../lib/saved-sessions';

/** Sessions: this browser's own (by their tokens), or every session with the admin token. */
export function SessionsPage(props: { route: string }) {
  const openId = props.route.split('/')[2];
  // The same admin token as the Models page (lib/admin-token): entered on either, used by both.
  const [adminToken, setAdminToken] = useState(storedAdminToken);
  const [all, setAll] = useState<SessionSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const loadAll = async (token: string) => {
    setError(null);
    setAdminToken(token);
    if (!token) return setAll(null);
    try {
      setAll((await listSessions(token)).sessions);
    } catch (e) {
      setError(String((e as Error).message));
    }
  };

  const rows =
    all ??
    savedSessions().map((s) => ({ id: s.id, name: s.name, model: s.model, created_at: s.createdAt ?? '', frames: -1 }));
  return (
    <main className="sessions">
      {openId ? (
        <SessionDetail id={openId} token={savedToken(openId) ?? adminToken} />
      ) : (
        <>
          <AdminTokenForm token={adminToken} onToken={loadAll} submitLabel="List all sessions" />
          {error && (
            <p className="error" data-testid="sessions-error">
              {error}
            </p>
          )}
          <table data-testid="session-list">
            <thead>
              <tr>
                <th>Session</th>
                <th>Name</th>
                <th>Classifier</th>
                <th>Created</th>
                <th>Frames</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr key={s.id}>
                  <td>
                    <a href={`#/sessions/${s.id}`}>{s.id.slice(0, 8)}</a>
                  </td>
                  <td>{s.name}</td>
                  <td>{s.model}</td>
                  <td>{s.created_at ? new Date(s.created_at).toLocaleString() : ''}</td>
                  <td>{s.frames >= 0 ? s.frames : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </main>
  );
}

function SessionDetail(props: { id: string; token: string }) {
  const [info, setInfo] = useState<SessionInfo | null>(null);
  const [predictions, setPredictions] = useState<StoredPrediction[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!props.token) return setError('No token for this session: enter the admin token on the list.');
    const load = () =>
      Promise.all([describeSession(props.id, props.token), sessionPredictions(props.id, props.token)])
        .then(([described, stored]) => {
          setInfo(described);
          setPredictions(stored);
        })
        .catch((e) => setError(String(e.message ?? e)));
    void load();
    // A session still being recorded (or stored) grows: refresh while it is open.
    const timer = setInterval(load, 3000);
    return () => clearInterval(timer);
  }, [props.id, props.token]);
  const download = (format: 'csv' | 'json') =>
    downloadExport(props.id, props.token, format).catch((e) => setError(String(e.message ?? e)));
  return (
    <section data-testid="session-detail">
      <p>
        <a href="#/sessions">← all sessions</a>
      </p>
      <h2>Session {props.id}</h2>
      {error && <p className="error">{error}</p>}
      {info && (
        <dl className="facts">
          <dt>Name</dt>
          <dd>{info.name}</dd>
          <dt>Classifier</dt>
          <dd>{info.model}</dd>
          <dt>Frames</dt>
          <dd data-testid="session-frames">{info.frames}</dd>
          <dt>Predictions</dt>
          <dd data-testid="session-predictions">{info.predictions}</dd>
        </dl>
      )}
      <div className="row">
        <button type="button" onClick={() => download('csv')}>
          Download CSV
        </button>
        <button type="button" onClick={() => download('json')}>
          Download JSON
        </button>
      </div>
      <PredictionTimeline predictions={predictions} />
      {props.token && <SessionReportView id={props.id} token={props.token} />}
    </section>
  );
}
