// The Train form's fields -> the body of POST /v1/admin/models/{name}/train (or /tune).
import type { JobKind, PromoteMode, TrainBody } from './admin-api';

export interface TrainFields {
  /** Registered config name; empty for the model's own. */
  config: string;
  /** Epochs override; empty for the config's. */
  epochs: string;
  promote: PromoteMode;
  /** JSON object of config overrides, dotted or nested: {"architecture.hidden": [32]}. */
  overrides: string;
  /** JSON object of dataset fields: {"source_prefix": "import:yoga"}. */
  dataset: string;
}

export const EMPTY_FIELDS: TrainFields = { config: '', epochs: '', promote: 'auto', overrides: '', dataset: '' };

export class FormError extends Error {}

function jsonObject(text: string, field: string): Record<string, unknown> | undefined {
  if (!text.trim()) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FormError(`${field}: not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new FormError(`${field}: must be a JSON object, like {"training.epochs": 5}`);
  }
  return value as Record<string, unknown>;
}

/** The request body; a FormError says which field is wrong. The epochs field wins over JSON.
 * For a tuning job the epochs are each trial's (tuning.epochs) and there is nothing to promote. */
export function buildTrainBody(fields: TrainFields, kind: JobKind = 'train'): TrainBody {
  const body: TrainBody = kind === 'train' ? { promote: fields.promote } : {};
  if (fields.config) body.config = fields.config;
  const overrides = { ...jsonObject(fields.overrides, 'overrides') };
  if (fields.epochs.trim()) {
    const epochs = Number(fields.epochs);
    if (!Number.isInteger(epochs) || epochs < 1) throw new FormError('epochs: a whole number of at least 1');
    overrides[kind === 'train' ? 'training.epochs' : 'tuning.epochs'] = epochs;
  }
  if (Object.keys(overrides).length) body.overrides = overrides;
  const dataset = jsonObject(fields.dataset, 'dataset');
  if (dataset) body.dataset = dataset;
  return body;
}
