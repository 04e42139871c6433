/** The CLI's download progress: formatting as pure functions, and what a TTY and a pipe each get. */
import { describe, expect, it } from 'vitest';
import {
  createProgressReporter,
  formatBar,
  formatBytes,
  formatDuration,
  formatProgressLine,
  formatSummaryLine,
  RateMeter,
  type TransferProgress,
} from '@/cli/progress';

describe('formatting', () => {
  it('bytes in decimal units', () => {
    expect([0, 999, 1500, 12_345_678, 2_100_000_000].map(formatBytes)).toEqual(['0 B', '999 B', '1.5 kB', '12.3 MB', '2.10 GB']);
  });

  it('durations as m:ss or h:mm:ss, and --:-- when unknown', () => {
    expect([7, 65, 754, 3723, Number.NaN, Number.POSITIVE_INFINITY, -1].map(formatDuration)).toEqual([
      '0:07',
      '1:05',
      '12:34',
      '1:02:03',
      '--:--',
      '--:--',
      '--:--',
    ]);
  });

  it('bars clamp to [0, 1]', () => {
    expect(formatBar(0.5, 10)).toBe('#####.....');
    expect(formatBar(2, 4)).toBe('####');
    expect(formatBar(Number.NaN, 4)).toBe('....');
  });

  it('a progress line: percent, MB of total, MB/s, ETA, files and the current file', () => {
    const p: TransferProgress = { bytesDone: 120e6, bytes: 285e6, filesDone: 3, files: 14, current: 'unet/model.onnx_data' };
    expect(formatProgressLine('lantern/sd', p, 11e6, 200)).toBe(
      'lantern/sd [########............]  42% 120.0 MB/285.0 MB 11.0 MB/s ETA 0:15 3/14 files unet/model.onnx_data',
    );
    expect(formatProgressLine('lantern/sd', p, null, 200)).toMatch(/-- MB\/s ETA --:-- 3\/14 files/);
    const cut = formatProgressLine('lantern/sd', p, 11e6, 40);
    expect(cut.length).toBe(40);
    expect(cut.endsWith('…')).toBe(true);
    expect(formatProgressLine('x', { ...p, filesDone: 14, bytesDone: 285e6 }, 1e6, 200)).not.toMatch(/unet/);
  });

  it('a summary line separates fetched bytes from cached ones', () => {
    const p = { bytesDone: 300e6, bytes: 300e6, filesDone: 14, files: 14, bytesFetched: 200e6 };
    expect(formatSummaryLine('lantern/sd', p, 10_000)).toBe('lantern/sd: 14 files, 300.0 MB; fetched 200.0 MB in 10.0 s, 20.0 MB/s, 100.0 MB already cached');
  });
});

describe('RateMeter', () => {
  it('measures over a sliding window, so a stall shows as the rate falls', () => {
    const m = new RateMeter(1000);
    m.sample(0, 0);
    expect(m.rate()).toBeNull();
    m.sample(100, 1e6);
    expect(m.rate()).toBeNull(); // under 200 ms: too little to say
    m.sample(500, 5e6);
    expect(m.rate()).toBe(10e6);
    m.sample(2000, 5e6);
    m.sample(2600, 5e6);
    expect(m.rate()).toBe(0);
  });
});

describe('createProgressReporter', () => {
  const stream = (isTTY: boolean) => {
    const out: string[] = [];
    return { out, s: { isTTY, columns: 120, write: (t: string) => out.push(t) } };
  };
  const step = (bytesDone: number): TransferProgress => ({ bytesDone, bytes: 10e6, filesDone: bytesDone >= 10e6 ? 2 : 0, files: 2, bytesFetched: bytesDone });

  it('on a TTY redraws one line in place, at most every redrawMs, and leaves the summary', () => {
    let t = 0;
    const { out, s } = stream(true);
    const r = createProgressReporter('lantern/sd', s, () => t, 100);
    for (let i = 1; i <= 10; i++) {
      t = i * 50;
      r.update(step(i * 1e6));
    }
    r.done(step(10e6));
    expect(out.length).toBe(6); // 5 redraws in 500 ms at 100 ms, then the summary
    expect(out.slice(0, -1).every((l) => l.startsWith('\r') && l.endsWith('\x1b[K') && !l.includes('\n'))).toBe(true);
    expect(out[4]).toMatch(/ 90% 9\.0 MB\/10\.0 MB 20\.0 MB\/s ETA 0:00 0\/2 files/);
    expect(out[5]).toBe('\rlantern/sd: 2 files, 10.0 MB; fetched 10.0 MB in 0.5 s, 20.0 MB/s\x1b[K\n');
  });

  it('a terminal that reports 0 columns (a pty without a size) gets 100-column lines, not empty ones', () => {
    const out: string[] = [];
    createProgressReporter('lantern/sd', { isTTY: true, columns: 0, write: (t: string) => out.push(t) }, () => 0).update(step(5e6));
    expect(out[0]).toMatch(/^\rlantern\/sd \[#{10}\.{10}\]  50% 5\.0 MB\/10\.0 MB -- MB\/s ETA --:-- 0\/2 files\x1b\[K$/);
  });

  it('not on a TTY prints nothing but the final line; nothing at all when everything was cached', () => {
    const { out, s } = stream(false);
    const r = createProgressReporter('lantern/sd', s, () => 1000);
    for (let i = 1; i <= 10; i++) r.update(step(i * 1e6));
    r.done(step(10e6));
    expect(out).toEqual(['lantern/sd: 2 files, 10.0 MB; fetched 10.0 MB in 0.0 s\n']);
    const quiet = stream(false);
    createProgressReporter('x', quiet.s).done(step(10e6), false);
    expect(quiet.out).toEqual([]);
  });
});
