import { describe, expect, it } from 'vitest';
import type { ConfigInfo, RegistryModel } from '../src/lib/admin-api';
import { configsFor, fixed, modelNames, modelsRoute, parseModelsRoute } from '../src/lib/model-registry';

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
});
