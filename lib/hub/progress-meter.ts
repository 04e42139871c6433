/**
 * Download speed over a sliding window (default 5 s) and the ETA it gives. Averaging only the
 * last seconds follows a connection that speeds up or stalls, where a whole-download average
 * would lag behind; the clock is injected so tests step it.
 */
export interface ProgressMeterOptions {
  windowMs?: number;
  /** ms; default performance.now(). */
  now?: () => number;
}

export class ProgressMeter {
  private readonly windowMs: number;
  private readonly now: () => number;
  /** [time, bytes counted so far], oldest first; the first is the start (0 bytes). */
  private readonly samples: [number, number][];
  private total = 0;

  constructor(options: ProgressMeterOptions = {}) {
    this.windowMs = options.windowMs ?? 5000;
    this.now = options.now ?? (() => performance.now());
    this.samples = [[this.now(), 0]];
  }

  /** Counts `bytes` that arrived now. */
  add(bytes: number): void {
    if (bytes <= 0) return;
    this.total += bytes;
    const t = this.now();
    this.samples.push([t, this.total]);
    // Keep one sample at or before the window's start as the base of the rate.
    while (this.samples.length > 2 && this.samples[1][0] <= t - this.windowMs) this.samples.shift();
  }

  /** Bytes counted since the meter started. */
  get bytes(): number {
    return this.total;
  }

  /** Bytes per second over the window up to now; 0 before the first bytes. */
  bytesPerSec(): number {
    const t = this.now();
    const from = t - this.windowMs;
    // The base: the last sample at or before the window's start, else the oldest one.
    let base = this.samples[0];
    for (const s of this.samples) {
      if (s[0] <= from) base = s;
      else break;
    }
    const span = t - base[0];
    if (span <= 0 || this.total === base[1]) return 0;
    return ((this.total - base[1]) * 1000) / Math.max(span, 1);
  }

  /** Seconds until `remaining` more bytes at the current rate, or null while the rate is 0. */
  etaSec(remaining: number): number | null {
    if (remaining <= 0) return 0;
    const rate = this.bytesPerSec();
    return rate > 0 ? remaining / rate : null;
  }
}
