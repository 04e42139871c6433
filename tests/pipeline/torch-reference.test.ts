/**
 * Lantern's whole txt2img pipeline (tokenizer → text encoder → seeded latents → DDIM + CFG →
 * VAE) against an independent torch run of the same fixture weights
 * (training/fixtures/reference_run.py, diffusers DDIMScheduler semantics).
 */
import { describe, expect, it } from 'vitest';
import { generate } from '@/lib/diffusion/pipeline';
import { loadPipeline } from '@/lib/diffusion/load-pipeline';
import { loadModelFolder } from '@/lib/models/load-folder';
import { createNodeSessionFactory } from '@/lib/onnx/node';
import { dirSource } from '../helpers/dir-source';
import { expectImage, expectLatents, readReference, referenceParams } from '../helpers/reference';

const ref = readReference('tiny-sd-ddim-reference');

describe('pipeline vs torch reference (tiny-sd, DDIM, CFG 7.5, seed 42)', () => {
  it('tokenizes, schedules, denoises and decodes to the same numbers', async () => {
    const models = await loadPipeline(await loadModelFolder(dirSource(ref.model)), createNodeSessionFactory({ intraOpNumThreads: 1 }));
    expect(models.tokenizer.encode(ref.prompt).ids).toEqual(ref.prompt_ids);
    expect(models.tokenizer.encode(ref.negative_prompt).ids).toEqual(ref.uncond_ids);

    const r = await generate(models, referenceParams(ref));
    expect(r.timesteps).toEqual(ref.timesteps);
    expectLatents(r.latents.data, ref.final_latents);
    expectImage(r.image.data, ref);
  });
});
