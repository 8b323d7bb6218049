// The model registry admin API of ingest (/v1/admin/..., routes/models_admin.py), as the
// Models page uses it. Every call carries the admin token as a bearer header.

export type PromoteMode = 'auto' | 'never' | 'force';
export type JobKind = 'train' | 'tune';
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export type ConfigInfo =
  | { model: string; description: string; labels: string[] | null; architecture: string }
  | { error: string };

export interface VersionMetrics {
  accuracy?: number;
  macro_f1?: number;
  frames?: number;
  cv_mean_accuracy?: number;
  cv_pooled_accuracy?: number;
  cv_kind?: string;
}

export interface ModelVersion {
  version: number;
  aliases: string[];
  metrics: VersionMetrics;
  labels: string[];
  config: string | null;
  job_id: string | null;
  created: string | null;
}

export interface RegistryModel {
  name: string;
  aliases: Record<string, number>;
  /** Newest first. */
  versions: ModelVersion[];
}

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Evaluation {
  accuracy: number;
  macro_f1: number;
  frames?: number;
  per_class: Record<string, ClassScores>;
  confusion_matrix: number[][];
  labels: string[];
}

export interface CrossValidation {
  kind: string;
  mean_accuracy: number;
  pooled_accuracy: number;
  min_accuracy?: number;
  folds: Record<string, { accuracy: number; macro_f1?: number; frames: number }>;
}

export interface VersionReport {
  manifest: Record<string, unknown>;
  report: {
    evaluation?: Evaluation;
    cross_validation?: CrossValidation | null;
    history?: Record<string, number[]>;
    split?: Record<string, unknown>;
    training_data?: Record<string, unknown>;
  };
  files: string[];
}

export interface ModelEvent {
  id: number;
  version: number | null;
  event: string;
  alias: string | null;
  actor: string | null;
  detail: Record<string, unknown> | null;
  created_at: string;
}

export interface EventPage {
  events: ModelEvent[];
  /** The `before` of the page after this one; null on the last. */
  next: number | null;
}

export interface JobProgress {
  phase?: string;
  epoch?: number;
  epochs?: number;
  fold?: number | null;
  folds?: number | null;
  member?: number | null;
  members?: number | null;
  trial?: number | null;
  trials?: number | null;
  metrics?: Record<string, number>;
  /** How far the whole job is, 0..1, and the seconds it should still take. */
  fraction?: number;
  eta_s?: number;
  [key: string]: unknown;
}

export interface Job {
  id: string;
  kind: JobKind;
  model: string;
  status: JobStatus;
  progress: JobProgress;
  error: string | null;
  cancel_requested: boolean;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** In the job list: the version the job published, if any. */
  version?: number | null;
  result?: {
    version?: number;
    promotion?: { promoted: boolean; reason: string };
    /** A tuning job's outcome. */
    best?: { values: Record<string, number>; val_accuracy: number; overrides: Record<string, unknown> };
    trials_run?: number;
    stopped_by_budget?: boolean;
    config_file?: string;
  } | null;
}

export interface TrainBody {
  config?: string;
  overrides?: Record<string, unknown>;
  dataset?: Record<string, unknown>;
  promote?: PromoteMode;
}

export interface JobStarted {
  job_id: string;
  created: boolean;
  kind: JobKind;
  frames: Record<string, number>;
}

export interface PromoteAnswer {
  promoted: boolean;
  reason: string;
  production?: number | null;
  [key: string]: unknown;
}

export interface RollbackAnswer {
  production: number;
  previous: number | null;
  [key: string]: unknown;
}

export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }

  get unauthorized(): boolean {
    return this.status === 401;
  }
}

/** A FastAPI error body as one line: a string detail, or pydantic's list of problems. */
export function describeDetail(body: unknown): string | null {
  if (!body || typeof body !== 'object' || !('detail' in body)) return null;
  const detail = (body as { detail: unknown }).detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((problem) => {
        const where = Array.isArray(problem?.loc) ? problem.loc.filter((p: unknown) => p !== 'body').join('.') : '';
        return where ? `${where}: ${problem?.msg}` : String(problem?.msg ?? JSON.stringify(problem));
      })
      .join('; ');
  }
  return JSON.stringify(detail);
}

