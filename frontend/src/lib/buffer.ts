// Batches not yet acknowledged by the backend, in seq order, bounded in frames. Kept in
// memory for speed and written behind to a BatchStore (IndexedDB in the page), so frames
// captured while disconnected survive until they are sent, even across a page reload.
import { type Batch, firstSeq, lastSeq } from './batcher';

export interface PendingBatch {
  first: number;
  last: number;
  batch: Batch;
  /** Sent on the current connection and not yet answered. */
  sent: boolean;
}

/** Where pending batches persist (write-behind: failures are reported, never thrown). */
export interface BatchStore {
  load(): Promise<Batch[]>;
  put(batch: Batch): Promise<void>;
  delete(first: number): Promise<void>;
  clear(): Promise<void>;
}

export class MemoryStore implements BatchStore {
  private readonly batches = new Map<number, Batch>();
  async load(): Promise<Batch[]> {
    return [...this.batches.values()].sort((a, b) => firstSeq(a) - firstSeq(b));
  }
  async put(batch: Batch): Promise<void> {
    this.batches.set(firstSeq(batch), batch);
  }
  async delete(first: number): Promise<void> {
    this.batches.delete(first);
  }
  async clear(): Promise<void> {
    this.batches.clear();
  }
}

export interface BufferOptions {
  maxFrames?: number;
  store?: BatchStore;
  onStoreError?: (error: unknown) => void;
}

export class BatchBuffer {
  readonly maxFrames: number;
  private readonly store: BatchStore;
  private readonly onStoreError: (error: unknown) => void;
  private entries: PendingBatch[] = [];
  private frameCount = 0;
  /** Frames dropped (oldest first) because the buffer was full. */
  dropped = 0;

  constructor(options: BufferOptions = {}) {
    this.maxFrames = options.maxFrames ?? 100_000;
    this.store = options.store ?? new MemoryStore();
    this.onStoreError = options.onStoreError ?? ((error) => console.warn('batch store:', error));
  }

  /** Load what a previous page left unsent for this store (call once, before push). */
  async restore(): Promise<number> {
    for (const batch of await this.store.load()) this.insert(batch, false);
    return this.entries.length;
  }

  /** Queue a batch; the oldest batches go when the buffer is over its bound. */
  push(batch: Batch): void {
    this.insert(batch, true);
    while (this.frameCount > this.maxFrames && this.entries.length > 1) {
      const oldest = this.entries.shift() as PendingBatch;
      this.frameCount -= oldest.batch.frames.length;
      this.dropped += oldest.batch.frames.length;
      this.persist(this.store.delete(oldest.first));
    }
  }

  /** Forget the batch the backend acknowledged (its ack carries the batch's last seq). */
  ack(seq: number): PendingBatch | undefined {
    const index = this.entries.findIndex((entry) => entry.last === seq);
    if (index < 0) return undefined;
    const [entry] = this.entries.splice(index, 1);
    this.frameCount -= entry.batch.frames.length;
    this.persist(this.store.delete(entry.first));
    return entry;
  }

  /** Mark every batch from `seq` on (or all) as to be sent again. */
  markUnsent(fromSeq = -Infinity): void {
    for (const entry of this.entries) if (entry.first >= fromSeq) entry.sent = false;
  }

  /** The next batch to send, if any. */
  nextUnsent(): PendingBatch | undefined {
    return this.entries.find((entry) => !entry.sent);
  }

  get inFlight(): number {
    return this.entries.filter((entry) => entry.sent).length;
  }

  get frames(): number {
    return this.frameCount;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Pending batches, oldest first (a copy). */
  pending(): PendingBatch[] {
    return [...this.entries];
  }

  async clear(): Promise<void> {
    this.entries = [];
    this.frameCount = 0;
    await this.store.clear();
  }

  private insert(batch: Batch, persist: boolean): void {
    const entry = { first: firstSeq(batch), last: lastSeq(batch), batch, sent: false };
    let index = this.entries.length;
    while (index > 0 && this.entries[index - 1].first > entry.first) index -= 1;
    this.entries.splice(index, 0, entry);
    this.frameCount += batch.frames.length;
    if (persist) this.persist(this.store.put(batch));
  }

  private persist(operation: Promise<void>): void {
    operation.catch(this.onStoreError);
  }
}
