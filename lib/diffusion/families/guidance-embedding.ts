/**
 * diffusers' `get_guidance_scale_embedding(w, embedding_dim)` (LCM U-Nets' `timestep_cond`):
 * w·1000 against half_dim frequencies exp(−k·ln(10000)/(half_dim − 1)), sin half then cos
 * half, zero-padded when the dim is odd. Each product is rounded to float32 as torch
 * computes it in float32 — the sines of arguments in the thousands amplify any difference.
 */
export function guidanceScaleEmbedding(w: number, embeddingDim: number): Float32Array {
  const half = Math.floor(embeddingDim / 2);
  const out = new Float32Array(embeddingDim);
  const step = Math.fround(Math.log(10000) / (half - 1));
  const scaled = Math.fround(w * 1000);
  for (let k = 0; k < half; k++) {
    const freq = Math.fround(Math.exp(Math.fround(k * -step)));
    const arg = Math.fround(scaled * freq);
    out[k] = Math.sin(arg);
    out[half + k] = Math.cos(arg);
  }
  return out;
}
