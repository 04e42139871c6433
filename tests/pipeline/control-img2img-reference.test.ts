/**
 * ControlNet and img2img through Lantern's pipeline vs independent torch runs of the same
 * fixture weights (training/fixtures/reference_controlnet.py, diffusers semantics).
 */
import { describe, expect, it } from 'vitest';
import { generate } from '@/lib/diffusion/pipeline';
import { loadPipeline, type PipelineModels } from '@/lib/diffusion/load-pipeline';
import { loadModelFolder } from '@/lib/models/load-folder';
import { createNodeSessionFactory } from '@/lib/onnx/node';
import type { FloatImage } from '@/lib/tensor/image';
import { dirSource } from '../helpers/dir-source';
import { expectImage, expectLatents, readReference, referenceParams, type Reference } from '../helpers/reference';

const factory = createNodeSessionFactory({ intraOpNumThreads: 1 });
const load = async (folder: string) => loadPipeline(await loadModelFolder(dirSource(folder)), factory);

function floatImage(ref: Reference, key: string): FloatImage {
  const [height, width] = ref[`${key}_shape_hwc`] as number[];
  return { width, height, data: Float32Array.from(ref[key] as number[]) };
}

describe('ControlNet vs torch (scale 0.8, start 0, end 0.5, CFG 7.5)', () => {
  const ref = readReference('controlnet-reference');
  for (const folder of ['models/fixtures/tiny-sd-controlnet', 'models/fixtures/tiny-sd-controlnet-onnxweb']) {
    it(`matches through ${folder.split('/').pop()}'s tensor names`, async () => {
      const models = await load(folder);
      const r = await generate(models, referenceParams(ref, { controlScale: 0.8, controlStart: 0, controlEnd: 0.5 }), {
        images: { control: floatImage(ref, 'control_image') },
      });
      expect(r.timesteps).toEqual(ref.timesteps);
      expect(r.controlScales).toEqual(ref.cond_scales);
      expectLatents(r.latents.data, ref.final_latents);
      expectImage(r.image.data, ref);
    });
  }

  it('the control changes the image, and a residual-taking U-Net without a sketch matches plain tiny-sd', async () => {
    const models = await load('models/fixtures/tiny-sd-controlnet');
    const plain = readReference('tiny-sd-ddim-reference');
    const without = await generate(models, referenceParams(ref, {}));
    expectLatents(without.latents.data, plain.final_latents);
    expect(without.controlScales).toEqual([]);
  });
});

describe('img2img vs torch (seed 7, strength 0.6, 10 DDIM steps)', () => {
  async function withEncoderFrom(encoderFolder: string): Promise<PipelineModels> {
    const models = await load('models/fixtures/tiny-sd');
    const encoder = await load(encoderFolder);
    return { ...models, vaeEncoder: encoder.vaeEncoder };
  }

  it('samples the posterior (latent_parameters) then noises at t_start, drawing in diffusers order', async () => {
    const ref = readReference('img2img-reference');
    const models = await withEncoderFrom(ref.vae_encoder_model);
    const r = await generate(models, referenceParams(ref, { strength: ref.strength }), { images: { init: floatImage(ref, 'init_image') } });
    expect(r.timesteps).toEqual(ref.timesteps);
    expectLatents(r.latents.data, ref.final_latents);
    expectImage(r.image.data, ref);
  });

  it('uses the mean directly when the encoder gives latent_sample', async () => {
    const ref = readReference('img2img-mean-reference');
    const models = await withEncoderFrom(ref.vae_encoder_model);
    const r = await generate(models, referenceParams(ref, { strength: ref.strength }), { images: { init: floatImage(ref, 'init_image') } });
    expect(r.timesteps).toEqual(ref.timesteps);
    expectLatents(r.latents.data, ref.final_latents);
    expectImage(r.image.data, ref);
  });
});
