// The backend's REST API (ingest service), as the page uses it.

export interface SessionCreated {
  id: string;
  token: string;
  model: string;
  stream_url: string;
}

export interface ModelSummary {
  name: string;
  versions: number[];
  aliases: Record<string, number>;
  production: number | null;
}

export interface ModelList {
  default: string;
  models: ModelSummary[];
}

export interface SessionSummary {
  id: string;
  name: string;
  model: string;
  created_at: string;
  frames: number;
}

export interface SessionInfo extends SessionSummary {
  predictions: number;
  last_seq: number | null;
}

export interface StoredFrame {
  seq: number;
  person: number;
  t: number;
  label: string | null;
  keypoints: number[][];
}

export interface StoredPrediction {
  seq: number;
  person: number;
  model: string;
  version: number;
  label: string;
  probability: number;
  latency_ms: number;
}

interface Cursor {
  after_seq: number;
  after_person: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function apiUrl(path: string): string {
  return new URL(path.replace(/^\//, ''), document.baseURI).href;
}

async function call<T>(path: string, init: RequestInit = {}, token?: string): Promise<T> {
  const headers = new Headers(init.headers);
  if (token) headers.set('Authorization', `Bearer ${token}`);
  if (init.body) headers.set('Content-Type', 'application/json');
  const reply = await fetch(apiUrl(path), { ...init, headers });
  if (!reply.ok) {
    let detail = reply.statusText;
    try {
      const body = await reply.json();
      detail = typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail);
    } catch {
      /* not JSON: keep the status text */
    }
    throw new ApiError(reply.status, `${path}: ${reply.status} ${detail}`);
  }
  return (await reply.json()) as T;
}

export function createSession(model: string | null, name: string): Promise<SessionCreated> {
  const body = JSON.stringify(model ? { model, name } : { name });
  return call<SessionCreated>('/v1/sessions', { method: 'POST', body });
}

export function listModels(): Promise<ModelList> {
  return call<ModelList>('/v1/models');
}

export function listSessions(adminToken: string): Promise<{ sessions: SessionSummary[] }> {
  return call('/v1/sessions?limit=200', {}, adminToken);
}

export function describeSession(id: string, token: string): Promise<SessionInfo> {
  return call(`/v1/sessions/${id}`, {}, token);
}

async function allPages<T>(path: string, key: string, token: string, max = 20_000): Promise<T[]> {
  const rows: T[] = [];
  let after: Cursor | null = { after_seq: -1, after_person: 255 };
  while (after && rows.length < max) {
    const query = `limit=5000&after_seq=${after.after_seq}&after_person=${after.after_person}`;
    const page: Record<string, unknown> = await call(`${path}?${query}`, {}, token);
    rows.push(...(page[key] as T[]));
    after = page.next as Cursor | null;
  }
  return rows;
}

export function sessionFrames(id: string, token: string): Promise<StoredFrame[]> {
  return allPages(`/v1/sessions/${id}/frames`, 'frames', token);
}

export function sessionPredictions(id: string, token: string): Promise<StoredPrediction[]> {
  return allPages(`/v1/sessions/${id}/predictions`, 'predictions', token);
}

/** Download an export with the bearer token (a plain link cannot carry it). */
export async function downloadExport(id: string, token: string, format: 'csv' | 'json') {
  const reply = await fetch(apiUrl(`/v1/sessions/${id}/export.${format}`), {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!reply.ok) throw new ApiError(reply.status, `export failed: ${reply.status}`);
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await reply.blob());
  link.download = `session-${id}.${format}`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

export function streamUrl(created: SessionCreated): string {
  const url = new URL(created.stream_url);
  url.searchParams.set('token', created.token);
  return url.href;
}

export interface RepRecord {
  index: number;
  start_s: number;
  bottom_s: number;
  end_s: number;
  duration_s: number;
  depth: number;
  range: number;
  complete: boolean;
}

export interface ExerciseSummary {
  title: string;
  unit: string;
  count: number;
  reps: RepRecord[];
  partial: RepRecord | null;
  mean_range: number | null;
  mean_duration_s: number | null;
}

/** GET /v1/sessions/{id}/report (docs/analysis.md), the fields the page shows. */
export interface SessionReport {
  session_id: string;
  detector: { name: string; version: string } | null;
  width: number | null;
  height: number | null;
  frames: number;
  duration_s: number;
  fps: number | null;
  mean_confidence: number | null;
  exercises: Record<string, ExerciseSummary>;
  plots: Record<'angles_png' | 'angles_svg' | 'timeline_png' | 'timeline_svg', string>;
}

export function sessionReport(id: string, token: string): Promise<SessionReport> {
  return call(`/v1/sessions/${id}/report`, {}, token);
}

/** A report plot fetched with the bearer token, as an object URL for <img> or a link. */
export async function plotObjectUrl(path: string, token: string): Promise<string> {
  const reply = await fetch(apiUrl(path), { headers: { Authorization: `Bearer ${token}` } });
  if (!reply.ok) throw new ApiError(reply.status, `${path}: ${reply.status}`);
  return URL.createObjectURL(await reply.blob());
}
