// The session WebSocket: sends pending batches in order with a window of unanswered ones,
// forgets a batch when its ack arrives, resends after slow_down, and reconnects with
// backoff (resending everything unacknowledged) when the connection drops. No React here.
import type { Batch } from './batcher';
import type { BatchBuffer } from './buffer';

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'failed' | 'closed';

export interface Prediction {
  type: 'prediction';
  seq: number;
  person: number;
  label: string;
  probability: number;
  probabilities: Record<string, number>;
  model: string;
  version: number;
  latency_ms: number;
}

/** The part of a WebSocket this client uses (so tests can hand in a fake). */
export interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** Close codes after which reconnecting cannot help: the user must act. */
export const FATAL_CLOSE_CODES: Record<number, string> = {
  4401: 'the session token was refused',
  4403: 'this page’s origin is not allowed',
  4404: 'the session does not exist',
  1007: 'the backend rejected a batch as invalid',
  1009: 'a batch was over the backend’s size limit',
};

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/** Exponential backoff with jitter: attempt 0 waits about initialMs. */
export function backoffDelay(attempt: number, backoff: Backoff, random = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt);
  return Math.round(ceiling * (0.5 + random() / 2));
}

export interface StreamOptions {
  url: string;
  buffer: BatchBuffer;
  window?: number;
  backoff?: Backoff;
  createSocket?: (url: string) => SocketLike;
  onState?: (state: ConnectionState, detail: string) => void;
  onPrediction?: (prediction: Prediction) => void;
  onAck?: (seq: number, count: number) => void;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

const OPEN = 1;

export class SessionStream {
  state: ConnectionState = 'idle';
  detail = '';
  ackedFrames = 0;
  reconnects = 0;
  private socket: SocketLike | null = null;
  private attempt = 0;
  private pausedUntilTimer: unknown = null;
  private reconnectTimer: unknown = null;
  private stopped = false;
  private readonly window: number;
  private readonly backoff: Backoff;
  private readonly createSocket: (url: string) => SocketLike;
  private readonly setTimer: (callback: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly options: StreamOptions) {
    this.window = options.window ?? 8;
    this.backoff = options.backoff ?? { initialMs: 250, maxMs: 5000 };
    this.createSocket =
      options.createSocket ?? ((url) => new WebSocket(url) as unknown as SocketLike);
    this.setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.clearTimer =
      options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  }

  /** Open the connection (and keep it open until close()). */
  connect(): void {
    this.stopped = false;
    this.open();
  }

  /** Queue a batch and send it as soon as the window allows. */
  send(batch: Batch): void {
    this.options.buffer.push(batch);
    this.pump();
  }

  /** Frames not yet acknowledged. */
  get backlog(): number {
    return this.options.buffer.frames;
  }

  /** Stop reconnecting and close the socket (pending batches stay in the buffer). */
  close(): void {
    this.stopped = true;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'client closed');
    this.setState('closed', '');
  }

  /** Wait until every queued batch is acknowledged (true) or timeoutMs passes (false). */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.options.buffer.size > 0) {
      if (Date.now() > deadline || this.state === 'failed') return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return true;
  }

  private open(): void {
    if (this.stopped) return;
    this.setState(this.attempt === 0 && this.reconnects === 0 ? 'connecting' : 'reconnecting', '');
    const socket = this.createSocket(this.options.url);
    this.socket = socket;
    socket.onopen = () => {
      if (socket !== this.socket) return;
      this.options.buffer.markUnsent(); // what was in flight on the old socket goes again
      this.setState('open', '');
      this.pump();
    };
    socket.onmessage = (event) => {
      if (socket === this.socket) this.receive(String(event.data));
    };
    socket.onclose = (event) => {
      if (socket === this.socket) this.closed(event.code, event.reason);
    };
    socket.onerror = () => undefined; // a close event always follows
  }

  private receive(text: string): void {
    let message: { type?: string; seq?: number; count?: number; retry_after_ms?: number };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.type === 'ack' && typeof message.seq === 'number') {
      const entry = this.options.buffer.ack(message.seq);
      if (entry) {
        this.attempt = 0; // the link works: the next drop starts the backoff afresh
        this.ackedFrames += entry.batch.frames.length;
        this.options.onAck?.(message.seq, message.count ?? entry.batch.frames.length);
      }
      this.pump();
    } else if (message.type === 'slow_down' && typeof message.seq === 'number') {
      this.options.buffer.markUnsent(message.seq);
      this.pause(message.retry_after_ms ?? 1000);
    } else if (message.type === 'prediction') {
      this.options.onPrediction?.(message as unknown as Prediction);
    }
  }

  private pump(): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN || this.pausedUntilTimer !== null) return;
    const buffer = this.options.buffer;
    while (buffer.inFlight < this.window) {
      const entry = buffer.nextUnsent();
      if (!entry) return;
      entry.sent = true;
      socket.send(JSON.stringify(entry.batch));
    }
  }

  private pause(ms: number): void {
    if (this.pausedUntilTimer !== null) this.clearTimer(this.pausedUntilTimer);
    this.pausedUntilTimer = this.setTimer(() => {
      this.pausedUntilTimer = null;
      this.pump();
    }, ms);
  }

  private closed(code: number, reason: string): void {
    this.socket = null;
    if (this.stopped) return;
    const fatal = FATAL_CLOSE_CODES[code];
    if (fatal) {
      this.stopped = true;
      this.setState('failed', `${fatal}${reason ? ` (${reason})` : ''} [${code}]`);
      return;
    }
    // 1012 restart, 1001 going away, 1006 dropped, 1011/1013 try again, anything else: retry.
    const delay = backoffDelay(this.attempt, this.backoff);
    this.attempt += 1;
    this.reconnects += 1;
    this.setState('reconnecting', `connection closed (${code}); retrying in ${delay} ms`);
    this.reconnectTimer = this.setTimer(() => {
      this.reconnectTimer = null;
      this.open();
    }, delay);
  }

  private clearTimers(): void {
    for (const timer of [this.pausedUntilTimer, this.reconnectTimer]) {
      if (timer !== null) this.clearTimer(timer);
    }
    this.pausedUntilTimer = null;
    this.reconnectTimer = null;
  }

  private setState(state: ConnectionState, detail: string): void {
    this.state = state;
    this.detail = detail;
    this.options.onState?.(state, detail);
  }
}
