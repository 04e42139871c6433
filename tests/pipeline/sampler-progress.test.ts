/** The four samplers of issue #13 run the whole pipeline on both loops; Heun's progress counts steps. */
import { describe, expect, it } from 'vitest';
import { generate } from '@/lib/diffusion/pipeline';
import { loadPipeline } from '@/lib/diffusion/load-pipeline';
import { loadModelFolder } from '@/lib/models/load-folder';
import { createNodeSessionFactory } from '@/lib/onnx/node';
import { DEFAULT_PARAMS } from '@/lib/diffusion/params';
import { dirSource } from '../helpers/dir-source';

describe('heun, dpmpp-2m-sde-karras, vp-sde, pf-ode in the pipeline', async () => {
  const models = await loadPipeline(await loadModelFolder(dirSource('models/fixtures/tiny-sd')), createNodeSessionFactory({ intraOpNumThreads: 1 }));
  const params = { ...DEFAULT_PARAMS, prompt: 'a red circle', negativePrompt: '', seed: 2, steps: 3, guidanceScale: 7.5, width: 64, height: 64 };
  for (const scheduler of ['heun', 'dpmpp-2m-sde-karras', 'vp-sde', 'pf-ode'] as const) {
    it(`${scheduler}: progress 1…3 of 3; the sampler's label; finite latents`, async () => {
      const steps: string[] = [];
      const r = await generate(models, { ...params, scheduler }, { onProgress: (p) => steps.push(`${p.step}/${p.totalSteps}`) });
      expect(steps).toEqual(['1/3', '2/3', '3/3']);
      expect(r.timesteps.length).toBe(scheduler === 'heun' ? 5 : 3); // Heun: 2N − 1 model calls
      expect(r.latents.data.every(Number.isFinite)).toBe(true);
    });
  }
});
