/** Failures the engine knows how to name arrive as typed errors with stable codes, not as text. */
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '@/lib/diffusion/load-pipeline';
import { generate } from '@/lib/diffusion/pipeline';
import { InvalidParamsError, LanternError } from '@/lib/errors';
import { loadModelFolder } from '@/lib/models/load-folder';
import { createNodeSessionFactory } from '@/lib/onnx/node';
import { errorCode } from '@/lib/worker/handler';
import { dirSource } from '../helpers/dir-source';

const PARAMS = {
  prompt: 'a red circle',
  negativePrompt: '',
  seed: 1,
  steps: 2,
  guidanceScale: 1,
  guidanceRescale: 0,
  scheduler: 'ddim' as const,
  width: 64,
  height: 64,
};
const image = { width: 64, height: 64, data: new Float32Array(64 * 64 * 3).fill(0.5) };

describe('typed errors from the pipeline', () => {
  it('img2img or a sketch on a folder without the part is invalid-params, naming the input', async () => {
    const folder = await loadModelFolder(dirSource('models/fixtures/tiny-sd', { 'vae_encoder/model.onnx': null }));
    const models = await loadPipeline(folder, createNodeSessionFactory({ intraOpNumThreads: 1 }));
    const init = await generate(models, PARAMS, { images: { init: image } }).catch((e: unknown) => e);
    expect(init).toBeInstanceOf(InvalidParamsError);
    expect((init as InvalidParamsError).param).toBe('init');
    expect(errorCode(init)).toBe('invalid-params');
    const control = await generate(models, PARAMS, { images: { control: image } }).catch((e: unknown) => e);
    expect(control).toBeInstanceOf(LanternError);
    expect(errorCode(control)).toBe('invalid-params');
    expect((control as Error).message).toMatch(/no controlnet\/ graph/);
  });
});
