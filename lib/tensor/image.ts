/** Conversions between the VAE's CHW [-1,1] tensors and images (HWC [0,1] floats, RGBA bytes). */
import type { Tensor } from './tensor';
import { resizeImage } from './resample';

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

/** An RGBA bitmap as canvases produce it (ImageData-compatible). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Float HWC images pass through exactly (tests, other engines); RGBA bytes are resized to fit. */
export function imageToTensor(img: RgbaImage | FloatImage, width: number, height: number, range: 'unit' | 'signed'): Tensor {
  if (img.data instanceof Uint8ClampedArray) {
    const rgba = img as RgbaImage;
    return rgbaToTensor(rgba.width === width && rgba.height === height ? rgba : resizeImage(rgba, width, height), range);
  }
  if (img.width !== width || img.height !== height) {
    throw new Error(`image is ${img.width}×${img.height}, the output is ${width}×${height}: float images must match`);
  }
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const v = img.data[p * 3 + c];
      data[c * plane + p] = range === 'unit' ? v : v * 2 - 1;
    }
  }
  return { dims: [1, 3, height, width], data };
}

/**
 * RGBA bytes → [1,3,H,W] float: `unit` gives [0,1] (ControlNet conditions, diffusers'
 * do_normalize=False), `signed` gives [-1,1] (VAE encoder input). Alpha is ignored.
 */
export function rgbaToTensor(img: RgbaImage, range: 'unit' | 'signed'): Tensor {
  const plane = img.width * img.height;
  const data = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const v = img.data[p * 4 + c] / 255;
      data[c * plane + p] = range === 'unit' ? v : v * 2 - 1;
    }
  }
  return { dims: [1, 3, img.height, img.width], data };
}