export interface AdminApiOptions {
  /** Base the API paths resolve against (default: the page's own base URL). */
  base?: string;
  fetch?: typeof fetch;
}

export class AdminApi {
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(
    readonly token: string,
    options: AdminApiOptions = {},
  ) {
    this.base = options.base ?? document.baseURI;
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  url(path: string): string {
    return new URL(path.replace(/^\//, ''), this.base).href;
  }

  /** The reply, or an AdminApiError with the server's reason (statuses in `accept` pass). */
  private async send(path: string, init: RequestInit = {}, accept: number[] = []): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${this.token}`);
    if (init.body) headers.set('Content-Type', 'application/json');
    const reply = await this.fetch(this.url(path), { ...init, headers });
    if (reply.ok || accept.includes(reply.status)) return reply;
    let reason = reply.statusText || 'request failed';
    try {
      reason = describeDetail(await reply.json()) ?? reason;
    } catch {
      /* not JSON: keep the status text */
    }
    if (reply.status === 401) reason = `the admin token was refused (${reason})`;
    throw new AdminApiError(reply.status, `${reply.status} ${reason}`);
  }

  private async json<T>(path: string, init: RequestInit = {}, accept: number[] = []): Promise<T> {
    return (await (await this.send(path, init, accept)).json()) as T;
  }

  private post<T>(path: string, body: unknown, accept: number[] = []): Promise<T> {
    return this.json<T>(path, { method: 'POST', body: JSON.stringify(body) }, accept);
  }

  async configs(): Promise<Record<string, ConfigInfo>> {
    return (await this.json<{ configs: Record<string, ConfigInfo> }>('/v1/admin/configs')).configs;
  }

  async models(): Promise<RegistryModel[]> {
    return (await this.json<{ models: RegistryModel[] }>('/v1/admin/models')).models;
  }

  versionReport(model: string, version: number): Promise<VersionReport> {
    return this.json(`/v1/admin/models/${enc(model)}/versions/${version}`);
  }

  /** A report plot (it needs the bearer header, so no plain <img src>) as an object URL. */
  async plotObjectUrl(model: string, version: number, file: string): Promise<string> {
    const reply = await this.send(`/v1/admin/models/${enc(model)}/versions/${version}/${enc(file)}`);
    return URL.createObjectURL(await reply.blob());
  }

  async events(model: string, limit = 50): Promise<ModelEvent[]> {
    return (await this.eventPage(model, limit)).events;
  }

  /** A page of the model's history, newest first; `next` (as `before`) gives the older page. */
  eventPage(model: string, limit = 50, before?: number | null): Promise<EventPage> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (before != null) query.set('before', String(before));
    return this.json(`/v1/admin/models/${enc(model)}/events?${query}`);
  }

  startJob(kind: JobKind, model: string, body: TrainBody): Promise<JobStarted> {
    return this.post(`/v1/admin/models/${enc(model)}/${kind}`, body);
  }

  async jobs(model?: string, limit = 20): Promise<Job[]> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (model) query.set('model', model);
    return (await this.json<{ jobs: Job[] }>(`/v1/admin/jobs?${query}`)).jobs;
  }

  job(id: string): Promise<Job> {
    return this.json(`/v1/admin/jobs/${enc(id)}`);
  }

  cancelJob(id: string): Promise<{ job_id: string; status: JobStatus; cancel_requested: boolean }> {
    return this.post(`/v1/admin/jobs/${enc(id)}/cancel`, {});
  }

  /** 200 promoted, or 409 with the reason it was refused: both are answers, not errors. */
  promote(model: string, version: number, force = false): Promise<PromoteAnswer> {
    return this.post(`/v1/admin/models/${enc(model)}/promote`, { version, force }, [409]);
  }

  rollback(model: string, toVersion?: number): Promise<RollbackAnswer> {
    return this.post(`/v1/admin/models/${enc(model)}/rollback`, toVersion ? { to_version: toVersion } : {});
  }
}

const enc = encodeURIComponent;

/** A message for the user: the API's reason, with a hint when the token is the problem. */
export function errorMessage(error: unknown): string {
  if (error instanceof AdminApiError && error.unauthorized) {
    return `${error.message}: enter the admin token (POSE_ADMIN_TOKEN; "dev-admin-token" in dev mode)`;
  }
  return error instanceof Error ? error.message : String(error);
}
