// Groups detected frames into wire batches: one batch per interval (e.g. 100 ms) or when it
// reaches its size limit, never splitting the people of one instant across batches.
import type { Keypoint } from './skeleton';

export interface Detector {
  name: string;
  version: string;
}

/** One detected pose at one instant, as the contract's Frame. */
export interface WireFrame {
  seq: number;
  t: number;
  keypoints: Keypoint[];
  person?: number;
  label?: string;
}

/** One Batch message of the wire contract. */
export interface Batch {
  detector: Detector;
  width: number;
  height: number;
  frames: WireFrame[];
}

/** What every frame of a batch shares. */
export interface BatchHeader {
  detector: Detector;
  width: number;
  height: number;
}

export interface BatcherOptions {
  maxFrames?: number;
  maxDelayMs?: number;
  onBatch: (batch: Batch) => void;
  now?: () => number;
}

export const MAX_BATCH_FRAMES = 512; // the backend's limit (pose_common.contracts)

export function firstSeq(batch: Batch): number {
  return batch.frames[0].seq;
}

export function lastSeq(batch: Batch): number {
  return batch.frames[batch.frames.length - 1].seq;
}

function sameHeader(a: BatchHeader, b: BatchHeader): boolean {
  return (
    a.width === b.width &&
    a.height === b.height &&
    a.detector.name === b.detector.name &&
    a.detector.version === b.detector.version
  );
}

export class FrameBatcher {
  private readonly maxFrames: number;
  private readonly maxDelayMs: number;
  private readonly onBatch: (batch: Batch) => void;
  private readonly now: () => number;
  private header: BatchHeader | null = null;
  private frames: WireFrame[] = [];
  private openedAt = 0;

  constructor(options: BatcherOptions) {
    this.maxFrames = Math.min(options.maxFrames ?? 30, MAX_BATCH_FRAMES);
    this.maxDelayMs = options.maxDelayMs ?? 100;
    this.onBatch = options.onBatch;
    this.now = options.now ?? (() => performance.now());
  }

  /** Add the frames of one instant (one per person); may emit the batch before or after. */
  addInstant(header: BatchHeader, frames: WireFrame[]): void {
    if (frames.length === 0) return;
    const headerChanged = this.header !== null && !sameHeader(this.header, header);
    if (headerChanged || this.frames.length + frames.length > this.maxFrames) this.flush();
    if (this.frames.length === 0) {
      this.header = { ...header, width: Math.round(header.width), height: Math.round(header.height) };
      this.openedAt = this.now();
    }
    this.frames.push(...frames);
    if (this.frames.length >= this.maxFrames) this.flush();
    else this.tick();
  }

  /** Emit the open batch if it has waited its interval (call from the render loop too). */
  tick(): void {
    if (this.frames.length > 0 && this.now() - this.openedAt >= this.maxDelayMs) this.flush();
  }

  /** Emit whatever is open now. */
  flush(): void {
    if (this.frames.length === 0 || this.header === null) return;
    const batch: Batch = { ...this.header, frames: this.frames };
    this.frames = [];
    this.onBatch(batch);
  }

  get pendingFrames(): number {
    return this.frames.length;
  }
}
