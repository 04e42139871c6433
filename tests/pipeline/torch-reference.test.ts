/**
 * Lantern's whole txt2img pipeline (tokenizer → text encoder → seeded latents → DDIM + CFG →
 * VAE) against an independent torch run of the same fixture weights
 * (training/fixtures/reference_run.py, diffusers DDIMScheduler semantics).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generate } from '@/lib/diffusion/pipeline';
import { loadPipeline } from '@/lib/diffusion/load-pipeline';
import { loadModelFolder } from '@/lib/models/load-folder';
import { createNodeSessionFactory } from '@/lib/onnx/node';
import { dirSource } from '../helpers/dir-source';

const ref = JSON.parse(readFileSync('tests/fixtures/pipeline/tiny-sd-ddim-reference.json', 'utf8'));

describe('pipeline vs torch reference (tiny-sd, DDIM, CFG 7.5, seed 42)', () => {
  it('tokenizes, schedules, denoises and decodes to the same numbers', async () => {
    const models = await loadPipeline(await loadModelFolder(dirSource(ref.model)), createNodeSessionFactory({ intraOpNumThreads: 1 }));
    expect(models.tokenizer.encode(ref.prompt).ids).toEqual(ref.prompt_ids);
    expect(models.tokenizer.encode(ref.negative_prompt).ids).toEqual(ref.uncond_ids);

    const r = await generate(models, {
      prompt: ref.prompt,
      negativePrompt: ref.negative_prompt,
      seed: ref.seed,
      steps: ref.steps,
      guidanceScale: ref.guidance,
      guidanceRescale: 0,
      scheduler: 'ddim',
      width: ref.image_shape_hwc[1],
      height: ref.image_shape_hwc[0],
    });
    expect(r.timesteps).toEqual(ref.timesteps);
    const scale = Math.max(...ref.final_latents.map(Math.abs));
    let maxDiff = 0;
    r.latents.data.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - ref.final_latents[i]))));
    expect(maxDiff / scale).toBeLessThan(1e-4);
    const sum = r.image.data.reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - ref.image_sum) / ref.image_sum).toBeLessThan(1e-5);
    Array.from(r.image.data.subarray(0, 16)).forEach((v, i) => expect(v).toBeCloseTo(ref.image_first_16[i], 4));
  });
});
