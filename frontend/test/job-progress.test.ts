import { describe, expect, it } from 'vitest';
import {
  isFinished,
  metricsText,
  progressFraction,
  progressText,
  timeLeft,
  timeLeftText,
  tuneOutcome,
} from '../src/lib/job-progress';

describe('job progress', () => {
  it('fills the bar by epochs of the current fit', () => {
    expect(progressFraction({ status: 'running', progress: { epoch: 6, epochs: 15 } })).toBeCloseTo(0.4);
    expect(progressFraction({ status: 'queued', progress: {} })).toBe(0);
    expect(progressFraction({ status: 'running', progress: { epoch: 20, epochs: 15 } })).toBe(1);
    expect(progressFraction({ status: 'succeeded', progress: { phase: 'deciding promotion' } })).toBe(1);
  });

  it("fills the bar with the whole job's fraction when the trainer reports it", () => {
    const progress = { fold: 2, folds: 5, epoch: 15, epochs: 15, fraction: 0.3333 };
    expect(progressFraction({ status: 'running', progress })).toBeCloseTo(0.3333);
    expect(progressFraction({ status: 'running', progress: { fraction: 1.2 } })).toBe(1);
    expect(progressFraction({ status: 'succeeded', progress: { fraction: 0.99 } })).toBe(1);
  });

  it('says how much of the job is done and how long it should still take', () => {
    expect(timeLeftText({ status: 'running', progress: { fraction: 0.42, eta_s: 185 } })).toBe(
      '42% · about 3 min left',
    );
    expect(timeLeftText({ status: 'running', progress: { fraction: 0.99 } })).toBe('99%');
    expect(timeLeftText({ status: 'running', progress: { epoch: 3, epochs: 9 } })).toBe('');
    expect(timeLeftText({ status: 'succeeded', progress: { fraction: 0.99, eta_s: 2 } })).toBe('');
    expect([timeLeft(40.4), timeLeft(185), timeLeft(3900), timeLeft(-1)]).toEqual([
      'about 40 s left',
      'about 3 min left',
      'about 1 h 5 min left',
      'about 0 s left',
    ]);
  });

  it('says where the job is, with only the parts it reports', () => {
    expect(progressText({ phase: 'cross-validation', fold: 2, folds: 5, epoch: 7, epochs: 15 })).toBe(
      'cross-validation · fold 2/5 · epoch 7/15',
    );
    expect(progressText({ phase: 'training', fold: null, member: 1, members: 3, epoch: 1, epochs: 4 })).toBe(
      'training · member 1/3 · epoch 1/4',
    );
    expect(progressText({ phase: 'tuning', trial: 3, trials: 8 })).toBe('tuning · trial 3/8');
    expect(progressText({}, 'queued')).toBe('queued');
  });

  it('shows the latest loss and accuracies', () => {
    expect(metricsText({ loss: 0.51234, accuracy: 0.8, val_accuracy: 0.75, lr: 0.001 })).toBe(
      'loss 0.512 · accuracy 0.800 · val_accuracy 0.750',
    );
    expect(metricsText({ held_out_accuracy: 0.84211, loss: 0.2, held_out_loss: 0.9 })).toBe(
      'loss 0.200 · held_out_accuracy 0.842',
    );
    expect(metricsText(undefined)).toBe('');
  });

  it('knows which statuses are final', () => {
    expect(['queued', 'running', 'succeeded', 'failed', 'cancelled'].map((s) => isFinished(s as never))).toEqual([
      false,
      false,
      true,
      true,
      true,
    ]);
  });

  it("says what a tuning job found and where its config is", () => {
    const text = tuneOutcome({
      best: { values: { layers: 2, units: 16, learning_rate: 0.0012345 }, val_accuracy: 0.94321, overrides: {} },
      trials_run: 3,
      stopped_by_budget: true,
      config_file: 'var/data/tuned/yoga-tune-1.yaml',
    });
    expect(text).toBe(
      'best of 3 trials (stopped by the time budget): val_accuracy 0.943 (layers 2, units 16, learning_rate 0.00123)' +
        ' · config written to var/data/tuned/yoga-tune-1.yaml',
    );
  });
});
