import type { Job } from '../lib/admin-api';
import { isFinished, progressText } from '../lib/job-progress';
import { when } from '../lib/model-registry';

/** The model's recent jobs, newest first; Follow shows one's live progress. */
export function JobList(props: { jobs: Job[]; onFollow: (id: string) => void }) {
  return (
    <section data-testid="job-list">
      <h3>Recent jobs</h3>
      {props.jobs.length === 0 && <p>No jobs yet.</p>}
      <table className="grid">
        <tbody>
          {props.jobs.map((job) => (
            <tr key={job.id} data-testid={`job-row-${job.id}`} data-status={job.status}>
              <td>{when(job.created_at)}</td>
              <td>{job.kind}</td>
              <td>{job.status}</td>
              <td>{job.version ? `v${job.version}` : ''}</td>
              <td className="detail">
                {job.error ?? (isFinished(job.status) ? '' : progressText(job.progress, job.status))}
              </td>
              <td>
                <button
                  type="button"
                  className="small"
                  aria-label={`follow job ${job.id}`}
                  onClick={() => props.onFollow(job.id)}
                >
                  Follow
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
