/**
 * How well an image follows a sketch: edge F1 between the sketch's strokes (thinned to
 * one-pixel centre lines) and the image's Canny edges, each pixel counting as matched when
 * the other set has a pixel within `tolerance` px.
 *
 * Image edges are lib/sketch's Canny run on each RGB channel (absolute thresholds) and
 * OR-ed: a luminance-only Canny misses shapes whose colour has about the background's
 * luminance (red on purple differ by 4/255 in BT.601 grey), which this palette has.
 */
import { cannyEdges } from '../sketch/canny';
import type { EvalImage } from './analyze';
import { toRgb255 } from './analyze';

export interface ImageEdgeOptions {
  /** Gaussian σ before the gradient. Default 1. */
  sigma?: number;
  /** Hysteresis thresholds on the 0…255 Sobel scale of one channel. Defaults 40 / 80. */
  low?: number;
  high?: number;
}

export const EDGE_DEFAULTS = { sigma: 1, low: 40, high: 80, tolerance: 2, inkThreshold: 64 } as const;

/** 0/255 mask of colour edges (per-channel Canny, OR-ed). */
export function imageEdges(img: EvalImage, opts: ImageEdgeOptions = {}): Uint8Array {
  const { width: w, height: h } = img;
  const rgb = toRgb255(img);
  const out = new Uint8Array(w * h);
  for (let c = 0; c < 3; c++) {
    const plane = new Float32Array(w * h);
    for (let p = 0; p < w * h; p++) plane[p] = rgb[p * 3 + c] / 255;
    const e = cannyEdges(plane, w, h, {
      sigma: opts.sigma ?? EDGE_DEFAULTS.sigma,
      thresholds: 'absolute',
      low: opts.low ?? EDGE_DEFAULTS.low,
      high: opts.high ?? EDGE_DEFAULTS.high,
    });
    for (let p = 0; p < w * h; p++) out[p] |= e[p];
  }
  return out;
}

/**
 * Zhang–Suen thinning of a binary mask (nonzero = set): one-pixel-wide centre lines that
 * keep the strokes' connectivity. Returns a 0/255 mask.
 */
export function thin(mask: Uint8Array, w: number, h: number): Uint8Array {
  const m = Uint8Array.from(mask, (v) => (v ? 1 : 0));
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? 0 : m[y * w + x]);
  let changed = true;
  while (changed) {
    changed = false;
    for (const pass of [0, 1]) {
      const del: number[] = [];
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          if (!m[y * w + x]) continue;
          // P2..P9 clockwise from north
          const P = [at(x, y - 1), at(x + 1, y - 1), at(x + 1, y), at(x + 1, y + 1), at(x, y + 1), at(x - 1, y + 1), at(x - 1, y), at(x - 1, y - 1)];
          const B = P.reduce((a, b) => a + b, 0);
          if (B < 2 || B > 6) continue;
          let A = 0;
          for (let i = 0; i < 8; i++) if (P[i] === 0 && P[(i + 1) % 8] === 1) A++;
          if (A !== 1) continue;
          const [p2, , p4, , p6, , p8] = P;
          if (pass === 0 ? p2 * p4 * p6 === 0 && p4 * p6 * p8 === 0 : p2 * p4 * p8 === 0 && p2 * p6 * p8 === 0) del.push(y * w + x);
        }
      }
      for (const p of del) m[p] = 0;
      if (del.length) changed = true;
    }
  }
  return Uint8Array.from(m, (v) => v * 255);
}

/** A white-on-black sketch (grey 0…255) → its strokes' centre lines (0/255). */
export function sketchLines(sketch: Uint8Array, w: number, h: number, inkThreshold: number = EDGE_DEFAULTS.inkThreshold): Uint8Array {
  return thin(
    Uint8Array.from(sketch, (v) => (v >= inkThreshold ? 1 : 0)),
    w,
    h,
  );
}

export interface EdgeF1 {
  precision: number;
  recall: number;
  f1: number;
  /** Pixels in each set. */
  predicted: number;
  reference: number;
}

/** Mask of pixels within `radius` (Euclidean) of a set pixel. */
function dilate(mask: Uint8Array, w: number, h: number, radius: number): Uint8Array {
  const out = new Uint8Array(w * h);
  const R = Math.floor(radius);
  const offsets: [number, number][] = [];
  for (let dy = -R; dy <= R; dy++) for (let dx = -R; dx <= R; dx++) if (dx * dx + dy * dy <= radius * radius) offsets.push([dx, dy]);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!mask[y * w + x]) continue;
      for (const [dx, dy] of offsets) {
        const nx = x + dx;
        const ny = y + dy;
        if (nx >= 0 && ny >= 0 && nx < w && ny < h) out[ny * w + nx] = 1;
      }
    }
  }
  return out;
}

/**
 * Precision: share of predicted edge pixels within `tolerance` px of a reference pixel;
 * recall: share of reference pixels within `tolerance` of a predicted one. Both empty → 1.
 */
export function edgeF1(predicted: Uint8Array, reference: Uint8Array, w: number, h: number, tolerance: number = EDGE_DEFAULTS.tolerance): EdgeF1 {
  const nearRef = dilate(reference, w, h, tolerance);
  const nearPred = dilate(predicted, w, h, tolerance);
  let np = 0;
  let nr = 0;
  let tp = 0;
  let hit = 0;
  for (let p = 0; p < w * h; p++) {
    if (predicted[p]) {
      np++;
      if (nearRef[p]) tp++;
    }
    if (reference[p]) {
      nr++;
      if (nearPred[p]) hit++;
    }
  }
  if (np === 0 && nr === 0) return { precision: 1, recall: 1, f1: 1, predicted: 0, reference: 0 };
  const precision = np ? tp / np : 0;
  const recall = nr ? hit / nr : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, predicted: np, reference: nr };
}

export interface SketchF1Options extends ImageEdgeOptions {
  tolerance?: number;
  inkThreshold?: number;
}

/** Edge F1 of an image against a white-on-black sketch of the same size. */
export function sketchEdgeF1(img: EvalImage, sketch: Uint8Array, opts: SketchF1Options = {}): EdgeF1 {
  const { width: w, height: h } = img;
  if (sketch.length !== w * h) throw new RangeError(`sketchEdgeF1: the sketch has ${sketch.length} pixels, the image ${w}×${h}`);
  return edgeF1(imageEdges(img, opts), sketchLines(sketch, w, h, opts.inkThreshold), w, h, opts.tolerance);
}
