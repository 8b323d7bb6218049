// Plain helpers for the Models page: which models there are, which configs train one, and
// how figures read.
import type { ConfigInfo, ModelEvent, RegistryModel } from './admin-api';

/** Every model the registry holds or a registered config trains, sorted (none trained yet is fine). */
export function modelNames(models: RegistryModel[], configs: Record<string, ConfigInfo>): string[] {
  const names = new Set(models.map((m) => m.name));
  for (const info of Object.values(configs)) if ('model' in info) names.add(info.model);
  return [...names].sort();
}

/** The registered configs that train `model`, by name. */
export function configsFor(model: string, configs: Record<string, ConfigInfo>): string[] {
  return Object.entries(configs)
    .filter(([, info]) => 'model' in info && info.model === model)
    .map(([name]) => name)
    .sort();
}

/** A figure with fixed digits, or a dash when it is missing. */
export function fixed(value: number | null | undefined, digits = 3): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '–';
}

export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '';
}

/** The route's parts: #/models/<name>/<version>. */
export function parseModelsRoute(route: string): { model: string | null; version: number | null } {
  const [, , name, version] = route.split('/');
  const number = Number(version);
  return {
    model: name ? decodeURIComponent(name) : null,
    version: Number.isInteger(number) && number > 0 ? number : null,
  };
}

export function modelsRoute(model: string, version?: number | null): string {
  return `#/models/${encodeURIComponent(model)}${version ? `/${version}` : ''}`;
}

/** The history shown with an older page below it, each event once (only those older than the
 * oldest shown are added). */
export function withOlderEvents(shown: ModelEvent[], older: ModelEvent[]): ModelEvent[] {
  const oldest = shown.reduce((lowest, e) => Math.min(lowest, e.id), Infinity);
  return [...shown, ...older.filter((e) => e.id < oldest)];
}
