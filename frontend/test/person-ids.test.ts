import { describe, expect, it } from 'vitest';
import { PersonIds } from '../src/lib/person-ids';

describe('PersonIds', () => {
  it('gives each track a small index that stays while the track is seen', () => {
    const ids = new PersonIds();
    expect(ids.assign([101, 102, 103])).toEqual([0, 1, 2]);
    expect(ids.assign([103, 101, 102])).toEqual([2, 0, 1]); // order of detection does not matter
    expect(ids.assign([102, 103])).toEqual([1, 2]); // 101 out of view for a moment
    expect(ids.assign([101, 102, 103])).toEqual([0, 1, 2]);
  });

  it('reuses an index only after its track has been gone a while', () => {
    const ids = new PersonIds(2);
    expect(ids.assign([1, 2])).toEqual([0, 1]);
    expect(ids.assign([2, 3])).toEqual([1, 2]); // track 1 may come back: 0 stays reserved
    ids.assign([2, 3]);
    ids.assign([2, 3]);
    expect(ids.assign([2, 3, 4])).toEqual([1, 2, 0]); // track 1 forgotten: 0 is free again
  });

  it('numbers untracked poses by position, around the tracked ones', () => {
    const ids = new PersonIds();
    expect(ids.assign([undefined])).toEqual([0]);
    expect(ids.assign([7, undefined])).toEqual([0, 1]);
  });
});
