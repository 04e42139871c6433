/**
 * Turning an uploaded image into the sketch's ink layer (white on black, what scribble/canny
 * ControlNets expect): a line drawing is used as it is (inverted when it is dark on light),
 * anything else goes through Canny.
 */
import { cannyEdges, type CannyOptions } from './canny';
import { resamplePlane, type SourceRect } from '../tensor/resample';
import type { InkMask, RgbaImage } from './types';

export { cannyEdges, CANNY_DEFAULTS, type CannyOptions } from './canny';
export { resizeImage, resamplePlane, type SourceRect } from '../tensor/resample';

/** Pixels within this luminance of the background tone count as background (paper, JPEG noise). */
export const BACKGROUND_BAND = 0.1;
/** A pixel this far from the background tone is ink. */
export const INK_CONTRAST = 0.35;
/** A line drawing: at least this share of pixels is background… */
export const LINE_DRAWING_MIN_BACKGROUND = 0.6;
/** …and at least this share of the rest is ink rather than in-between tones. */
export const LINE_DRAWING_MIN_INK_SHARE = 1 / 3;
/** Dark-on-light needs a light median and at most this share of dark pixels (sparse ink). */
export const INVERTED_MAX_DARK = 0.35;
/** Tone statistics look at no more pixels than this (strided), whatever the upload's size. */
const STATS_SAMPLES = 1 << 18;

/** Luminance in [0,1] (BT.601 weights as OpenCV's RGB2GRAY), transparency composited over white. */
export function toGray(img: RgbaImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const d = img.data;
    const l = (0.299 * d[p * 4] + 0.587 * d[p * 4 + 1] + 0.114 * d[p * 4 + 2]) / 255;
    const a = d[p * 4 + 3] / 255;
    out[p] = a * l + (1 - a);
  }
  return out;
}

export interface ToneStats {
  median: number;
  /** Share of pixels with luminance < 0.5. */
  darkFraction: number;
  /** Mean luminance of the most populated ±BACKGROUND_BAND tone band. */
  background: number;
  backgroundFraction: number;
  /** Share of pixels at least INK_CONTRAST away from the background. */
  inkFraction: number;
}

export function toneStats(gray: Float32Array): ToneStats {
  const hist = new Float64Array(256);
  const stride = Math.max(1, Math.ceil(gray.length / STATS_SAMPLES));
  let n = 0;
  for (let i = 0; i < gray.length; i += stride, n++) hist[Math.round(Math.min(1, Math.max(0, gray[i])) * 255)]++;
  const cum = new Float64Array(257); // cum[b] = count of bins < b
  for (let b = 0; b < 256; b++) cum[b + 1] = cum[b] + hist[b];
  const count = (lo: number, hi: number) => cum[Math.min(256, Math.max(0, hi))] - cum[Math.min(256, Math.max(0, lo))];

  let median = 0;
  while (median < 255 && cum[median + 1] < n / 2) median++;
  const band = Math.round(BACKGROUND_BAND * 255);
  let best = 0;
  for (let b = 1; b < 256; b++) if (count(b - band, b + band + 1) > count(best - band, best + band + 1)) best = b;
  let bgSum = 0;
  for (let b = Math.max(0, best - band); b <= Math.min(255, best + band); b++) bgSum += b * hist[b];
  const bgCount = count(best - band, best + band + 1);
  const background = bgSum / bgCount / 255;
  const contrast = INK_CONTRAST * 255;
  const ink = count(0, Math.floor(background * 255 - contrast) + 1) + count(Math.ceil(background * 255 + contrast), 256);
  return { median: median / 255, darkFraction: count(0, 128) / n, background, backgroundFraction: bgCount / n, inkFraction: ink / n };
}

function isInverted(s: ToneStats): boolean {
  return s.median > 0.5 && s.darkFraction <= INVERTED_MAX_DARK;
}

function isLineDrawing(s: ToneStats): boolean {
  const rest = 1 - s.backgroundFraction;
  return s.backgroundFraction >= LINE_DRAWING_MIN_BACKGROUND && s.inkFraction > 0 && s.inkFraction >= LINE_DRAWING_MIN_INK_SHARE * rest;
}

/** Dark ink on a light background (median luminance > 0.5 and at most 35 % dark pixels): invert it for the model. */
export function looksInverted(img: RgbaImage): boolean {
  return isInverted(toneStats(toGray(img)));
}

/** Few tones, mostly one background, the rest clearly ink: a drawing rather than a photo. */
export function looksLikeLineDrawing(img: RgbaImage): boolean {
  return isLineDrawing(toneStats(toGray(img)));
}

