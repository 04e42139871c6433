/**
 * The GPU-resident loop (lib/diffusion/device-loop) against the host loop, on onnxruntime-node:
 * the same helper graphs the browser runs on WebGPU, here on the CPU EP. Same seed → the same
 * latents and image within fp32 rounding, for every scheduler with a linear form, with CFG,
 * guidance rescale, ControlNet (both residual styles, and the zero residuals of a
 * ControlNet-ready U-Net without a sketch), img2img, LCM's timestep_cond and fp16 graphs.
 * And the point of it: per step only scalars (and ancestral noise) cross the seam.
 */
import { describe, expect, it } from 'vitest';
import { generate, type GenerateHooks, type GenerateResult } from '@/lib/diffusion/pipeline';
import { loadPipeline, type PipelineModels } from '@/lib/diffusion/load-pipeline';
import { loadModelFolder } from '@/lib/models/load-folder';
import { createNodeSessionFactory } from '@/lib/onnx/node';
import { DEFAULT_PARAMS, type GenerateParams } from '@/lib/diffusion/params';
import { SCHEDULER_NAMES, createScheduler } from '@/lib/diffusion/schedulers';
import { deviceLoopProblem } from '@/lib/diffusion/device-loop/choose';
import { InvalidParamsError } from '@/lib/errors';
import { dirSource } from '../helpers/dir-source';
import { relError } from '../helpers/rel-error';

const loaded = new Map<string, Promise<PipelineModels>>();
function load(folder: string): Promise<PipelineModels> {
  let m = loaded.get(folder);
  if (!m) loaded.set(folder, (m = (async () => loadPipeline(await loadModelFolder(dirSource(folder)), createNodeSessionFactory({ intraOpNumThreads: 1 })))()));
  return m;
}

const base: GenerateParams = {
  ...DEFAULT_PARAMS,
  prompt: 'a red circle',
  negativePrompt: 'blurry',
  seed: 3,
  steps: 4,
  guidanceScale: 7.5,
  width: 64,
  height: 64,
};

async function both(folder: string, params: GenerateParams, hooks: GenerateHooks = {}): Promise<{ host: GenerateResult; device: GenerateResult }> {
  const models = await load(folder);
  const host = await generate(models, params, { ...hooks, loop: 'host' });
  const device = await generate(models, params, { ...hooks, loop: 'device' });
  return { host, device };
}

function expectSame({ host, device }: { host: GenerateResult; device: GenerateResult }, tol = 1e-5) {
  expect(host.transfer.loop).toBe('host');
  expect(device.transfer.loop).toBe('device');
  expect(device.timesteps).toEqual(host.timesteps);
  expect(relError(device.latents.data, host.latents.data)).toBeLessThan(tol);
  expect(relError(device.image.data, host.image.data)).toBeLessThan(tol * 10);
}

/** Bytes uploaded per step beyond the ancestral noise, and downloaded, during the loop. */
function perStep(r: GenerateResult): { up: number; down: number } {
  const all = Object.values(r.transfer.bytes);
  const up = all.reduce((s, t) => s + t.up, 0) - r.transfer.noiseBytes;
  const down = all.reduce((s, t) => s + t.down, 0);
  return { up: up / r.transfer.steps, down: down / r.transfer.steps };
}

