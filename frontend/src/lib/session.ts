// One capture session: created on the backend, its frames numbered, batched, buffered in
// IndexedDB and streamed; what the page shows about it (backlog, acks, predictions).
import { createSession, type SessionCreated, streamUrl } from './api';
import { type BatchHeader, FrameBatcher, type WireFrame } from './batcher';
import { BatchBuffer, type BatchStore, MemoryStore } from './buffer';
import { IdbStore, openDatabase } from './idb-store';
import { RunningMean } from './rate';
import { rememberSession } from './saved-sessions';
import type { Keypoint } from './skeleton';
import { type ConnectionState, type Prediction, SessionStream } from './stream';

const MAX_EXTRAS = 20_000;

export interface PersonPose {
  keypoints: Keypoint[];
  person: number;
}

export interface SessionListener {
  onState?: (state: ConnectionState, detail: string) => void;
  onPrediction?: (prediction: Prediction) => void;
}

async function storeFor(sessionId: string): Promise<BatchStore> {
  try {
    return new IdbStore(await openDatabase(), sessionId);
  } catch (error) {
    console.warn('IndexedDB unavailable, buffering in memory only:', error);
    return new MemoryStore();
  }
}

export class StreamingSession {
  /** The seq the next instant gets (one seq per instant; people share it). */
  nextSeq = 0;
  framesQueued = 0;
  readonly streamCostMs = new RunningMean(120);
  /** What a detector finds beyond the 17 points (BlazePose: 33 points, 3D world points),
   * per seq and person. The v1 wire contract carries 17 points only, so these stay in the
   * page (the latest MAX_EXTRAS instants) and can be downloaded with the session. */
  readonly extras = new Map<number, unknown[]>();
  private readonly batcher: FrameBatcher;

  private constructor(
    readonly created: SessionCreated,
    readonly name: string,
    readonly stream: SessionStream,
    readonly buffer: BatchBuffer,
  ) {
    this.batcher = new FrameBatcher({ maxFrames: 30, maxDelayMs: 100, onBatch: (b) => stream.send(b) });
  }

  /** Create a session on the backend and connect its stream. */
  static async start(model: string | null, name: string, listener: SessionListener = {}) {
    const created = await createSession(model, name);
    rememberSession({ id: created.id, token: created.token, name, model: created.model });
    const buffer = new BatchBuffer({ maxFrames: 200_000, store: await storeFor(created.id) });
    const stream = new SessionStream({
      url: streamUrl(created),
      buffer,
      onState: listener.onState,
      onPrediction: listener.onPrediction,
    });
    const session = new StreamingSession(created, name, stream, buffer);
    stream.connect();
    return session;
  }

  get id(): string {
    return this.created.id;
  }

  /** Queue the poses of one instant (t in seconds since the epoch); returns its seq. */
  addInstant(header: BatchHeader, t: number, poses: PersonPose[], label?: string): number {
    const started = performance.now();
    const seq = this.nextSeq;
    this.nextSeq += 1;
    const frames: WireFrame[] = poses.map((pose) => {
      const frame: WireFrame = { seq, t, keypoints: pose.keypoints, person: pose.person };
      if (label) frame.label = label;
      return frame;
    });
    this.batcher.addInstant(header, frames);
    this.framesQueued += frames.length;
    this.streamCostMs.add(performance.now() - started);
    return seq;
  }

  /** Keep the extra points of one instant (oldest dropped past MAX_EXTRAS). */
  keepExtras(seq: number, extras: unknown[]): void {
    this.extras.set(seq, extras);
    if (this.extras.size > MAX_EXTRAS) this.extras.delete(this.extras.keys().next().value as number);
  }

  /** The kept extra points as a JSON download. */
  downloadExtras(): void {
    const rows = [...this.extras].map(([seq, people]) => ({ seq, people }));
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([JSON.stringify({ session: this.id, rows })], { type: 'application/json' }));
    link.download = `session-${this.id}-extra-keypoints.json`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  }

  /** Let a due batch go even when no new frame arrives. */
  tick(): void {
    this.batcher.tick();
  }

  /** Send what is open, wait for the acks (up to timeoutMs), then close. */
  async finish(timeoutMs = 10_000): Promise<boolean> {
    this.batcher.flush();
    const drained = await this.stream.drain(timeoutMs);
    this.stream.close();
    return drained;
  }
}
