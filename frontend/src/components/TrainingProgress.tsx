import { useEffect, useState } from 'react';
import { type AdminApi, errorMessage, type Job } from '../lib/admin-api';
import { pollJob } from '../lib/job-poller';
import {
  isFinished,
  metricsText,
  progressFraction,
  progressText,
  timeLeftText,
  tuneOutcome,
} from '../lib/job-progress';

/** The job's row, polled every second until it has finished. */
function useJob(api: AdminApi, jobId: string, onJob: (job: Job) => void, onFinished: (job: Job) => void) {
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setJob(null);
    setError(null);
    return pollJob({
      load: () => api.job(jobId),
      onJob: (loaded) => {
        setJob(loaded);
        setError(null);
        onJob(loaded);
        if (isFinished(loaded.status)) onFinished(loaded);
      },
      onError: (e) => setError(errorMessage(e)),
    });
    // The callbacks are the parent's of the moment; a new one must not restart polling.
  }, [api, jobId]);
  return { job, error, setError };
}

function outcome(job: Job): string {
  if (job.status === 'failed') return `failed: ${job.error ?? 'no reason given'}`;
  if (job.status === 'cancelled') return 'cancelled';
  if (job.kind === 'tune' && job.result?.best) return tuneOutcome(job.result);
  const version = job.result?.version;
  const promotion = job.result?.promotion;
  const promoted = promotion ? (promotion.promoted ? 'promoted' : `not promoted: ${promotion.reason}`) : '';
  return [version ? `published v${version}` : 'succeeded', promoted].filter(Boolean).join(' · ');
}

/** Live progress of one job: bar of the whole job, time left, where it is, its latest metrics, Cancel. */
export function TrainingProgress(props: {
  api: AdminApi;
  jobId: string;
  onJob: (job: Job) => void;
  onFinished: (job: Job) => void;
}) {
  const { job, error, setError } = useJob(props.api, props.jobId, props.onJob, props.onFinished);
  const [cancelling, setCancelling] = useState(false);
  const cancel = () => props.api.cancelJob(props.jobId).catch((e) => setError(errorMessage(e)));
  const fraction = job ? progressFraction(job) : 0;
  const finished = job ? isFinished(job.status) : false;
  return (
    <section
      className="panel job-progress"
      data-testid="job-progress"
      data-job={props.jobId}
      data-status={job?.status ?? ''}
      data-epoch={job?.progress?.epoch ?? ''}
    >
      <h3>
        {job?.kind ?? 'job'} {props.jobId}: <span data-testid="job-status">{job?.status ?? 'loading'}</span>
      </h3>
      <progress
        data-testid="job-progress-bar"
        aria-label="how far the whole job is (every fold, trial and the final fit)"
        title="how far the whole job is"
        max={1}
        value={fraction}
      />{' '}
      <span data-testid="job-time-left">{job ? timeLeftText(job) : ''}</span>
      <p data-testid="job-phase">
        {/* A finished job's last phase ("deciding promotion") would read as still going. */}
        {job ? progressText(finished ? { ...job.progress, phase: job.status } : job.progress, job.status) : ''}
      </p>
      <p data-testid="job-metrics">{metricsText(job?.progress?.metrics)}</p>
      {job && finished && <p data-testid="job-result">{outcome(job)}</p>}
      {job && finished && job.kind === 'tune' && job.result?.best && (
        <p>
          Train with these: paste into Advanced overrides{' '}
          <code data-testid="job-tuned-overrides">{JSON.stringify(job.result.best.overrides)}</code>
        </p>
      )}
      {job?.cancel_requested && !finished && <p>Cancel requested: it stops at its next epoch.</p>}
      {error && (
        <p className="error" data-testid="job-error">
          {error}
        </p>
      )}
      {!finished && (
        <button
          type="button"
          data-testid="job-cancel"
          onClick={() => {
            setCancelling(true);
            cancel().finally(() => setCancelling(false));
          }}
          disabled={job?.cancel_requested || cancelling}
        >
          Cancel
        </button>
      )}
    </section>
  );
}
