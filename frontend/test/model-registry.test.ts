import { describe, expect, it } from 'vitest';
import type { ConfigInfo, ModelEvent, RegistryModel } from '../src/lib/admin-api';
import {
  configsFor,
  fixed,
  modelNames,
  modelsRoute,
  parseModelsRoute,
  withOlderEvents,
} from '../src/lib/model-registry';

const configs: Record<string, ConfigInfo> = {
  yoga: { model: 'yoga', description: '', labels: null, architecture: 'mlp' },
  'yoga-knn': { model: 'yoga', description: '', labels: null, architecture: 'knn' },
  fitness: { model: 'fitness', description: '', labels: null, architecture: 'mlp' },
  broken: { error: 'bad yaml' },
};
const squats: RegistryModel = { name: 'squats', aliases: { production: 1 }, versions: [] };

describe('model registry helpers', () => {
  it('lists registered models and those a config would train, once each', () => {
    expect(modelNames([squats, { ...squats, name: 'yoga' }], configs)).toEqual(['fitness', 'squats', 'yoga']);
  });

  it("finds a model's configs", () => {
    expect(configsFor('yoga', configs)).toEqual(['yoga', 'yoga-knn']);
    expect(configsFor('squats', configs)).toEqual([]);
  });

  it('reads and writes the #/models route', () => {
    expect(parseModelsRoute('/models')).toEqual({ model: null, version: null });
    expect(parseModelsRoute('/models/yoga')).toEqual({ model: 'yoga', version: null });
    expect(parseModelsRoute('/models/yoga/2')).toEqual({ model: 'yoga', version: 2 });
    expect(parseModelsRoute('/models/yoga/x')).toEqual({ model: 'yoga', version: null });
    expect(modelsRoute('yoga', 2)).toBe('#/models/yoga/2');
    expect(fixed(0.93123)).toBe('0.931');
    expect(fixed(undefined)).toBe('–');
  });

  it('adds an older page of history below the shown one, each event once', () => {
    const event = (id: number): ModelEvent => ({
      id,
      version: 1,
      event: 'promoted',
      alias: 'production',
      actor: null,
      detail: null,
      created_at: '2026-12-05T10:00:00Z',
    });
    const shown = [event(9), event(8)];
    expect(withOlderEvents(shown, [event(7), event(6)]).map((e) => e.id)).toEqual([9, 8, 7, 6]);
    expect(withOlderEvents(shown, [event(8), event(7)]).map((e) => e.id)).toEqual([9, 8, 7]);
    expect(withOlderEvents([], [event(3)]).map((e) => e.id)).toEqual([3]);
  });
});
