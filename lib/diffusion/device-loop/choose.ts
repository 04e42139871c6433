/**
 * Which denoising loop a generate runs. `auto` keeps the loop on the GPU on WebGPU, where
 * every host round trip is a GPU readback; on wasm and the CPU the tensors live in host
 * memory anyway, so the host loop (diffusers' order of operations, in JS) runs there.
 */
import { InvalidParamsError } from '../../errors';
import { declaredDim } from '../feeds';
import type { PipelineModels } from '../load-pipeline';
import { runSchedulerConfig, type GenerateParams } from '../params';
import { createScheduler } from '../schedulers';

export type LoopPreference = 'auto' | 'host' | 'device';
export const LOOP_PREFERENCES: readonly LoopPreference[] = ['auto', 'host', 'device'];

export type LoopChoice = { loop: 'device' } | { loop: 'host'; reason: string };

/** Why the GPU-resident loop cannot run this generate, or null when it can. */
export function deviceLoopProblem(models: PipelineModels, params: GenerateParams, doCfg: boolean, usesExtraFeeds: boolean): string | null {
  if (!models.helpers) return 'this pipeline has no helper graphs';
  for (const s of [models.unet, models.controlnet]) {
    if (s && !s.runOnDevice) return `${s.label} cannot keep its outputs on the device`;
  }
  const scheduler = createScheduler(params.scheduler, runSchedulerConfig(models.schedulerConfig, params.timestepSpacing));
  if (!scheduler.linear) return `${scheduler.name} has no linear form`;
  const problem = scheduler.linear.problem();
  if (problem) return problem;
  if (usesExtraFeeds) return 'extra U-Net feeds are given per step on the host';
  if (doCfg && declaredDim(models.unet, 'sample', 0, 2) === 1)
    return `${models.unet.label} takes a batch of 1 (a static export): CFG runs its two halves on the host`;
  return null;
}

export function chooseLoop(models: PipelineModels, params: GenerateParams, doCfg: boolean, preference: LoopPreference, usesExtraFeeds: boolean): LoopChoice {
  if (preference === 'host') return { loop: 'host', reason: 'the host loop was asked for' };
  if (preference === 'auto' && models.backend !== 'webgpu') return { loop: 'host', reason: `on ${models.backend} the tensors live in host memory` };
  const problem = deviceLoopProblem(models, params, doCfg, usesExtraFeeds);
  if (!problem) return { loop: 'device' };
  if (preference === 'device') throw new InvalidParamsError(`the GPU-resident loop cannot run this: ${problem}`, 'loop');
  return { loop: 'host', reason: problem };
}
