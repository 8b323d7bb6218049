// Rates and averages over a sliding time window (fps, detector latency, stream cost).

export class RateMeter {
  private readonly times: number[] = [];
  constructor(private readonly windowMs = 2000) {}

  /** Record one event at `now` (ms). */
  tick(now: number): void {
    this.times.push(now);
    while (this.times.length > 0 && this.times[0] < now - this.windowMs) this.times.shift();
  }

  /** Events per second over the window, measured between the first and last event. */
  get perSecond(): number {
    if (this.times.length < 2) return 0;
    const span = this.times[this.times.length - 1] - this.times[0];
    return span > 0 ? ((this.times.length - 1) * 1000) / span : 0;
  }
}

export class RunningMean {
  private values: number[] = [];
  constructor(private readonly size = 60) {}

  add(value: number): void {
    this.values.push(value);
    if (this.values.length > this.size) this.values.shift();
  }

  get mean(): number {
    if (this.values.length === 0) return 0;
    return this.values.reduce((sum, value) => sum + value, 0) / this.values.length;
  }
}
