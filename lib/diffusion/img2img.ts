/**
 * img2img as diffusers' StableDiffusionImg2ImgPipeline: encode the init image with the VAE
 * (sampling the posterior with the run's generator when the encoder gives mean ‖ logvar),
 * scale it, then noise it to the first timestep that `strength` keeps.
 */
import { ModelFolderError } from '../errors';
import type { ModelSession } from '../onnx/types';
import type { NoiseSource } from '../random/noise-source';
import { tensor, type Tensor } from '../tensor/tensor';
import { InvalidParamsError } from './check-inputs';

/** diffusers' get_timesteps: skip the first t_start = N − min(⌊N·strength⌋, N) steps. */
export function getTimesteps(timesteps: readonly number[], numInferenceSteps: number, strength: number, order = 1): { timesteps: number[]; tStart: number } {
  const initTimestep = Math.min(Math.trunc(numInferenceSteps * strength), numInferenceSteps);
  const tStart = Math.max(numInferenceSteps - initTimestep, 0);
  const kept = timesteps.slice(tStart * order);
  if (kept.length === 0) {
    throw new InvalidParamsError(`strength ${strength} × ${numInferenceSteps} steps leaves no step to run; raise strength or steps`);
  }
  return { timesteps: kept, tStart };
}

/**
 * VAE-encodes `image` [1,3,H,W] in [-1,1] to scaled latents. `latent_parameters` (mean ‖
 * logvar) is sampled as diffusers' DiagonalGaussianDistribution.sample does — the run's
 * first draw; `latent_sample` is the mean already, so nothing is drawn.
 */
export async function encodeImage(vaeEncoder: ModelSession, image: Tensor, noise: NoiseSource, scalingFactor: number): Promise<Tensor> {
  const out = await vaeEncoder.run({ sample: { kind: 'float', tensor: image } });
  let mean: Float32Array;
  let dims: number[];
  if (out.latent_parameters) {
    const p = out.latent_parameters;
    const [b, c2, h, w] = p.dims;
    const c = c2 / 2;
    const half = b * c * h * w;
    if (b !== 1) throw new ModelFolderError('unsupported-model', vaeEncoder.label, `${vaeEncoder.label}: expected batch 1, got ${b}`);
    mean = p.data.slice(0, half);
    const logvar = p.data.subarray(half, 2 * half);
    const eps = noise.randn(half);
    for (let i = 0; i < half; i++) {
      const lv = Math.min(20, Math.max(-30, logvar[i]));
      mean[i] += Math.exp(0.5 * lv) * eps[i];
    }
    dims = [b, c, h, w];
  } else {
    const latent = out.latent_sample ?? Object.values(out)[0];
    if (!latent) throw new ModelFolderError('unsupported-model', vaeEncoder.label, `${vaeEncoder.label}: produced neither latent_sample nor latent_parameters`);
    mean = Float32Array.from(latent.data);
    dims = [...latent.dims];
  }
  for (let i = 0; i < mean.length; i++) mean[i] *= scalingFactor;
  return tensor(dims, mean);
}
