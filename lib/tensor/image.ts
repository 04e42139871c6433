/** Conversions between the VAE's CHW [-1,1] tensors and images (HWC [0,1] floats, RGBA bytes). */
import type { Tensor } from './tensor';

export interface FloatImage {
  width: number;
  height: number;
  /** HWC, 3 channels, values in [0,1]. */
  data: Float32Array;
}

/** The decoder's `sample` [1,3,H,W] in [-1,1] → HWC [0,1] (diffusers: (x/2+0.5).clamp(0,1)). */
export function vaeOutputToImage(sample: Tensor): FloatImage {
  const [b, c, h, w] = sample.dims;
  if (sample.dims.length !== 4 || b !== 1 || c !== 3) {
    throw new Error(`vaeOutputToImage: expected [1,3,H,W], got [${sample.dims.join(',')}]`);
  }
  const out = new Float32Array(h * w * 3);
  const plane = h * w;
  for (let ch = 0; ch < 3; ch++) {
    for (let p = 0; p < plane; p++) {
      const v = sample.data[ch * plane + p] / 2 + 0.5;
      out[p * 3 + ch] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  return { width: w, height: h, data: out };
}

/** HWC [0,1] → RGBA bytes, rounding like PIL's `(x*255).round()`. */
export function imageToRgba(img: FloatImage): Uint8ClampedArray {
  const n = img.width * img.height;
  const out = new Uint8ClampedArray(n * 4);
  for (let p = 0; p < n; p++) {
    out[p * 4] = Math.round(img.data[p * 3] * 255);
    out[p * 4 + 1] = Math.round(img.data[p * 3 + 1] * 255);
    out[p * 4 + 2] = Math.round(img.data[p * 3 + 2] * 255);
    out[p * 4 + 3] = 255;
  }
  return out;
}

/**
 * A cheap preview of latents [1,C,h,w] with no VAE pass: the first three channels,
 * each stretched to [0,1] over its own range, as RGBA at latent resolution.
 */
export function latentPreviewRgba(latents: Tensor): { width: number; height: number; rgba: Uint8ClampedArray } {
  const [, c, h, w] = latents.dims;
  const plane = h * w;
  const rgba = new Uint8ClampedArray(plane * 4);
  for (let ch = 0; ch < 3; ch++) {
    const src = latents.data.subarray(Math.min(ch, c - 1) * plane, Math.min(ch, c - 1) * plane + plane);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of src) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const span = hi - lo || 1;
    for (let p = 0; p < plane; p++) rgba[p * 4 + ch] = Math.round(((src[p] - lo) / span) * 255);
  }
  for (let p = 0; p < plane; p++) rgba[p * 4 + 3] = 255;
  return { width: w, height: h, rgba };
}
