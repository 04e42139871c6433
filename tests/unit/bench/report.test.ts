import { describe, expect, it } from 'vitest';
import {
  browserName,
  buildReport,
  formatBytes,
  formatMs,
  formatPct,
  median,
  overheadPct,
  stat,
  summarizeConfig,
  toMarkdown,
  type BenchEnvironment,
  type BenchModel,
  type RunSample,
} from '@/components/bench/report';

const UNET = 'unet/model.onnx';
const CONTROL = 'controlnet/model.onnx';

/** A run of `steps` steps of `stepMs` each, of which `runMs` per step inside the runtime moving `up`/`down` bytes. */
function sample(
  config: RunSample['config'],
  cold: boolean,
  o: { stepMs: number; runMs: number; steps?: number; up?: number; down?: number; totalMs?: number },
): RunSample {
  const steps = o.steps ?? 4;
  const bytes: RunSample['transfer']['bytes'] = {
    [UNET]: { up: (o.up ?? 1000) * steps, down: (o.down ?? 500) * steps, runs: steps, runMs: o.runMs * steps },
  };
  if (config === 'controlnet') bytes[CONTROL] = { up: 300 * steps, down: 200 * steps, runs: steps, runMs: 1 * steps };
  return {
    config,
    cold,
    timings: {
      textEncoderMs: cold ? 50 : 5,
      unetStepMs: Array.from({ length: steps }, (_, i) => (cold && i === 0 ? 10 * o.stepMs : o.stepMs)),
      controlnetStepMs: config === 'controlnet' ? Array(steps).fill(2) : [],
      vaeMs: cold ? 80 : 8,
      totalMs: o.totalMs ?? (cold ? 400 : 100),
    },
    transfer: { loop: 'host', steps, bytes },
    backend: 'wasm',
  };
}

const environment: BenchEnvironment = {
  userAgent: 'Mozilla/5.0 HeadlessChrome/131.0.6778.85 Safari/537.36',
  browser: 'Chrome 131.0.6778.85',
  adapter: null,
  adapterSoftware: false,
  backend: 'wasm',
  backendReason: 'wasm chosen in settings',
  wasmThreads: 2,
  crossOriginIsolated: true,
  cores: 2,
};
const model: BenchModel = {
  name: 'lantern-shapes',
  source: '/models/lantern-shapes/',
  family: 'SD 1.x',
  width: 64,
  height: 64,
  steps: 4,
  sampler: 'PLMS',
  hasControlNet: true,
  classifierFreeGuidance: true,
  loadMs: 900,
  warmupMs: 300,
};

describe('median and stat', () => {
  it('takes the middle value, the mean of the two middle ones for an even count, null for none', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
    expect(median([NaN, 5])).toBe(5);
  });
  it('gives min, max and n beside the median', () => {
    expect(stat([5, 1, 9])).toEqual({ median: 5, min: 1, max: 9, n: 3 });
    expect(stat([])).toBeNull();
  });
});

describe('pipeline overhead', () => {
  it('is the step time outside the runtime runs, over the step time', () => {
    expect(overheadPct(sample('cfg', false, { stepMs: 20, runMs: 15 }))).toBeCloseTo(25);
  });
  it('counts every part run inside the step (the ControlNet too)', () => {
    // 4 steps of 20 ms; the U-Net 15 ms and the ControlNet 1 ms of each.
    expect(overheadPct(sample('controlnet', false, { stepMs: 20, runMs: 15 }))).toBeCloseTo(20);
  });
  it('is null for a run without steps', () => {
    expect(overheadPct(sample('cfg', false, { stepMs: 20, runMs: 15, steps: 0 }))).toBeNull();
  });
});

describe('summarizeConfig', () => {
  const runs = [
    sample('cfg', true, { stepMs: 30, runMs: 25 }),
    sample('cfg', false, { stepMs: 20, runMs: 15, totalMs: 90 }),
    sample('cfg', false, { stepMs: 22, runMs: 15, totalMs: 110 }),
    sample('cfg', false, { stepMs: 24, runMs: 15, totalMs: 100 }),
  ];
  const s = summarizeConfig(runs, 7.5);
  it('keeps the cold run out of the medians and reports it apart', () => {
    expect(s.runs).toBe(3);
    expect(s.stepMs).toEqual({ median: 22, min: 20, max: 24, n: 12 });
    expect(s.totalMs?.median).toBe(100);
    expect(s.first).toEqual({ stepMs: [300, 30, 30, 30], totalMs: 400 });
  });
  it('gives bytes, runs and runtime time per step, per part and in total', () => {
    expect(s.perStep[UNET]).toEqual({ up: 1000, down: 500, runs: 1, runMs: 15 });
    expect(s.bytesPerStep).toEqual({ up: 1000, down: 500, total: 1500 });
    expect(s.loop).toBe('host');
  });
  it('takes the median overhead over warm runs', () => {
    expect(s.overheadPct).toBeCloseTo(((22 - 15) / 22) * 100);
  });
});

