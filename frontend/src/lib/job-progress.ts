// What a training job's row says, as the page shows it: a fraction of the whole job for the bar,
// the time it should still take, one line of where it is (phase, fold, member, trial, epoch) and
// one of its latest metrics.
import type { Job, JobProgress, JobStatus } from './admin-api';

const FINISHED: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];
// held_out_accuracy: the served model on the evaluation split, for watching only (see docs/training.md).
const SHOWN_METRICS = ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'held_out_accuracy'];

export function isFinished(status: JobStatus): boolean {
  return FINISHED.includes(status);
}

/**
 * How far the whole job is, 0..1: the trainer's `fraction` (every fold's fit, the final fit and
 * tuning trials counted, pose_trainer.progress); a job that does not report one fills with the
 * epochs of its current fit. A succeeded job is full, an unstarted one empty.
 */
export function progressFraction(job: Pick<Job, 'status' | 'progress'>): number {
  if (job.status === 'succeeded') return 1;
  const { epoch, epochs, fraction } = job.progress ?? {};
  if (typeof fraction === 'number') return Math.min(1, Math.max(0, fraction));
  if (!epochs || !epoch) return 0;
  return Math.min(1, Math.max(0, epoch / epochs));
}

/** "42% · about 3 min left" while the job runs ('' once it has finished or cannot say). */
export function timeLeftText(job: Pick<Job, 'status' | 'progress'>): string {
  const { fraction, eta_s: eta } = job.progress ?? {};
  if (isFinished(job.status) || typeof fraction !== 'number') return '';
  const percent = `${Math.round(fraction * 100)}%`;
  return typeof eta === 'number' ? `${percent} · ${timeLeft(eta)}` : percent;
}

/** "about 40 s left", "about 3 min left", "about 1 h 5 min left". */
export function timeLeft(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `about ${s} s left`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `about ${minutes} min left`;
  return `about ${Math.floor(minutes / 60)} h ${minutes % 60} min left`;
}

/** "training · fold 2/5 · member 1/3 · epoch 7/15" (only the parts the job reports). */
export function progressText(progress: JobProgress | null | undefined, status: JobStatus = 'running'): string {
  const p = progress ?? {};
  const parts = [p.phase ?? status];
  for (const [key, total] of [
    ['trial', 'trials'],
    ['fold', 'folds'],
    ['member', 'members'],
  ] as const) {
    if (p[key]) parts.push(`${key} ${p[key]}/${p[total] ?? '?'}`);
  }
  if (p.epoch) parts.push(`epoch ${p.epoch}/${p.epochs ?? '?'}`);
  return parts.join(' · ');
}

/** "loss 0.512 · accuracy 0.810" from the latest epoch's metrics (empty when none yet). */
export function metricsText(metrics: Record<string, number> | null | undefined): string {
  if (!metrics) return '';
  return SHOWN_METRICS.filter((key) => typeof metrics[key] === 'number')
    .map((key) => `${key} ${metrics[key].toFixed(3)}`)
    .join(' · ');
}

/** "best of 3 trials: val_accuracy 0.943 (layers 2, units 16, ...)" and where its config is. */
export function tuneOutcome(result: NonNullable<Job['result']>): string {
  const best = result.best!;
  const values = Object.entries(best.values)
    .map(([key, value]) => `${key} ${Number.isInteger(value) ? value : value.toPrecision(3)}`)
    .join(', ');
  const budget = result.stopped_by_budget ? ' (stopped by the time budget)' : '';
  const file = result.config_file ? ` · config written to ${result.config_file}` : '';
  return `best of ${result.trials_run ?? '?'} trials${budget}: val_accuracy ${best.val_accuracy.toFixed(3)} (${values})${file}`;
}
