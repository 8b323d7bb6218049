import { describe, expect, it } from 'vitest';
import { ClipRecorder, normaliseLabel } from '../src/lib/recording';

describe('ClipRecorder', () => {
  const plan = { label: 'squat_down', durationS: 10, countdownS: 3 };

  it('counts down, records for its duration, then is done', () => {
    const clip = new ClipRecorder(plan, 1000, 'session');
    expect(clip.phaseAt(1000)).toEqual({ phase: 'countdown', remainingS: 3 });
    expect(clip.labelAt(3999)).toBeUndefined();
    expect(clip.phaseAt(4000)).toEqual({ phase: 'recording', remainingS: 10 });
    expect(clip.labelAt(4000)).toBe('squat_down');
    expect(clip.labelAt(13_999)).toBe('squat_down');
    expect(clip.phaseAt(14_000)).toEqual({ phase: 'done' });
    expect(clip.labelAt(14_000)).toBeUndefined();
  });

  it('counts the frames and seq range recorded with its label', () => {
    const clip = new ClipRecorder(plan, 0, 'session');
    clip.count(40, 1);
    clip.count(41, 1);
    clip.count(45, 2);
    expect(clip.clip).toMatchObject({ firstSeq: 40, lastSeq: 45, frames: 4, label: 'squat_down' });
  });
});

describe('normaliseLabel', () => {
  it('trims and accepts what the backend stores, refuses the rest', () => {
    expect(normaliseLabel('  squat_down ')).toBe('squat_down');
    expect(normaliseLabel('warrior 2')).toBe('warrior 2');
    expect(normaliseLabel('')).toBeNull();
    expect(normaliseLabel('x'.repeat(65))).toBeNull();
    expect(normaliseLabel('a<b>')).toBeNull();
  });
});