/**
 * How an upload of another aspect ratio is fitted (A1111's ControlNet resize modes):
 * 'cover' = crop and resize (centre crop, default), 'contain' = resize and fill (no ink
 * around), 'stretch' = just resize.
 */
export type FitMode = 'cover' | 'contain' | 'stretch';

export interface PrepareOptions {
  /** 'auto' (default) decides from the tones; 'lines' / 'canny' force a path. */
  mode?: 'auto' | 'lines' | 'canny';
  fit?: FitMode;
  /** For line drawings: 'auto' (default) inverts dark-on-light; true/false force it. */
  invert?: 'auto' | boolean;
  canny?: CannyOptions;
}

export interface PreparedSketch {
  /** At the requested sketch size; ready for `{ type: 'importBackground', mask }`. */
  mask: InkMask;
  /** 'lines': the drawing itself, levels stretched so the paper is black; 'canny': edges. */
  kind: 'lines' | 'canny';
  /** The drawing was dark on light and was inverted (always false for 'canny'). */
  inverted: boolean;
}

/** Upload → ink mask at width × height (the sketch size). */
export function prepareUploadedSketch(img: RgbaImage, width: number, height: number, opts: PrepareOptions = {}): PreparedSketch {
  if (img.data.length !== img.width * img.height * 4 || img.width < 1 || img.height < 1) {
    throw new RangeError(`prepareUploadedSketch: a ${img.width}×${img.height} RGBA image needs ${img.width * img.height * 4} bytes (got ${img.data.length})`);
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`prepareUploadedSketch: width and height must be positive integers (got ${width}×${height})`);
  }
  // Tones are judged at full resolution: shrinking turns thin lines into in-between greys.
  const gray = toGray(img);
  const stats = toneStats(gray);
  const mode = opts.mode ?? 'auto';
  const kind = mode === 'auto' ? (isLineDrawing(stats) ? 'lines' : 'canny') : mode;

  const fit = placement(img.width, img.height, width, height, opts.fit ?? 'cover');
  const small = resamplePlane(gray, img.width, img.height, fit.w, fit.h, fit.src);
  let inner: Uint8Array;
  let inverted = false;
  if (kind === 'canny') {
    inner = cannyEdges(small, fit.w, fit.h, opts.canny);
  } else {
    const invert = opts.invert ?? 'auto';
    inverted = invert === 'auto' ? isInverted(stats) : invert;
    inner = lineInk(small, inverted, inverted ? 1 - stats.background : stats.background);
  }
  const data = new Uint8Array(width * height);
  for (let y = 0; y < fit.h; y++) data.set(inner.subarray(y * fit.w, (y + 1) * fit.w), (y + fit.dy) * width + fit.dx);
  return { mask: { width, height, data }, kind, inverted };
}

/** Ink-polarity levels: the background band → 0, the strongest ink → 255, anti-aliasing kept. */
function lineInk(gray: Float32Array, invert: boolean, inkBackground: number): Uint8Array {
  const v = invert ? gray.map((g) => 1 - g) : gray;
  const lo = inkBackground + BACKGROUND_BAND;
  let hi = 0;
  for (const x of v) if (x > hi) hi = x;
  const out = new Uint8Array(v.length);
  if (hi - lo <= 1e-6) return out;
  for (let i = 0; i < v.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, (v[i] - lo) / (hi - lo))) * 255);
  return out;
}

/** Where the upload lands: the source rectangle read, and the destination box inside the sketch. */
function placement(sw: number, sh: number, width: number, height: number, fit: FitMode) {
  const full: SourceRect = { x: 0, y: 0, width: sw, height: sh };
  const target = width / height;
  const aspect = sw / sh;
  if (fit === 'stretch') return { src: full, w: width, h: height, dx: 0, dy: 0 };
  if (fit === 'cover') {
    const src =
      aspect > target
        ? { x: (sw - sh * target) / 2, y: 0, width: sh * target, height: sh }
        : { x: 0, y: (sh - sw / target) / 2, width: sw, height: sw / target };
    return { src, w: width, h: height, dx: 0, dy: 0 };
  }
  const w = aspect > target ? width : Math.max(1, Math.min(width, Math.round(height * aspect)));
  const h = aspect > target ? Math.max(1, Math.min(height, Math.round(width / aspect))) : height;
  return { src: full, w, h, dx: Math.floor((width - w) / 2), dy: Math.floor((height - h) / 2) };
}
