/**
 * The benchmark's statistics and formatting: finished runs in, a report (JSON) and a markdown
 * table out. Pure and import-free (the shapes below mirror the worker's result event,
 * lib/worker/protocol.ts), so it is unit-tested in Node and `npm run bench` reads the same JSON.
 */

/** The three kinds of generate the bench times. */
export type ConfigId = 'cfg' | 'no-cfg' | 'controlnet';

export const CONFIG_LABELS: Readonly<Record<ConfigId, string>> = {
  cfg: 'classifier-free guidance (U-Net batch 2)',
  'no-cfg': 'guidance 1 (U-Net batch 1)',
  controlnet: 'ControlNet + guidance',
};

export interface PartTransfer {
  up: number;
  down: number;
  runs: number;
  runMs: number;
}

/** One finished generate, as the worker's `result` event reports it (the image left out). */
export interface RunSample {
  config: ConfigId;
  /** The first run of its configuration: reported apart, never in the medians. */
  cold: boolean;
  timings: { textEncoderMs: number; unetStepMs: number[]; controlnetStepMs?: number[]; vaeMs: number; totalMs: number };
  transfer: { loop: 'host' | 'device'; steps: number; bytes: Record<string, PartTransfer> };
  backend: string;
}

export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** The middle value (the mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

export function stat(values: readonly number[]): Stat | null {
  const xs = values.filter(Number.isFinite);
  const m = median(xs);
  return m === null ? null : { median: m, min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/** "Chrome 131.0.6778.85" from a user agent (headless Chromium included), else the UA's last product. */
export function browserName(userAgent: string): string {
  const chrome = /(?:HeadlessChrome|Chrome|Chromium)\/([\d.]+)/.exec(userAgent);
  if (chrome) return `Chrome ${chrome[1]}`;
  const firefox = /Firefox\/([\d.]+)/.exec(userAgent);
  if (firefox) return `Firefox ${firefox[1]}`;
  const safari = /Version\/([\d.]+).*Safari/.exec(userAgent);
  if (safari) return `Safari ${safari[1]}`;
  return userAgent.split(' ').at(-1) ?? 'unknown';
}

export interface BenchEnvironment {
  userAgent: string;
  browser: string;
  /** The WebGPU adapter ("google swiftshader"), null without one. */
  adapter: string | null;
  adapterSoftware: boolean;
  backend: string;
  backendReason: string;
  /** The threads the studio asks onnxruntime-web's wasm for (lib/onnx/web.ts wasmThreads; the worker does not report what it got). */
  wasmThreads: number;
  crossOriginIsolated: boolean;
  cores: number | null;
}

export interface BenchModel {
  name: string;
  source: string;
  family: string;
  width: number;
  height: number;
  steps: number;
  sampler: string;
  hasControlNet: boolean;
  classifierFreeGuidance: boolean;
  /** Opening the sessions, and the worker's discarded warm-up generate after it (null: none ran), ms. */
  loadMs: number;
  warmupMs: number | null;
}

export interface ConfigSummary {
  guidance: number;
  /** Warm runs in the medians. */
  runs: number;
  /** Every step of the warm runs (ControlNet, U-Net, CFG, scheduler). */
  stepMs: Stat | null;
  /** The ControlNet's share of each warm step (null without one). */
  controlnetStepMs: Stat | null;
  textEncoderMs: Stat | null;
  vaeMs: Stat | null;
  totalMs: Stat | null;
  /** The whole image less the text encoder, the steps and the VAE: latents, scheduler set-up, transfers outside the loop. */
  otherMs: Stat | null;
  /** The cold run: its steps, and the whole image. */
  first: { stepMs: number[]; totalMs: number } | null;
  loop: 'host' | 'device' | null;
  /** Per denoising step, per session label (medians over warm runs): bytes up and down, runs, and time inside the runtime. */
  perStep: Record<string, PartTransfer>;
  /** Per step over every part: bytes up, down, both. */
  bytesPerStep: { up: number; down: number; total: number };
  /** (step time − time inside the runtime's runs) / step time, median over warm runs, in %. */
  overheadPct: number | null;
}

export type RowId = 'text-encoder' | 'unet-step-cfg' | 'unet-step' | 'controlnet' | 'vae-decode' | 'other' | 'image';

export interface Row {
  id: RowId;
  label: string;
  /** The cold run's value: its first step for the step rows. */
  first: number | null;
  warm: Stat | null;
  /** Why a row has no numbers (the model has no ControlNet, the family runs no CFG). */
  note?: string;
}

export interface BenchReport {
  schema: 'lantern-bench/1';
  date: string;
  environment: BenchEnvironment;
  model: BenchModel;
  repeats: number;
  /** The first run was the first since the model loaded (the worker's warm-up aside: model.warmupMs). */
  firstRunCold: boolean;
  rows: Row[];
  configs: Partial<Record<ConfigId, ConfigSummary>>;
  /** The cold whole image over the warm median, for the main configuration (CFG when the family runs it). */
  firstGenerateOverWarm: number | null;
  publish: string;
}

export const PUBLISH_NOTE =
  'No public figure exists for Stable Diffusion speeds on onnxruntime-web: publish yours (copy the markdown table into an issue, a post or a discussion) so others can compare.';

function perStepMedians(samples: readonly RunSample[]): Record<string, PartTransfer> {
  const labels = [...new Set(samples.flatMap((s) => Object.keys(s.transfer.bytes)))].sort();
  const out: Record<string, PartTransfer> = {};
  for (const label of labels) {
    const per = (k: keyof PartTransfer) => median(samples.map((s) => (s.transfer.bytes[label]?.[k] ?? 0) / Math.max(1, s.transfer.steps))) ?? 0;
    out[label] = { up: per('up'), down: per('down'), runs: per('runs'), runMs: per('runMs') };
  }
  return out;
}

/** What a run spent outside the text encoder, the steps and the VAE. */
export function otherMs(sample: RunSample): number {
  const t = sample.timings;
  return t.totalMs - t.textEncoderMs - t.unetStepMs.reduce((a, b) => a + b, 0) - t.vaeMs;
}

/** (Σ step − Σ runMs) / Σ step for one run, in %; null for a run without steps. */
export function overheadPct(sample: RunSample): number | null {
  const steps = sample.timings.unetStepMs.reduce((a, b) => a + b, 0);
  if (!(steps > 0)) return null;
  const inRuntime = Object.values(sample.transfer.bytes).reduce((a, t) => a + t.runMs, 0);
  return ((steps - inRuntime) / steps) * 100;
}

export function summarizeConfig(samples: readonly RunSample[], guidance: number): ConfigSummary {
  const warm = samples.filter((s) => !s.cold);
  const cold = samples.find((s) => s.cold) ?? null;
  const perStep = perStepMedians(warm);
  const up = Object.values(perStep).reduce((a, t) => a + t.up, 0);
  const down = Object.values(perStep).reduce((a, t) => a + t.down, 0);
  const control = warm.flatMap((s) => s.timings.controlnetStepMs ?? []);
  return {
    guidance,
    runs: warm.length,
    stepMs: stat(warm.flatMap((s) => s.timings.unetStepMs)),
    controlnetStepMs: control.length ? stat(control) : null,
    textEncoderMs: stat(warm.map((s) => s.timings.textEncoderMs)),
    vaeMs: stat(warm.map((s) => s.timings.vaeMs)),
    totalMs: stat(warm.map((s) => s.timings.totalMs)),
    otherMs: stat(warm.map(otherMs)),
    first: cold ? { stepMs: [...cold.timings.unetStepMs], totalMs: cold.timings.totalMs } : null,
    loop: warm[0]?.transfer.loop ?? cold?.transfer.loop ?? null,
    perStep,
    bytesPerStep: { up, down, total: up + down },
    overheadPct: median(warm.map(overheadPct).filter((p): p is number => p !== null)),
  };
}

export interface ReportInput {
  date: string;
  environment: BenchEnvironment;
  model: BenchModel;
  repeats: number;
  firstRunCold: boolean;
  /** The guidance each configuration ran with. */
  guidance: Partial<Record<ConfigId, number>>;
  samples: readonly RunSample[];
}

export function buildReport(input: ReportInput): BenchReport {
  const configs: Partial<Record<ConfigId, ConfigSummary>> = {};
  for (const id of ['cfg', 'no-cfg', 'controlnet'] as const) {
    const runs = input.samples.filter((s) => s.config === id);
    if (runs.length) configs[id] = summarizeConfig(runs, input.guidance[id] ?? 1);
  }
  const mainId: ConfigId = configs.cfg ? 'cfg' : 'no-cfg';
  const main = configs[mainId] ?? null;
  const coldOf = (id: ConfigId) => input.samples.find((s) => s.config === id && s.cold) ?? null;
  const coldMain = coldOf(mainId);
  const rows: Row[] = [
    {
      id: 'text-encoder',
      label: mainId === 'cfg' ? 'text encoder (prompt + negative)' : 'text encoder',
      first: coldMain?.timings.textEncoderMs ?? null,
      warm: main?.textEncoderMs ?? null,
    },
    {
      id: 'unet-step-cfg',
      label: 'U-Net step with CFG (batch 2)',
      first: coldOf('cfg')?.timings.unetStepMs[0] ?? null,
      warm: configs.cfg?.stepMs ?? null,
      ...(!input.model.classifierFreeGuidance && { note: 'this family runs no unconditional pass' }),
    },
    {
      id: 'unet-step',
      label: 'U-Net step, guidance 1 (batch 1)',
      first: coldOf('no-cfg')?.timings.unetStepMs[0] ?? null,
      warm: configs['no-cfg']?.stepMs ?? null,
    },
    {
      id: 'controlnet',
      label: 'ControlNet per step',
      first: coldOf('controlnet')?.timings.controlnetStepMs?.[0] ?? null,
      warm: configs.controlnet?.controlnetStepMs ?? null,
      ...(!input.model.hasControlNet && { note: 'this model has no ControlNet' }),
    },
    { id: 'vae-decode', label: 'VAE decode', first: coldMain?.timings.vaeMs ?? null, warm: main?.vaeMs ?? null },
    { id: 'other', label: 'rest of the image (outside these parts)', first: coldMain ? otherMs(coldMain) : null, warm: main?.otherMs ?? null },
    { id: 'image', label: `whole image (${input.model.steps} steps)`, first: coldMain?.timings.totalMs ?? null, warm: main?.totalMs ?? null },
  ];
  const warmTotal = main?.totalMs?.median ?? null;
  return {
    schema: 'lantern-bench/1',
    date: input.date,
    environment: input.environment,
    model: input.model,
    repeats: input.repeats,
    firstRunCold: input.firstRunCold,
    rows,
    configs,
    firstGenerateOverWarm: main?.first && warmTotal ? main.first.totalMs / warmTotal : null,
    publish: PUBLISH_NOTE,
  };
}

/** Milliseconds as people read them: 0.42, 12.3, 1234. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return Math.round(ms).toString();
}

/** Bytes in decimal units: 812 B, 65.5 kB, 1.31 MB. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const units = ['B', 'kB', 'MB', 'GB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${Math.round(v)} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function formatPct(p: number | null | undefined): string {
  return p === null || p === undefined || !Number.isFinite(p) ? '—' : `${p.toFixed(1)} %`;
}

/** One line naming what ran where: model, size, steps, backend, threads, adapter, browser. */
export function setupLine(r: BenchReport): string {
  const e = r.environment;
  const adapter = e.adapter ? `${e.adapter}${e.adapterSoftware ? ' (software)' : ''}` : 'no WebGPU adapter';
  return [
    `${r.model.name} ${r.model.width}×${r.model.height}`,
    `${r.model.steps} steps (${r.model.sampler})`,
    `${e.backend}${e.backendReason ? ` — ${e.backendReason}` : ''}`,
    `${e.wasmThreads} wasm thread${e.wasmThreads === 1 ? '' : 's'} asked`,
    `adapter ${adapter}`,
    e.browser,
    `${r.repeats} warm repeat${r.repeats === 1 ? '' : 's'}`,
    `loaded in ${formatMs(r.model.loadMs)} ms${r.model.warmupMs !== null ? ` (+ ${formatMs(r.model.warmupMs)} ms warm-up)` : ''}`,
  ].join(' · ');
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** The report as GitHub markdown: setup line, timings, bytes per step, overhead. */
export function toMarkdown(r: BenchReport): string {
  const lines = [`**Lantern benchmark** — ${cell(setupLine(r))} · ${r.date.slice(0, 10)}`, ''];
  lines.push('| part | first run (ms) | warm median (ms) | warm min–max (ms) | n |', '| --- | ---: | ---: | ---: | ---: |');
  for (const row of r.rows) {
    const range = row.warm ? `${formatMs(row.warm.min)}–${formatMs(row.warm.max)}` : (row.note ?? '—');
    lines.push(`| ${cell(row.label)} | ${formatMs(row.first)} | ${formatMs(row.warm?.median)} | ${cell(range)} | ${row.warm?.n ?? 0} |`);
  }
  for (const [id, c] of Object.entries(r.configs) as Array<[ConfigId, ConfigSummary]>) {
    lines.push(
      '',
      `Bytes across the runtime seam per step, ${CONFIG_LABELS[id]} (${c.loop ?? 'host'} loop); pipeline overhead ${formatPct(c.overheadPct)} of a step:`,
      '',
    );
    lines.push('| part | up | down | runs | in runtime (ms) |', '| --- | ---: | ---: | ---: | ---: |');
    for (const [label, t] of Object.entries(c.perStep)) {
      lines.push(`| ${cell(label)} | ${formatBytes(t.up)} | ${formatBytes(t.down)} | ${+t.runs.toFixed(2)} | ${formatMs(t.runMs)} |`);
    }
    lines.push(`| total | ${formatBytes(c.bytesPerStep.up)} | ${formatBytes(c.bytesPerStep.down)} | | |`);
  }
  lines.push('', `_${r.publish}_`);
  return lines.join('\n');
}