describe('buildReport', () => {
  const samples = [
    sample('cfg', true, { stepMs: 30, runMs: 25 }),
    sample('no-cfg', true, { stepMs: 15, runMs: 12 }),
    sample('controlnet', true, { stepMs: 35, runMs: 25 }),
    sample('cfg', false, { stepMs: 20, runMs: 15 }),
    sample('no-cfg', false, { stepMs: 10, runMs: 8 }),
    sample('controlnet', false, { stepMs: 24, runMs: 17 }),
  ];
  const report = buildReport({
    date: '2026-12-04T00:00:00.000Z',
    environment,
    model,
    repeats: 1,
    firstRunCold: true,
    guidance: { cfg: 5, 'no-cfg': 1, controlnet: 5 },
    samples,
  });

  it('has a row with numbers for each part the model has', () => {
    expect(report.rows.map((r) => r.id)).toEqual(['text-encoder', 'unet-step-cfg', 'unet-step', 'controlnet', 'vae-decode', 'other', 'image']);
    for (const row of report.rows) expect(row.warm?.median, row.id).toBeGreaterThan(0);
    const byId = Object.fromEntries(report.rows.map((r) => [r.id, r]));
    expect(byId['unet-step-cfg'].warm?.median).toBe(20);
    expect(byId['unet-step'].warm?.median).toBe(10);
    expect(byId.controlnet.warm?.median).toBe(2);
    expect(byId['unet-step-cfg'].first).toBe(300); // the cold run's first step
    expect(byId.image.first).toBe(400);
    expect(byId['text-encoder'].first).toBe(50);
    // 100 ms image − 5 ms text encoder − 4 × 20 ms steps − 8 ms VAE.
    expect(byId.other.warm?.median).toBe(7);
  });

  it('says the cold image over the warm one, and keeps each configuration', () => {
    expect(report.firstGenerateOverWarm).toBe(4);
    expect(Object.keys(report.configs)).toEqual(['cfg', 'no-cfg', 'controlnet']);
    expect(report.configs.controlnet?.perStep[CONTROL]).toEqual({ up: 300, down: 200, runs: 1, runMs: 1 });
    expect(report.configs.controlnet?.bytesPerStep.total).toBe(2000);
    expect(report.configs.cfg?.guidance).toBe(5);
  });

  it('leaves a row empty, with the reason, where the model lacks the part', () => {
    const plain = buildReport({
      date: '2026-12-04T00:00:00.000Z',
      environment,
      model: { ...model, hasControlNet: false, classifierFreeGuidance: false },
      repeats: 1,
      firstRunCold: true,
      guidance: { 'no-cfg': 1 },
      samples: samples.filter((s) => s.config === 'no-cfg'),
    });
    const byId = Object.fromEntries(plain.rows.map((r) => [r.id, r]));
    expect(byId.controlnet.warm).toBeNull();
    expect(byId.controlnet.note).toBe('this model has no ControlNet');
    expect(byId['unet-step-cfg'].note).toBe('this family runs no unconditional pass');
    expect(byId.image.warm?.median).toBe(100);
    expect(byId['text-encoder'].label).toBe('text encoder');
  });

  it('survives JSON (what the page copies and npm run bench reads)', () => {
    const back = JSON.parse(JSON.stringify(report));
    expect(back).toEqual(report);
    expect(back.schema).toBe('lantern-bench/1');
    expect(back.publish).toMatch(/publish yours/);
  });

  it('renders as a markdown table naming the setup, every row, bytes per part and the overhead', () => {
    const md = toMarkdown(report);
    expect(md).toContain(
      'lantern-shapes 64×64 · 4 steps (PLMS) · wasm — wasm chosen in settings · 2 wasm threads asked · adapter no WebGPU adapter · Chrome 131.0.6778.85',
    );
    expect(md).toContain('| U-Net step with CFG (batch 2) | 300 | 20.0 | 20.0–20.0 | 4 |');
    expect(md).toContain('| controlnet/model.onnx | 300 B | 200 B | 1 | 1.0 |');
    expect(md).toMatch(/pipeline overhead 25\.0 % of a step/);
    const table = md.split('\n').filter((l) => l.startsWith('| '));
    for (const line of table) expect(line.endsWith('|'), line).toBe(true);
  });
});

describe('formatting', () => {
  it('prints milliseconds, bytes and percentages readably', () => {
    expect([formatMs(0.423), formatMs(12.34), formatMs(1234.5), formatMs(null)]).toEqual(['0.42', '12.3', '1235', '—']);
    expect([formatBytes(812), formatBytes(65_536), formatBytes(1_310_720), formatBytes(undefined)]).toEqual(['812 B', '65.5 kB', '1.31 MB', '—']);
    expect([formatPct(12.345), formatPct(null)]).toEqual(['12.3 %', '—']);
  });
  it('names the browser from its user agent', () => {
    expect(browserName(environment.userAgent)).toBe('Chrome 131.0.6778.85');
    expect(browserName('Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0')).toBe('Firefox 133.0');
    expect(browserName('Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15')).toBe('Safari 18.1');
  });
});
