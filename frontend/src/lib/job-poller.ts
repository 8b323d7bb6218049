// Follow one job: ask for its row now and again every interval after each answer (never two
// requests at once) until it has finished or the caller stops.
import { AdminApiError, type Job } from './admin-api';
import { isFinished } from './job-progress';

export interface JobPollerOptions {
  load: () => Promise<Job>;
  onJob: (job: Job) => void;
  onError: (error: unknown) => void;
  intervalMs?: number;
  setTimer?: (run: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

/** A 401 or 404 will not mend itself by asking again. */
function hopeless(error: unknown): boolean {
  return error instanceof AdminApiError && (error.status === 401 || error.status === 404);
}

/** Start polling; returns a function that stops it. */
export function pollJob(options: JobPollerOptions): () => void {
  const setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
  const clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  const interval = options.intervalMs ?? 1000;
  let stopped = false;
  let timer: unknown = null;

  const poll = async () => {
    timer = null;
    let again = true;
    try {
      const job = await options.load();
      if (stopped) return;
      options.onJob(job);
      again = !isFinished(job.status);
    } catch (error) {
      if (stopped) return;
      options.onError(error);
      again = !hopeless(error);
    }
    if (again && !stopped) timer = setTimer(poll, interval);
  };

  void poll();
  return () => {
    stopped = true;
    if (timer !== null) clearTimer(timer);
  };
}
