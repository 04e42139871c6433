/**
 * Download progress for the CLI. On a TTY one line on stderr, redrawn in place at most ~10 times a
 * second: bar, percent, MB done of total, MB/s (over the last few seconds), ETA, files. Not on a
 * TTY (CI logs, pipes): nothing while it runs, one summary line at the end. The formatting is pure
 * functions of a snapshot and a clock, so it is tested without a terminal.
 */

export interface TransferProgress {
  /** Bytes of the listed files that are in place: fetched, resumed or found in the cache. */
  bytesDone: number;
  /** Bytes of every listed file. */
  bytes: number;
  filesDone: number;
  files: number;
  /** Bytes that came over the network (the rate counts only these). */
  bytesFetched?: number;
  /** The file a byte last arrived for. */
  current?: string;
}

const MB = 1e6;

/** `1.5 kB`, `12.3 MB`, `2.10 GB`: decimal units, as huggingface_hub's tqdm bars show them. */
export function formatBytes(n: number): string {
  if (n < 1e3) return `${Math.max(0, Math.round(n))} B`;
  if (n < MB) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / MB).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

/** `0:07`, `12:34`, `1:02:03`; `--:--` when unknown (no rate yet, or absurdly far). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 99 * 3600) return '--:--';
  const s = Math.round(seconds);
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const two = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

/** A bar of `width` cells, `#` done and `.` to go. */
export function formatBar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.floor(f * width);
  return `${'#'.repeat(full)}${'.'.repeat(width - full)}`;
}

/**
 * One progress line: `label [####......] 42% 120.0 MB/285.0 MB 11.2 MB/s ETA 0:15 3/14 files unet/model.onnx_data`.
 * `rate` is bytes per second (null = not known yet). Cut to `columns` so the terminal never wraps it.
 */
export function formatProgressLine(label: string, p: TransferProgress, rate: number | null, columns = 100): string {
  const fraction = p.bytes > 0 ? p.bytesDone / p.bytes : p.files > 0 ? p.filesDone / p.files : 0;
  const eta = rate && rate > 0 ? (p.bytes - p.bytesDone) / rate : Number.NaN;
  const parts = [
    label,
    `[${formatBar(fraction, 20)}]`,
    `${String(Math.floor(fraction * 100)).padStart(3)}%`,
    `${formatBytes(p.bytesDone)}/${formatBytes(p.bytes)}`,
    rate === null ? '-- MB/s' : `${(rate / MB).toFixed(1)} MB/s`,
    `ETA ${formatDuration(eta)}`,
    `${p.filesDone}/${p.files} files`,
  ];
  let line = parts.join(' ');
  if (p.current && p.filesDone < p.files) line += ` ${p.current}`;
  return line.length > columns ? `${line.slice(0, Math.max(0, columns - 1))}…` : line;
}

/** The line a non-TTY run prints once, and a TTY run leaves behind. */
export function formatSummaryLine(label: string, p: TransferProgress, elapsedMs: number): string {
  const fetched = p.bytesFetched ?? p.bytesDone;
  const seconds = elapsedMs / 1000;
  const speed = seconds > 0 && fetched > 0 ? `, ${(fetched / MB / seconds).toFixed(1)} MB/s` : '';
  const cached = p.bytesDone - fetched;
  return (
    `${label}: ${p.files} files, ${formatBytes(p.bytes)}; fetched ${formatBytes(fetched)} in ${seconds.toFixed(1)} s${speed}` +
    (cached > 0 ? `, ${formatBytes(cached)} already cached` : '')
  );
}

/** Bytes per second over a sliding window of samples (a burst or a stall shows within seconds, not averaged away). */
export class RateMeter {
  private samples: Array<[t: number, bytes: number]> = [];
  constructor(private readonly windowMs = 5000) {}

  /** `bytes` is the running total fetched at time `t` (ms). */
  sample(t: number, bytes: number): void {
    this.samples.push([t, bytes]);
    while (this.samples.length > 2 && t - this.samples[1][0] >= this.windowMs) this.samples.shift();
  }

  /** Null until two samples at least 200 ms apart exist. */
  rate(): number | null {
    if (this.samples.length < 2) return null;
    const [t0, b0] = this.samples[0];
    const [t1, b1] = this.samples[this.samples.length - 1];
    return t1 - t0 >= 200 ? ((b1 - b0) * 1000) / (t1 - t0) : null;
  }
}

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressReporter {
  update(p: TransferProgress): void;
  /** Ends the line (TTY) or prints the summary (not a TTY); `fetchedAnything` false prints nothing when all came from the cache. */
  done(p: TransferProgress, fetchedAnything?: boolean): void;
}

/** Draws progress on `out` (stderr) as its kind allows; `now` is the clock (ms), replaceable in tests. */
export function createProgressReporter(label: string, out: ProgressOutput, now: () => number = () => performance.now(), redrawMs = 100): ProgressReporter {
  const start = now();
  const meter = new RateMeter();
  let lastDraw = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update(p) {
      const t = now();
      meter.sample(t, p.bytesFetched ?? p.bytesDone);
      if (!out.isTTY || t - lastDraw < redrawMs) return;
      lastDraw = t;
      drawn = true;
      // A pty without a size reports 0 columns: take 100 then. One column spare so the cursor never wraps.
      const columns = out.columns !== undefined && out.columns >= 20 ? out.columns : 100;
      out.write(`\r${formatProgressLine(label, p, meter.rate(), columns - 1)}\x1b[K`);
    },
    done(p, fetchedAnything = true) {
      if (!fetchedAnything && !drawn) return;
      const summary = formatSummaryLine(label, p, now() - start);
      out.write(out.isTTY ? `\r${summary}\x1b[K\n` : `${summary}\n`);
    },
  };
}