describe('device loop = host loop (tiny-sd, CFG 7.5)', () => {
  const config = { num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', steps_offset: 1 };
  for (const name of SCHEDULER_NAMES) {
    it(`${name}`, async () => {
      const models = await load('models/fixtures/tiny-sd');
      const params = { ...base, scheduler: name };
      const problem = deviceLoopProblem(models, params, true, false);
      // Every sampler has a linear form: one without would silently fall back to the host loop on WebGPU.
      expect(createScheduler(name, { ...config, ...models.schedulerConfig }).linear, name).toBeDefined();
      expect(problem).toBeNull();
      const r = await both('models/fixtures/tiny-sd', params);
      expectSame(r);
      // Per step: timestep (8 B), the input scale, coefficients, guidance — far under 1 KB; nothing comes back.
      expect(perStep(r.device).up).toBeLessThan(1024);
      expect(perStep(r.device).down).toBe(0);
      // The host loop moves whole latents and ε every step.
      expect(perStep(r.host).up).toBeGreaterThan(2 * 4 * 4 * 8 * 8);
    });
  }

  it('with guidance rescale, several step counts', async () => {
    for (const steps of [1, 3, 7]) expectSame(await both('models/fixtures/tiny-sd', { ...base, steps, guidanceRescale: 0.7 }));
  });

  it('ancestral noise is the one per-step upload that scales with the latents (Euler a)', async () => {
    const r = await both('models/fixtures/tiny-sd', { ...base, scheduler: 'euler-ancestral', steps: 5 });
    expectSame(r);
    // σ_up = 0 on the last step (σ_next = 0): that step's draw is read by no term and not uploaded.
    expect(r.device.transfer.noiseBytes).toBe(4 * 4 * 8 * 8 * 4);
  });

  it('previews every k-th step download only those steps', async () => {
    const seen: number[] = [];
    const r = await both('models/fixtures/tiny-sd', { ...base, steps: 6 }, { previewEvery: 2, onPreview: (_, step) => seen.push(step) });
    expect(seen).toEqual([2, 4, 6, 2, 4, 6]);
    expect(perStep(r.device).down).toBe((3 * 4 * 8 * 8 * 4) / 6);
  });

  it('RGBA previews: made on the GPU by the device loop, the same picture as the host loop makes', async () => {
    const host: number[][] = [];
    const device: number[][] = [];
    const models = await load('models/fixtures/tiny-sd');
    await generate(models, { ...base, steps: 2 }, { loop: 'host', onPreviewRgba: (p) => host.push([...p.rgba]) });
    const r = await generate(models, { ...base, steps: 2 }, { loop: 'device', onPreviewRgba: (p) => device.push([...p.rgba]) });
    expect(device).toHaveLength(2);
    device.forEach((d, k) => d.forEach((v, i) => expect(Math.abs(v - host[k][i])).toBeLessThanOrEqual(1)));
    expect(perStep(r).down).toBe(8 * 8 * 4); // bytes, not floats
  });

  it('Euler without churn draws noise every step (the stream stays aligned) but uploads none', async () => {
    const r = await both('models/fixtures/tiny-sd', { ...base, scheduler: 'euler', steps: 4 });
    expectSame(r);
    expect(r.device.transfer.noiseBytes).toBe(0);
  });

  it('img2img', async () => {
    const init = { width: 64, height: 64, data: new Uint8ClampedArray(64 * 64 * 4).map((_, i) => (i * 37) % 256) };
    expectSame(await both('models/fixtures/tiny-sd', { ...base, steps: 5, strength: 0.6 }, { images: { init } }));
  });

  it('"device" refuses what it cannot run, naming why; auto on the CPU runs the host loop', async () => {
    const models = await load('models/fixtures/tiny-sd');
    const r = await generate(models, { ...base, steps: 1 });
    expect(r.transfer.loop).toBe('host');
    expect(r.transfer.hostReason).toMatch(/cpu/);
    await expect(generate(models, { ...base, steps: 1 }, { loop: 'device', extraUnetFeeds: async () => ({}) })).rejects.toThrow(InvalidParamsError);
  });
});

describe('device loop = host loop with ControlNet', () => {
  const control = { width: 64, height: 64, data: new Uint8ClampedArray(64 * 64 * 4).map((_, i) => ((i >> 6) % 3 === 0 ? 255 : 0)) };
  for (const folder of ['models/fixtures/tiny-sd-controlnet', 'models/fixtures/tiny-sd-controlnet-onnxweb']) {
    it(`${folder.split('/').at(-1)}: a sketch for the first half, zeros after`, async () => {
      const r = await both(folder, { ...base, steps: 4, controlScale: 0.8, controlStart: 0, controlEnd: 0.5 }, { images: { control } });
      expectSame(r);
      expect(r.device.controlScales).toEqual(r.host.controlScales);
      expect(perStep(r.device).up).toBeLessThan(1024);
    });
  }
  it('a residual-taking U-Net without a sketch (zero residuals placed once)', async () => {
    const r = await both('models/fixtures/tiny-sd-controlnet', { ...base, steps: 3 });
    expectSame(r);
    expect(perStep(r.device).up).toBeLessThan(1024);
  });
});

describe('device loop = host loop on the public-layout replicas', () => {
  it('LCM (timestep_cond, no CFG)', async () => {
    const r = await both('models/fixtures/replicas/optimum-lcm-dreamshaper', { ...base, steps: 4, guidanceScale: 8, scheduler: 'default' });
    expectSame(r);
  });
  it('fp16 SD-Turbo with CFG (casts inside the helper graphs)', async () => {
    const r = await both('models/fixtures/replicas/optimum-sd-turbo', { ...base, steps: 2, guidanceScale: 2, scheduler: 'default' });
    expectSame(r, 2e-3); // fp16 inputs: the two loops round x·scale to half differently by one ulp
  });
});
