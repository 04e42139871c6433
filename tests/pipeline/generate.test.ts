/** The real pipeline on the tiny fixture models through onnxruntime-node. */
import { beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, generate } from '@/lib/diffusion/pipeline';
import { loadPipeline, type PipelineModels } from '@/lib/diffusion/load-pipeline';
import type { GenerateParams } from '@/lib/diffusion/check-inputs';
import { loadModelFolder } from '@/lib/models/load-folder';
import { createNodeSessionFactory } from '@/lib/onnx/node';
import { SCHEDULER_NAMES } from '@/lib/diffusion/schedulers';
import { dirSource } from '../helpers/dir-source';

const BASE: GenerateParams = {
  prompt: 'a red circle on a blue background',
  negativePrompt: '',
  seed: 42,
  steps: 4,
  guidanceScale: 7.5,
  guidanceRescale: 0,
  scheduler: 'default',
  width: 64,
  height: 64,
};

async function load(folder: string): Promise<PipelineModels> {
  return loadPipeline(await loadModelFolder(dirSource(folder)), createNodeSessionFactory({ intraOpNumThreads: 1 }));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('pipeline on tiny-sd (int64 timestep)', () => {
  let models: PipelineModels;
  beforeAll(async () => {
    models = await load('models/fixtures/tiny-sd');
  });

  it('is deterministic: same seed, identical image', async () => {
    const a = await generate(models, BASE);
    const b = await generate(models, BASE);
    expect([a.image.width, a.image.height]).toEqual([64, 64]);
    expect(maxAbsDiff(a.image.data, b.image.data)).toBe(0);
  });

  it('different seeds, prompts and guidance give different images', async () => {
    const a = await generate(models, BASE);
    const seed = await generate(models, { ...BASE, seed: 43 });
    const prompt = await generate(models, { ...BASE, prompt: 'a green square' });
    const g1 = await generate(models, { ...BASE, guidanceScale: 1 });
    for (const other of [seed, prompt, g1]) expect(maxAbsDiff(a.image.data, other.image.data)).toBeGreaterThan(1e-3);
  });

  it('the image is not blank', async () => {
    const { image } = await generate(models, BASE);
    const mean = image.data.reduce((s, v) => s + v, 0) / image.data.length;
    const spread = Math.sqrt(image.data.reduce((s, v) => s + (v - mean) ** 2, 0) / image.data.length);
    expect(spread).toBeGreaterThan(0.02);
  });

  it('runs every scheduler end to end with finite output', async () => {
    for (const scheduler of SCHEDULER_NAMES) {
      const r = await generate(models, { ...BASE, scheduler, steps: 3 });
      expect(r.image.data.every(Number.isFinite), scheduler).toBe(true);
      expect(r.timesteps.length, scheduler).toBeGreaterThanOrEqual(3);
    }
  });

  it('cancel stops before the next step', async () => {
    const abort = new AbortController();
    const steps: number[] = [];
    const err = await generate(
      models,
      { ...BASE, steps: 20 },
      {
        signal: abort.signal,
        onProgress: (p) => {
          steps.push(p.step);
          if (p.step === 3) abort.abort();
        },
      },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect(err.atStep).toBe(3);
    expect(steps).toEqual([1, 2, 3]);
  });

  it('reports progress once per step with the scheduler timesteps', async () => {
    const seen: number[] = [];
    const r = await generate(models, { ...BASE, scheduler: 'ddim', steps: 4 }, { onProgress: (p) => seen.push(p.timestep) });
    expect(seen).toEqual(r.timesteps);
    expect(r.timesteps).toEqual([751, 501, 251, 1]); // SD 1.5 DDIM, leading spacing, steps_offset 1
  });
});

describe('pipeline on tiny-sd-float-t (float32 timestep, vocab.json + merges.txt, PNDM)', () => {
  it('generates deterministically through the other dtype and tokenizer path', async () => {
    const models = await load('models/fixtures/tiny-sd-float-t');
    expect(models.unet.inputs.find((i) => i.name === 'timestep')?.type).toBe('float32');
    const a = await generate(models, { ...BASE, scheduler: 'default', steps: 5 });
    const b = await generate(models, { ...BASE, scheduler: 'default', steps: 5 });
    expect(maxAbsDiff(a.image.data, b.image.data)).toBe(0);
    expect(a.timesteps.length).toBe(6); // PLMS repeats one timestep for its warm-up
  });
});
