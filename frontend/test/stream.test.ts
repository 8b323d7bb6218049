import { describe, expect, it } from 'vitest';
import { BatchBuffer } from '../src/lib/buffer';
import {
  backoffDelay,
  type ConnectionState,
  type Prediction,
  SessionStream,
  type SocketLike,
} from '../src/lib/stream';
import { batch } from './helpers';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: { first: number; last: number }[] = [];
  closedWith: number | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  send(data: string): void {
    const frames = JSON.parse(data).frames as { seq: number }[];
    this.sent.push({ first: frames[0].seq, last: frames[frames.length - 1].seq });
  }
  close(code = 1000): void {
    this.closedWith = code;
  }
  accept(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  reply(message: object): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

/** A stream on fake sockets and a manual clock. */
function setup(window = 2) {
  const sockets: FakeSocket[] = [];
  const timers: { at: number; run: () => void }[] = [];
  const states: ConnectionState[] = [];
  const predictions: Prediction[] = [];
  let now = 0;
  const buffer = new BatchBuffer();
  const stream = new SessionStream({
    url: 'ws://test/v1/sessions/s/stream?token=t',
    buffer,
    window,
    backoff: { initialMs: 100, maxMs: 1000 },
    createSocket: () => {
      const socket = new FakeSocket();
      sockets.push(socket);
      return socket;
    },
    onState: (state) => states.push(state),
    onPrediction: (p) => predictions.push(p),
    setTimer: (run, ms) => {
      const timer = { at: now + ms, run };
      timers.push(timer);
      return timer;
    },
    clearTimer: (timer) => {
      const index = timers.indexOf(timer as (typeof timers)[number]);
      if (index >= 0) timers.splice(index, 1);
    },
  });
  const advance = (ms: number) => {
    now += ms;
    for (const timer of timers.filter((t) => t.at <= now)) {
      timers.splice(timers.indexOf(timer), 1);
      timer.run();
    }
  };
  const socket = () => sockets[sockets.length - 1];
  return { stream, buffer, sockets, socket, states, predictions, advance };
}

const ack = (seq: number, count = 10) => ({ type: 'ack', seq, count });

describe('SessionStream', () => {
  it('sends within its window and forgets batches as their acks arrive', () => {
    const t = setup(2);
    t.stream.connect();
    t.socket().accept();
    for (const first of [0, 10, 20]) t.stream.send(batch(first, first + 9));
    expect(t.socket().sent.map((s) => s.first)).toEqual([0, 10]); // window of 2
    t.socket().reply(ack(9));
    expect(t.socket().sent.map((s) => s.first)).toEqual([0, 10, 20]);
    t.socket().reply(ack(19));
    t.socket().reply(ack(29));
    expect(t.stream.backlog).toBe(0);
    expect(t.stream.ackedFrames).toBe(30);
    expect(t.states).toEqual(['connecting', 'open']);
  });

  it('queues while connecting and sends on open', () => {
    const t = setup();
    t.stream.connect();
    t.stream.send(batch(0, 9));
    expect(t.socket().sent).toEqual([]);
    t.socket().accept();
    expect(t.socket().sent).toEqual([{ first: 0, last: 9 }]);
  });

  it('resends from the seq of a slow_down after the delay it asks for', () => {
    const t = setup(4);
    t.stream.connect();
    t.socket().accept();
    for (const first of [0, 10, 20]) t.stream.send(batch(first, first + 9));
    t.socket().reply(ack(9));
    t.socket().reply({ type: 'slow_down', seq: 10, retry_after_ms: 500 });
    t.socket().reply(ack(29)); // the server took the later batch after all
    t.stream.send(batch(30, 39));
    expect(t.socket().sent.map((s) => s.first)).toEqual([0, 10, 20]); // paused
    t.advance(499);
    expect(t.socket().sent).toHaveLength(3);
    t.advance(1);
    expect(t.socket().sent.map((s) => s.first)).toEqual([0, 10, 20, 10, 30]);
    expect(t.buffer.pending().map((e) => e.first)).toEqual([10, 30]);
  });

  it('reconnects with growing backoff and resends every unacknowledged batch', () => {
    const t = setup(8);
    t.stream.connect();
    t.socket().accept();
    for (const first of [0, 10, 20]) t.stream.send(batch(first, first + 9));
    t.socket().reply(ack(9));
    t.socket().drop(1006);
    expect(t.stream.state).toBe('reconnecting');
    t.stream.send(batch(30, 39)); // captured while disconnected
    t.advance(100); // attempt 0 waits 50..100 ms
    expect(t.sockets).toHaveLength(2);
    t.socket().drop(1012); // the server restarts again before accepting
    t.advance(100);
    expect(t.sockets).toHaveLength(2); // attempt 1 waits 100..200 ms
    t.advance(100);
    expect(t.sockets).toHaveLength(3);
    t.socket().accept();
    expect(t.socket().sent.map((s) => s.first)).toEqual([10, 20, 30]);
    for (const seq of [19, 29, 39]) t.socket().reply(ack(seq));
    expect(t.stream.backlog).toBe(0);
    expect(t.stream.reconnects).toBe(2);
  });

  it('stops for good on a close code that reconnecting cannot fix', () => {
    for (const code of [4401, 4403, 4404, 1007, 1009]) {
      const t = setup();
      t.stream.connect();
      t.socket().accept();
      t.stream.send(batch(0, 9));
      t.socket().drop(code, 'reason from server');
      t.advance(10_000);
      expect(t.sockets).toHaveLength(1);
      expect(t.stream.state).toBe('failed');
      expect(t.stream.detail).toContain('reason from server');
      expect(t.stream.backlog).toBe(10); // kept, not lost
    }
  });

  it('hands predictions to its listener and ignores junk', () => {
    const t = setup();
    t.stream.connect();
    t.socket().accept();
    t.socket().onmessage?.({ data: 'not json' });
    t.socket().reply({
      type: 'prediction',
      seq: 3,
      person: 0,
      label: 'squat',
      probability: 0.9,
      probabilities: { squat: 0.9, stand: 0.1 },
      model: 'fitness',
      version: 2,
      latency_ms: 4,
    });
    expect(t.predictions.map((p) => [p.label, p.model, p.version])).toEqual([['squat', 'fitness', 2]]);
  });

  it('closes without reconnecting when asked', () => {
    const t = setup();
    t.stream.connect();
    t.socket().accept();
    const socket = t.socket();
    t.stream.close();
    socket.drop(1000);
    t.advance(10_000);
    expect(socket.closedWith).toBe(1000);
    expect(t.sockets).toHaveLength(1);
    expect(t.stream.state).toBe('closed');
  });
});

describe('backoffDelay', () => {
  it('doubles up to its ceiling, with jitter in the upper half', () => {
    const backoff = { initialMs: 250, maxMs: 5000 };
    expect(backoffDelay(0, backoff, () => 1)).toBe(250);
    expect(backoffDelay(0, backoff, () => 0)).toBe(125);
    expect(backoffDelay(3, backoff, () => 1)).toBe(2000);
    expect(backoffDelay(10, backoff, () => 1)).toBe(5000);
  });
});
