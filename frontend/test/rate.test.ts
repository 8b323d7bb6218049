import { describe, expect, it } from 'vitest';
import { RateMeter, RunningMean } from '../src/lib/rate';

describe('RateMeter', () => {
  it('measures events per second over its window', () => {
    const meter = new RateMeter(1000);
    for (let t = 0; t <= 3000; t += 25) meter.tick(t); // 40 per second
    expect(meter.perSecond).toBeCloseTo(40, 5);
  });

  it('is zero before two events', () => {
    const meter = new RateMeter();
    expect(meter.perSecond).toBe(0);
    meter.tick(5);
    expect(meter.perSecond).toBe(0);
  });
});

describe('RunningMean', () => {
  it('averages the last values only', () => {
    const mean = new RunningMean(2);
    [10, 20, 30].forEach((v) => mean.add(v));
    expect(mean.mean).toBe(25);
  });
});
