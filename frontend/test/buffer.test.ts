import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { BatchBuffer, MemoryStore } from '../src/lib/buffer';
import { IdbStore, openDatabase } from '../src/lib/idb-store';
import { batch } from './helpers';

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('BatchBuffer', () => {
  it('keeps batches in seq order and forgets exactly the acknowledged one', () => {
    const buffer = new BatchBuffer();
    buffer.push(batch(10, 19));
    buffer.push(batch(0, 9));
    buffer.push(batch(20, 29));
    expect(buffer.pending().map((e) => e.first)).toEqual([0, 10, 20]);
    expect(buffer.ack(19)?.first).toBe(10);
    expect(buffer.ack(19)).toBeUndefined(); // a duplicate ack changes nothing
    expect(buffer.pending().map((e) => e.first)).toEqual([0, 20]);
    expect(buffer.frames).toBe(20);
  });

  it('drops the oldest frames when over its bound, and counts them', () => {
    const buffer = new BatchBuffer({ maxFrames: 25 });
    buffer.push(batch(0, 9));
    buffer.push(batch(10, 19));
    buffer.push(batch(20, 29));
    expect(buffer.pending().map((e) => e.first)).toEqual([10, 20]);
    expect(buffer.dropped).toBe(10);
    expect(buffer.frames).toBe(20);
  });

  it('marks batches from a seq on as unsent', () => {
    const buffer = new BatchBuffer();
    for (const first of [0, 10, 20]) {
      buffer.push(batch(first, first + 9));
      (buffer.nextUnsent() as { sent: boolean }).sent = true;
    }
    expect(buffer.inFlight).toBe(3);
    buffer.markUnsent(10);
    expect(buffer.inFlight).toBe(1);
    expect(buffer.nextUnsent()?.first).toBe(10);
  });

  it('writes through to its store and restores from it', async () => {
    const store = new MemoryStore();
    const buffer = new BatchBuffer({ store });
    buffer.push(batch(0, 9));
    buffer.push(batch(10, 19));
    buffer.ack(9);
    await settle();
    const again = new BatchBuffer({ store });
    expect(await again.restore()).toBe(1);
    expect(again.pending().map((e) => [e.first, e.last])).toEqual([[10, 19]]);
  });
});

describe('IdbStore', () => {
  it('persists pending batches per session in IndexedDB', async () => {
    const db = await openDatabase();
    const one = new BatchBuffer({ store: new IdbStore(db, 'session-a') });
    const other = new BatchBuffer({ store: new IdbStore(db, 'session-b') });
    one.push(batch(0, 9));
    one.push(batch(10, 19));
    one.push(batch(20, 29));
    other.push(batch(0, 4));
    one.ack(19);
    await settle();

    const reloaded = new BatchBuffer({ store: new IdbStore(db, 'session-a') });
    expect(await reloaded.restore()).toBe(2);
    expect(reloaded.pending().map((e) => e.first)).toEqual([0, 20]);
    expect(reloaded.pending()[0].batch.frames[3].keypoints).toHaveLength(17);

    await reloaded.clear();
    expect(await new BatchBuffer({ store: new IdbStore(db, 'session-a') }).restore()).toBe(0);
    expect(await new BatchBuffer({ store: new IdbStore(db, 'session-b') }).restore()).toBe(1);
    db.close();
  });
});
