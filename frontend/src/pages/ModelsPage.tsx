import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { AdminTokenForm } from '../components/AdminTokenForm';
import { storedAdminToken } from '../lib/admin-token';
import { JobList } from '../components/JobList';
import { ModelEvents } from '../components/ModelEvents';
import { ModelReport } from '../components/ModelReport';
import { ModelVersionTable } from '../components/ModelVersionTable';
import { TrainForm } from '../components/TrainForm';
import { TrainingProgress } from '../components/TrainingProgress';
import {
  AdminApi,
  type ConfigInfo,
  errorMessage,
  type Job,
  type JobKind,
  type ModelEvent,
  type RegistryModel,
  type TrainBody,
} from '../lib/admin-api';
import { isFinished } from '../lib/job-progress';
import { configsFor, modelNames, modelsRoute, parseModelsRoute, withOlderEvents } from '../lib/model-registry';

/** Every model's versions and the registered configs, reloaded on demand. */
function useRegistry(api: AdminApi | null) {
  const [models, setModels] = useState<RegistryModel[]>([]);
  const [configs, setConfigs] = useState<Record<string, ConfigInfo>>({});
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [tick, setTick] = useState(0);
  const shownFor = useRef<AdminApi | null>(null);
  useEffect(() => {
    if (shownFor.current !== api) {
      // Another token: what the last one could see must not stay on screen.
      shownFor.current = api;
      setModels([]);
      setConfigs({});
      setLoaded(false);
    }
    if (!api) return;
    let cancelled = false;
    Promise.all([api.models(), api.configs()])
      .then(([m, c]) => {
        if (cancelled) return;
        setModels(m);
        setConfigs(c);
        setError(null);
        setLoaded(true);
      })
      .catch((e) => !cancelled && setError(errorMessage(e)));
    return () => {
      cancelled = true;
    };
  }, [api, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { models, configs, error, loaded, reload, tick };
}

type Message = { text: string; outcome: 'ok' | 'refused' | 'error' };

/** Model registry and training: versions, reports, promotion, training jobs. Admin token only. */
export function ModelsPage(props: { route: string }) {
  const [token, setToken] = useState(storedAdminToken);
  const api = useMemo(() => (token ? new AdminApi(token) : null), [token]);
  const registry = useRegistry(api);
  const route = parseModelsRoute(props.route);
  const names = modelNames(registry.models, registry.configs);
  const model = route.model ?? names[0] ?? null;
  return (
    <main className="models" data-testid="models-page" data-loaded={registry.loaded}>
      <div className="row">
        <AdminTokenForm token={token} onToken={setToken} />
        <button type="button" data-testid="models-refresh" disabled={!api} onClick={registry.reload}>
          Refresh
        </button>
      </div>
      {!api && <p data-testid="admin-token-needed">Enter the admin token to see and train models.</p>}
      {registry.error && (
        <p className="error" data-testid="admin-error">
          {registry.error}
        </p>
      )}
      <nav className="model-tabs">
        {names.map((name) => (
          <a
            key={name}
            href={modelsRoute(name)}
            data-testid={`model-tab-${name}`}
            className={name === model ? 'active' : ''}
          >
            {name}
          </a>
        ))}
      </nav>
      {api && model && registry.loaded && (
        <ModelSection
          key={model}
          api={api}
          name={model}
          registered={registry.models.find((m) => m.name === model)}
          configs={configsFor(model, registry.configs)}
          openVersion={route.version}
          reloads={registry.tick}
          onChanged={registry.reload}
        />
      )}
    </main>
  );
}

/** Events of a model's history loaded at a time (the API allows up to 500). */
const EVENT_PAGE = 20;

interface SectionProps {
  api: AdminApi;
  name: string;
  registered: RegistryModel | undefined;
  configs: string[];
  openVersion: number | null;
  /** Counts the page's Refresh clicks: the jobs and history reload with the registry. */
  reloads: number;
  onChanged: () => void;
}

/** One model: its versions, the open version's report, training, jobs and history. */
function ModelSection({ api, name, registered, configs, openVersion, reloads, onChanged }: SectionProps) {
  const [jobId, setJobId] = useState<string | null>(null);
  const [jobs, setJobs] = useState<Job[]>([]);
  const [events, setEvents] = useState<ModelEvent[]>([]);
  // The `before` of the next older page of history (null: all shown), and whether it loads.
  const [olderEvents, setOlderEvents] = useState<number | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  // Bumped on every reload: an older page asked for before it belongs to a list no longer shown.
  const historyLoads = useRef(0);
  const [message, setMessage] = useState<Message | null>(null);
  const [trainError, setTrainError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  const refresh = () => {
    onChanged();
    setTick((t) => t + 1);
  };

  useEffect(() => {
    let cancelled = false;
    Promise.all([api.jobs(name), api.eventPage(name, EVENT_PAGE)])
      .then(([loadedJobs, history]) => {
        if (cancelled) return;
        historyLoads.current += 1;
        setJobs(loadedJobs);
        setEvents(history.events);
        setOlderEvents(history.next);
        // Back on the page while a job runs: follow it.
        const running = loadedJobs.find((job) => !isFinished(job.status));
        if (running) setJobId((current) => current ?? running.id);
      })
      .catch((e) => !cancelled && setMessage({ text: errorMessage(e), outcome: 'error' }));
    return () => {
      cancelled = true;
    };
  }, [api, name, tick, reloads]);

  const loadOlderEvents = () => {
    if (olderEvents === null) return;
    const load = historyLoads.current;
    setLoadingOlder(true);
    api
      .eventPage(name, EVENT_PAGE, olderEvents)
      .then((page) => {
        if (load !== historyLoads.current) return;
        setEvents((shown) => withOlderEvents(shown, page.events));
        setOlderEvents(page.next);
      })
      .catch((e) => setMessage({ text: errorMessage(e), outcome: 'error' }))
      .finally(() => setLoadingOlder(false));
  };

  const act = (run: () => Promise<Message>) => {
    setBusy(true);
    setMessage(null);
    run()
      .catch((e): Message => ({ text: errorMessage(e), outcome: 'error' }))
      .then(setMessage)
      .finally(() => {
        setBusy(false);
        refresh();
      });
  };
  const promote = (version: number, force: boolean) =>
    act(async () => {
      const answer = await api.promote(name, version, force);
      return answer.promoted
        ? { text: `v${version} is production now (${answer.reason})`, outcome: 'ok' }
        : { text: `v${version} was not promoted: ${answer.reason}`, outcome: 'refused' };
    });
  const rollback = () =>
    act(async () => {
      const answer = await api.rollback(name);
      return { text: `production rolled back to v${answer.production} (was v${answer.previous})`, outcome: 'ok' };
    });
  // The followed job's row is fresher than the list's: keep the list in step with it.
  const follow = (job: Job) =>
    setJobs((list) =>
      list.map((j) => (j.id === job.id ? { ...j, ...job, version: job.result?.version ?? j.version } : j)),
    );
  const start = (kind: JobKind, body: TrainBody) => {
    setBusy(true);
    setTrainError(null);
    api
      .startJob(kind, name, body)
      .then((started) => {
        setJobId(started.job_id);
        setTick((t) => t + 1);
      })
      .catch((e) => setTrainError(errorMessage(e)))
      .finally(() => setBusy(false));
  };

  return (
    <section className="model" data-testid={`model-${name}`}>
      <ModelVersionTable
        model={registered ?? { name, aliases: {}, versions: [] }}
        openVersion={openVersion}
        busy={busy}
        onPromote={promote}
        onRollback={rollback}
      />
      {message && (
        <p
          className={message.outcome === 'ok' ? 'notice' : 'error'}
          data-testid="registry-message"
          data-outcome={message.outcome}
        >
          {message.text}
        </p>
      )}
      {openVersion && <ModelReport api={api} model={name} version={openVersion} />}
      <div className="model-work">
        <div>
          <TrainForm model={name} configs={configs} busy={busy} error={trainError} onStart={start} />
          {jobId && <TrainingProgress key={jobId} api={api} jobId={jobId} onJob={follow} onFinished={refresh} />}
        </div>
        <div>
          <JobList jobs={jobs} onFollow={setJobId} />
          <ModelEvents
            events={events}
            onOlder={olderEvents === null ? undefined : loadOlderEvents}
            loadingOlder={loadingOlder}
          />
        </div>
      </div>
    </section>
  );
}
