/**
 * The link between the score-SDE samplers and DDIM on a real model (tiny-sd, onnxruntime-node):
 * the probability-flow ODE by Euler converges to DDIM (η = 0) as steps grow — DDIM integrates
 * the same ODE exactly in ᾱ — while Euler–Maruyama on the reverse SDE, with its own noise,
 * lands somewhere else.
 */
import { describe, expect, it } from 'vitest';
import { generate } from '@/lib/diffusion/pipeline';
import { loadPipeline } from '@/lib/diffusion/load-pipeline';
import { loadModelFolder } from '@/lib/models/load-folder';
import { createNodeSessionFactory } from '@/lib/onnx/node';
import { DEFAULT_PARAMS, type SchedulerName } from '@/lib/diffusion/params';
import { dirSource } from '../helpers/dir-source';

function relDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    s += b[i] ** 2;
  }
  return Math.sqrt(d / s);
}

describe('pf-ode → DDIM as steps grow; vp-sde ≠ pf-ode', () => {
  it('tiny-sd, seed 4, no CFG', async () => {
    const models = await loadPipeline(await loadModelFolder(dirSource('models/fixtures/tiny-sd')), createNodeSessionFactory({ intraOpNumThreads: 1 }));
    const run = async (scheduler: SchedulerName, steps: number) =>
      (
        await generate(models, {
          ...DEFAULT_PARAMS,
          prompt: 'a red circle',
          negativePrompt: '',
          seed: 4,
          steps,
          guidanceScale: 1,
          width: 64,
          height: 64,
          scheduler,
        })
      ).latents.data;
    const gap = async (steps: number) => relDiff(await run('pf-ode', steps), await run('ddim', steps));
    const few = await gap(10);
    const many = await gap(500);
    expect(many).toBeLessThan(few / 5); // Euler's first-order error shrinks with the step
    expect(many).toBeLessThan(0.02);
    expect(relDiff(await run('vp-sde', 500), await run('pf-ode', 500))).toBeGreaterThan(0.1);
  }, 120_000);
});
