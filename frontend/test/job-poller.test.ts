import { describe, expect, it } from 'vitest';
import { AdminApiError, type Job, type JobStatus } from '../src/lib/admin-api';
import { pollJob } from '../src/lib/job-poller';

const job = (status: JobStatus, epoch = 0): Job => ({
  id: 'j',
  kind: 'train',
  model: 'yoga',
  status,
  progress: { epoch, epochs: 3 },
  error: null,
  cancel_requested: false,
  created_at: '2026-01-01T00:00:00Z',
  started_at: null,
  finished_at: null,
});

/** A poller on a manual timer, answering from `replies` in order. */
function setup(replies: (Job | Error)[]) {
  const timers: (() => void)[] = [];
  const seen: Job[] = [];
  const errors: unknown[] = [];
  let loads = 0;
  const stop = pollJob({
    load: async () => {
      const reply = replies[Math.min(loads++, replies.length - 1)];
      if (reply instanceof Error) throw reply;
      return reply;
    },
    onJob: (j) => seen.push(j),
    onError: (e) => errors.push(e),
    intervalMs: 1000,
    setTimer: (run) => timers.push(run),
    clearTimer: () => timers.splice(0),
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  const tick = async () => {
    await settle();
    timers.shift()?.();
    await settle();
  };
  return { stop, seen, errors, timers, tick, settle, loads: () => loads };
}

describe('pollJob', () => {
  it('asks at once, then after each answer, until the job has finished', async () => {
    const t = setup([job('queued'), job('running', 1), job('running', 2), job('succeeded', 3)]);
    for (let i = 0; i < 5; i++) await t.tick();
    expect(t.seen.map((j) => [j.status, j.progress.epoch])).toEqual([
      ['queued', 0],
      ['running', 1],
      ['running', 2],
      ['succeeded', 3],
    ]);
    expect(t.loads()).toBe(4);
    expect(t.timers).toEqual([]);
  });

  it('reports a passing error and keeps polling', async () => {
    const t = setup([new Error('network down'), job('running', 1), job('failed', 1)]);
    for (let i = 0; i < 4; i++) await t.tick();
    expect(t.errors.map((e) => (e as Error).message)).toEqual(['network down']);
    expect(t.seen.map((j) => j.status)).toEqual(['running', 'failed']);
  });

  it('gives up on a refused token or an unknown job', async () => {
    const t = setup([new AdminApiError(401, '401 the admin token was refused')]);
    for (let i = 0; i < 3; i++) await t.tick();
    expect(t.loads()).toBe(1);
    expect(t.errors).toHaveLength(1);
  });

  it('stops when told, even with an answer on its way', async () => {
    const t = setup([job('running', 1)]);
    t.stop();
    await t.settle();
    expect(t.seen).toEqual([]);
    expect(t.timers).toEqual([]);
  });
});
