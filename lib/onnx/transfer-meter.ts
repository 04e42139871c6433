/**
 * Counts the bytes that cross between JS memory and the runtime (the wasm heap, the GPU) at
 * the seam, per session label: what the benchmark reports as bytes per step; and the runs and
 * their time, against which the pipeline's own overhead is measured. A tensor left on
 * the device (DeviceTensor) crosses nothing; a host feed is one upload, a host output one download.
 */
import type { TransferCount, TransferMeter } from './types';

export interface RecordingMeter extends TransferMeter {
  record(label: string, what: keyof TransferCount, amount: number): void;
}

export function createTransferMeter(): RecordingMeter {
  const totals = new Map<string, TransferCount>();
  return {
    record(label, what, amount) {
      let t = totals.get(label);
      if (!t) totals.set(label, (t = { up: 0, down: 0, runs: 0, runMs: 0 }));
      t[what] += amount;
    },
    snapshot() {
      return Object.fromEntries([...totals].map(([label, t]) => [label, { ...t }]));
    },
  };
}

/** What crossed between two snapshots, per label (labels with nothing are left out). */
export function transferSince(before: Record<string, TransferCount>, after: Record<string, TransferCount>): Record<string, TransferCount> {
  const out: Record<string, TransferCount> = {};
  for (const [label, t] of Object.entries(after)) {
    const b = before[label] ?? { up: 0, down: 0, runs: 0, runMs: 0 };
    const d = { up: t.up - b.up, down: t.down - b.down, runs: t.runs - b.runs, runMs: t.runMs - b.runMs };
    if (d.up > 0 || d.down > 0 || d.runs > 0) out[label] = d;
  }
  return out;
}
