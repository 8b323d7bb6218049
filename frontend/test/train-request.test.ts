import { describe, expect, it } from 'vitest';
import { buildTrainBody, EMPTY_FIELDS, FormError } from '../src/lib/train-request';

describe('buildTrainBody', () => {
  it("leaves out what the form leaves empty (the model's own config)", () => {
    expect(buildTrainBody(EMPTY_FIELDS)).toEqual({ promote: 'auto' });
  });

  it('merges the epochs field into the JSON overrides, and takes the dataset JSON', () => {
    const body = buildTrainBody({
      config: 'yoga',
      epochs: '15',
      promote: 'never',
      overrides: '{"training.epochs": 99, "architecture.hidden": [32], "evaluation.cross_validation": null}',
      dataset: '{"source_prefix": "import:yoga"}',
    });
    expect(body).toEqual({
      config: 'yoga',
      promote: 'never',
      overrides: { 'training.epochs': 15, 'architecture.hidden': [32], 'evaluation.cross_validation': null },
      dataset: { source_prefix: 'import:yoga' },
    });
  });

  it('says which field is wrong', () => {
    const bad = (fields: Partial<typeof EMPTY_FIELDS>) => () => buildTrainBody({ ...EMPTY_FIELDS, ...fields });
    expect(bad({ overrides: '{"training.epochs": ' })).toThrow(/^overrides: not valid JSON/);
    expect(bad({ dataset: '[1, 2]' })).toThrow(/^dataset: must be a JSON object/);
    expect(bad({ epochs: '2.5' })).toThrow(FormError);
    expect(bad({ epochs: '0' })).toThrow(/^epochs:/);
  });

  it("gives a tuning job's epochs to each trial and asks for no promotion", () => {
    const fields = { ...EMPTY_FIELDS, epochs: '2', promote: 'force' as const };
    expect(buildTrainBody(fields, 'tune')).toEqual({ overrides: { 'tuning.epochs': 2 } });
    expect(buildTrainBody(fields, 'train')).toEqual({ promote: 'force', overrides: { 'training.epochs': 2 } });
  });
});
