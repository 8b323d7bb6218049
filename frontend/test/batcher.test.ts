import { describe, expect, it } from 'vitest';
import { type Batch, FrameBatcher, firstSeq, lastSeq } from '../src/lib/batcher';
import { frame, HEADER } from './helpers';

function setup(options: { maxFrames?: number; maxDelayMs?: number } = {}) {
  let now = 0;
  const batches: Batch[] = [];
  const batcher = new FrameBatcher({ ...options, onBatch: (b) => batches.push(b), now: () => now });
  return { batcher, batches, advance: (ms: number) => (now += ms) };
}

describe('FrameBatcher', () => {
  it('emits one batch per interval', () => {
    const { batcher, batches, advance } = setup({ maxDelayMs: 100 });
    for (let seq = 0; seq < 5; seq++) {
      batcher.addInstant(HEADER, [frame(seq)]);
      advance(30);
    }
    // frames at 0, 30, 60, 90 ms wait; the one at 120 ms closes the batch.
    expect(batches).toHaveLength(1);
    expect(batches[0].frames.map((f) => f.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(batches[0]).toMatchObject(HEADER);
  });

  it('emits on tick once the interval passed, even with no new frame', () => {
    const { batcher, batches, advance } = setup({ maxDelayMs: 100 });
    batcher.addInstant(HEADER, [frame(0)]);
    batcher.tick();
    expect(batches).toHaveLength(0);
    advance(100);
    batcher.tick();
    expect(batches).toHaveLength(1);
  });

  it('emits when the size limit is reached', () => {
    const { batcher, batches } = setup({ maxFrames: 3, maxDelayMs: 1e9 });
    for (let seq = 0; seq < 7; seq++) batcher.addInstant(HEADER, [frame(seq)]);
    expect(batches.map((b) => [firstSeq(b), lastSeq(b)])).toEqual([
      [0, 2],
      [3, 5],
    ]);
    expect(batcher.pendingFrames).toBe(1);
  });

  it('never splits the people of one instant across batches', () => {
    const { batcher, batches } = setup({ maxFrames: 4, maxDelayMs: 1e9 });
    batcher.addInstant(HEADER, [frame(0, 0), frame(0, 1), frame(0, 2)]);
    batcher.addInstant(HEADER, [frame(1, 0), frame(1, 1), frame(1, 2)]);
    batcher.flush();
    expect(batches.map((b) => b.frames.map((f) => `${f.seq}/${f.person}`))).toEqual([
      ['0/0', '0/1', '0/2'],
      ['1/0', '1/1', '1/2'],
    ]);
  });

  it('starts a new batch when the source size or detector changes', () => {
    const { batcher, batches } = setup({ maxDelayMs: 1e9 });
    batcher.addInstant(HEADER, [frame(0)]);
    batcher.addInstant({ ...HEADER, width: 1280.4, height: 720 }, [frame(1)]);
    batcher.flush();
    expect(batches.map((b) => [b.width, b.height])).toEqual([
      [640, 480],
      [1280, 720],
    ]);
  });
});
