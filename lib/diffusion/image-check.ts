/**
 * After-the-fact checks of what the parts produced (issue #11: "a black or NaN image is
 * detected and explained instead of shown silently").
 *
 * Decision: NaN/±∞ is an error, a flat image a warning.
 * - NaN or ±∞ in the latents (after a denoising step) or in the VAE decoder's output throws
 *   NonFiniteOutputError naming the part's file: the image would be black or noise, and the way
 *   forward is another part or backend (an fp16 VAE overflows: the fp32 VAE, or wasm).
 * - A flat image (every pixel within 1/255 of one colour, e.g. all black) is returned with a
 *   warning in `GenerateResult.warnings`: a prompt may ask for it, so the image is kept.
 */
import { NonFiniteOutputError } from '../errors';
import type { FloatImage } from '../tensor/image';

/** How many values are NaN or ±∞. */
export function countNonFinite(data: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) n++;
  return n;
}

/** Throws NonFiniteOutputError when a denoising step left NaN/±∞ in the latents. */
export function checkLatents(latents: ArrayLike<number>, unetLabel: string, step: number, totalSteps: number, timestep: number): void {
  const count = countNonFinite(latents);
  if (count === 0) return;
  throw new NonFiniteOutputError(
    unetLabel,
    'denoising',
    count,
    latents.length,
    `the latents became NaN/∞ at step ${step} of ${totalSteps} (timestep ${timestep}; ${count} of ${latents.length} values) from ${unetLabel}: an fp16 U-Net overflow? try the wasm backend or an fp32 U-Net`,
  );
}

/** Throws NonFiniteOutputError when the VAE decoder's output holds NaN/±∞. */
export function checkDecoded(sample: ArrayLike<number>, vaeLabel: string): void {
  const count = countNonFinite(sample);
  if (count === 0) return;
  throw new NonFiniteOutputError(
    vaeLabel,
    'vae-decode',
    count,
    sample.length,
    `${vaeLabel} produced NaN/∞ in ${count} of ${sample.length} values: an fp16 VAE overflow? try the fp32 VAE or the wasm backend`,
  );
}

/** One 8-bit level: below this spread every pixel shows the same colour. */
const FLAT_SPREAD = 1 / 255;

/** A warning when every pixel is (within one 8-bit level) the same colour, else null. */
export function flatImageWarning(image: FloatImage, vaeLabel: string): string | null {
  const { data } = image;
  if (data.length === 0) return null;
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < data.length; i++) {
    const c = i % 3;
    if (data[i] < lo[c]) lo[c] = data[i];
    if (data[i] > hi[c]) hi[c] = data[i];
  }
  if (hi.some((h, c) => h - lo[c] >= FLAT_SPREAD)) return null;
  const rgb = lo.map((v) => Math.round(v * 255));
  const black = hi.every((h) => h < FLAT_SPREAD);
  const what = black ? 'all black' : `one flat colour (rgb ${rgb.join(', ')})`;
  return `the image is ${what}: ${vaeLabel} decoded no detail; an fp16 VAE that overflowed, or a model whose parts do not belong together? try the fp32 VAE or the wasm backend`;
}
