/**
 * The image sizes a model supports, for the studio's size menus. A U-Net with static shapes runs
 * at one size only; any other SD model is trained at a native side (lantern.json's recommended
 * size, else unet `sample_size` × the VAE factor, else its family's) and gives good pictures near
 * it: ¾…1½ of it, in steps of 64 px (8 latent cells: an SD U-Net halves the latent three times,
 * so any multiple of 64 runs on every family). Further away it is slow and
 * falls apart (the audit: 512² on a 64² model was noise at 54 s a step), so the studio offers
 * those only behind an explicit "custom" with `sizeWarning`.
 */
import { PARAM_LIMITS } from './params';

export interface SizeContext {
  /** The size the model was trained at (its recommended size). */
  native: { width: number; height: number };
  /** Set for a static-shape U-Net: the only size it runs. */
  fixed: { width: number; height: number } | null;
}

const STEP = 64;

/** Sizes offered for one side: the multiples of 64 in native·¾ … native·1½, and the native side; or the fixed size alone. */
export function supportedSides(ctx: SizeContext, axis: 'width' | 'height'): number[] {
  if (ctx.fixed) return [ctx.fixed[axis]];
  const native = ctx.native[axis];
  const out = new Set<number>([native]);
  for (let v = Math.ceil((native * 0.75) / STEP) * STEP; v <= native * 1.5; v += STEP) out.add(v);
  return [...out].filter((v) => v >= PARAM_LIMITS[axis].min && v <= PARAM_LIMITS[axis].max).sort((a, b) => a - b);
}

/** Why a size the model was not offered is a bad idea, or null when it is one of the supported sizes. */
export function sizeWarning(ctx: SizeContext, width: number, height: number): string | null {
  if (ctx.fixed) {
    if (width === ctx.fixed.width && height === ctx.fixed.height) return null;
    return `this model's U-Net has static shapes: it runs at ${ctx.fixed.width}×${ctx.fixed.height} only`;
  }
  if (supportedSides(ctx, 'width').includes(width) && supportedSides(ctx, 'height').includes(height)) return null;
  const { width: nw, height: nh } = ctx.native;
  const ratio = (width * height) / (nw * nh);
  const cost = ratio > 1 ? ` — about ${ratio.toFixed(ratio < 10 ? 1 : 0)}× the work of ${nw}×${nh} per step` : '';
  return `${width}×${height} is outside the sizes this model was trained for (around ${nw}×${nh}): expect repeated or broken shapes${cost}`;
}
