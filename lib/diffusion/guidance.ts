/** Classifier-free guidance and guidance rescale, exactly as diffusers' pipelines compute them. */

/** eps = eps_uncond + g·(eps_cond − eps_uncond) */
export function applyGuidance(uncond: Float32Array, cond: Float32Array, scale: number): Float32Array {
  if (uncond.length !== cond.length) throw new Error(`applyGuidance: length ${uncond.length} ≠ ${cond.length}`);
  const out = new Float32Array(cond.length);
  for (let i = 0; i < out.length; i++) out[i] = uncond[i] + scale * (cond[i] - uncond[i]);
  return out;
}

function std(x: Float32Array): number {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i];
  mean /= x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - mean) ** 2;
  return Math.sqrt(v / (x.length - 1)); // torch.std is unbiased
}

/**
 * Lin et al. 2023 §3.4 (diffusers' `rescale_noise_cfg`): match the guided prediction's
 * std to the text-conditioned one, then blend by φ. Works per batch item; we run batch 1.
 */
export function rescaleGuidance(guided: Float32Array, cond: Float32Array, phi: number): Float32Array {
  if (phi <= 0) return guided;
  const ratio = std(cond) / std(guided);
  const out = new Float32Array(guided.length);
  for (let i = 0; i < out.length; i++) out[i] = phi * guided[i] * ratio + (1 - phi) * guided[i];
  return out;
}
