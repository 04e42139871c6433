/**
 * Separable image resampling: area averaging on an axis that shrinks (every source pixel counts,
 * so thin lines fade instead of vanishing), bilinear with half-pixel centres on one that grows.
 */
import type { RgbaImage } from './image';

/** A region of the source in (fractional) source pixels. */
export interface SourceRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

interface AxisTaps {
  start: Int32Array;
  offset: Int32Array; // into weights; taps of dst i are weights[offset[i] .. offset[i+1])
  weights: Float32Array;
}

function axisTaps(n: number, from: number, length: number, out: number): AxisTaps {
  const scale = length / out;
  const start = new Int32Array(out);
  const offset = new Int32Array(out + 1);
  const weights: number[] = [];
  for (let i = 0; i < out; i++) {
    offset[i] = weights.length;
    if (scale > 1) {
      const a = from + i * scale;
      const b = a + scale;
      const k0 = Math.floor(a);
      start[i] = k0;
      for (let k = k0; k < b; k++) weights.push((Math.min(b, k + 1) - Math.max(a, k)) / scale);
    } else {
      const s = Math.min(n - 1, Math.max(0, from + (i + 0.5) * scale - 0.5));
      const k0 = Math.floor(s);
      start[i] = k0;
      weights.push(1 - (s - k0), s - k0);
    }
  }
  offset[out] = weights.length;
  return { start, offset, weights: Float32Array.from(weights) };
}

function tap(taps: AxisTaps, i: number, n: number, read: (k: number) => number): number {
  let acc = 0;
  for (let t = taps.offset[i], k = taps.start[i]; t < taps.offset[i + 1]; t++, k++) {
    acc += taps.weights[t] * read(k < 0 ? 0 : k >= n ? n - 1 : k); // edges replicate
  }
  return acc;
}

/** Resamples one float plane (sw × sh) to dw × dh, optionally from a sub-rectangle of the source. */
export function resamplePlane(
  src: Float32Array,
  sw: number,
  sh: number,
  dw: number,
  dh: number,
  rect: SourceRect = { x: 0, y: 0, width: sw, height: sh },
): Float32Array {
  const tx = axisTaps(sw, rect.x, rect.width, dw);
  const ty = axisTaps(sh, rect.y, rect.height, dh);
  const rowLo = Math.max(0, ty.start[0]);
  const rowHi = Math.min(sh, ty.start[dh - 1] + (ty.offset[dh] - ty.offset[dh - 1]));
  const tmp = new Float32Array(sh * dw);
  for (let y = rowLo; y < rowHi; y++) {
    const row = y * sw;
    for (let x = 0; x < dw; x++) tmp[y * dw + x] = tap(tx, x, sw, (k) => src[row + k]);
  }
  const out = new Float32Array(dw * dh);
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) out[y * dw + x] = tap(ty, y, sh, (k) => tmp[k * dw + x]);
  }
  return out;
}

/** RGBA resize (area down, bilinear up) with premultiplied alpha, so transparent pixels don't bleed colour. */
export function resizeImage(img: RgbaImage, width: number, height: number, rect?: SourceRect): RgbaImage {
  const n = img.width * img.height;
  const planes = [0, 1, 2, 3].map(() => new Float32Array(n));
  for (let p = 0; p < n; p++) {
    const a = img.data[p * 4 + 3] / 255;
    for (let c = 0; c < 3; c++) planes[c][p] = img.data[p * 4 + c] * a;
    planes[3][p] = a;
  }
  const [r, g, b, a] = planes.map((pl) => resamplePlane(pl, img.width, img.height, width, height, rect));
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const alpha = a[p];
    data[p * 4] = alpha > 0 ? r[p] / alpha : 0;
    data[p * 4 + 1] = alpha > 0 ? g[p] / alpha : 0;
    data[p * 4 + 2] = alpha > 0 ? b[p] / alpha : 0;
    data[p * 4 + 3] = alpha * 255;
  }
  return { width, height, data };
}
