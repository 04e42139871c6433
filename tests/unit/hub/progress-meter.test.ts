import { describe, expect, it } from 'vitest';
import { ProgressMeter } from '@/lib/hub/progress-meter';

/** A meter on a clock the test steps. */
function meter(windowMs = 5000) {
  let t = 0;
  const m = new ProgressMeter({ windowMs, now: () => t });
  return { m, at: (ms: number) => (t = ms) };
}

describe('ProgressMeter', () => {
  it('is 0 with no ETA before the first bytes', () => {
    const { m, at } = meter();
    at(1000);
    expect(m.bytesPerSec()).toBe(0);
    expect(m.etaSec(100)).toBeNull();
    expect(m.etaSec(0)).toBe(0);
  });

  it('measures a steady rate and the ETA it gives', () => {
    const { m, at } = meter();
    for (let s = 1; s <= 10; s++) {
      at(s * 1000);
      m.add(2_000_000);
    }
    expect(m.bytes).toBe(20_000_000);
    expect(m.bytesPerSec()).toBeCloseTo(2_000_000, -3);
    expect(m.etaSec(10_000_000)).toBeCloseTo(5, 1);
  });

  it('follows a change of speed within the window, not the whole-download average', () => {
    const { m, at } = meter(5000);
    for (let s = 1; s <= 20; s++) {
      at(s * 1000);
      m.add(s <= 10 ? 10_000_000 : 1_000_000); // 10 MB/s, then 1 MB/s
    }
    // Whole-download average would be 5.5 MB/s; the last 5 s ran at 1 MB/s.
    expect(m.bytesPerSec()).toBeCloseTo(1_000_000, -4);
  });

  it('decays while nothing arrives (a stall or a pause)', () => {
    const { m, at } = meter(5000);
    for (let s = 1; s <= 5; s++) {
      at(s * 1000);
      m.add(1_000_000);
    }
    const before = m.bytesPerSec();
    at(7000);
    expect(m.bytesPerSec()).toBeLessThan(before);
    expect(m.bytesPerSec()).toBeGreaterThan(0);
    // Nothing for a whole window: 0, and no ETA.
    at(30_000);
    expect(m.bytesPerSec()).toBe(0);
    expect(m.etaSec(1)).toBeNull();
  });
});
