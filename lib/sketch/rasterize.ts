/**
 * Renders a sketch to pixels: ink coverage composed like a 2D canvas would (background layer,
 * then each stroke "source-over" in white or "destination-out" for the eraser), with
 * anti-aliased round-capped lines from the distance to each segment. The same function feeds
 * the on-screen canvas and the ControlNet, so what is seen is what conditions.
 */
import { tensor, type Tensor } from '../tensor/tensor';
import { finishStroke } from './stroke';
import type { ActiveStroke, InkMask, RgbaImage, SketchDoc, Stroke } from './types';

/** What the renderers read: a `SketchState` satisfies it. */
export interface RenderSource {
  doc: SketchDoc;
  active?: ActiveStroke | null;
}

/**
 * Ink coverage in [0,1], row-major H×W, for `doc` drawn at width × height (coordinates scale by
 * width/doc.width and height/doc.height; line widths by the geometric mean of the two).
 * `active`, if given, is drawn as it will be committed (smoothed) on top.
 */
export function renderInk(doc: SketchDoc, width: number, height: number, active?: ActiveStroke | null): Float32Array {
  const ink = new Float32Array(width * height);
  if (doc.background) drawMask(ink, width, height, doc.background);
  const sx = width / doc.width;
  const sy = height / doc.height;
  for (const stroke of doc.strokes) drawStroke(ink, width, height, stroke, sx, sy);
  if (active) drawStroke(ink, width, height, finishStroke(active), sx, sy);
  return ink;
}

/** Nearest-exact sampling (PyTorch `nearest-exact`): src = floor((dst + 0.5) · src/dst). */
function drawMask(ink: Float32Array, width: number, height: number, mask: InkMask): void {
  const cols = new Int32Array(width);
  for (let x = 0; x < width; x++) cols[x] = Math.min(mask.width - 1, Math.floor(((x + 0.5) * mask.width) / width));
  for (let y = 0; y < height; y++) {
    const row = Math.min(mask.height - 1, Math.floor(((y + 0.5) * mask.height) / height)) * mask.width;
    for (let x = 0; x < width; x++) ink[y * width + x] = mask.data[row + cols[x]] / 255;
  }
}

/** Composites one stroke into `ink` in place; points are scaled by (sx, sy) first. */
export function drawStroke(ink: Float32Array, width: number, height: number, stroke: Stroke, sx: number, sy: number): void {
  const n = stroke.points.length;
  if (n === 0) return;
  const sw = Math.sqrt(sx * sy);
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  const rs = new Float64Array(n);
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const p = stroke.points[i];
    xs[i] = p.x * sx;
    ys[i] = p.y * sy;
    rs[i] = Math.max(0, (p.w / 2) * sw);
    x0 = Math.min(x0, xs[i] - rs[i]);
    y0 = Math.min(y0, ys[i] - rs[i]);
    x1 = Math.max(x1, xs[i] + rs[i]);
    y1 = Math.max(y1, ys[i] + rs[i]);
  }
  // Pixels whose centre is within reach of the line (+1 px of anti-aliasing), clipped to the image.
  const bx0 = Math.max(0, Math.floor(x0 - 1));
  const by0 = Math.max(0, Math.floor(y0 - 1));
  const bx1 = Math.min(width, Math.ceil(x1 + 1));
  const by1 = Math.min(height, Math.ceil(y1 + 1));
  if (bx0 >= bx1 || by0 >= by1) return;
  const bw = bx1 - bx0;
  // The stroke is one shape: coverage is the max over its segments, composited once.
  const cov = new Float32Array(bw * (by1 - by0));
  for (let i = 0; i < Math.max(1, n - 1); i++) {
    const j = Math.min(i + 1, n - 1);
    segmentCoverage(cov, bx0, by0, bw, by1, bx1, xs[i], ys[i], rs[i], xs[j], ys[j], rs[j]);
  }
  const erase = stroke.tool === 'eraser';
  for (let y = by0; y < by1; y++) {
    for (let x = bx0; x < bx1; x++) {
      const c = cov[(y - by0) * bw + (x - bx0)];
      if (c === 0) continue;
      const k = y * width + x;
      ink[k] = erase ? ink[k] * (1 - c) : ink[k] + c - ink[k] * c;
    }
  }
}

/**
 * Coverage of a segment whose radius goes linearly from ra to rb (round caps), estimated per
 * pixel as clamp(r − d + 0.5) with d the distance of the pixel centre to the segment. Lines
 * thinner than a pixel are drawn 1 px wide at proportionally lower intensity, so they don't vanish.
 */
function segmentCoverage(
  cov: Float32Array,
  bx0: number,
  by0: number,
  bw: number,
  by1: number,
  bx1: number,
  ax: number,
  ay: number,
  ra: number,
  bx: number,
  by: number,
  rb: number,
): void {
  const reach = Math.max(ra, rb, 0.5) + 1;
  const sx0 = Math.max(bx0, Math.floor(Math.min(ax, bx) - reach));
  const sy0 = Math.max(by0, Math.floor(Math.min(ay, by) - reach));
  const sx1 = Math.min(bx1, Math.ceil(Math.max(ax, bx) + reach));
  const sy1 = Math.min(by1, Math.ceil(Math.max(ay, by) + reach));
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const reach2 = (Math.max(ra, rb, 0.5) + 0.5) ** 2; // beyond this distance coverage is 0
  for (let y = sy0; y < sy1; y++) {
    const py = y + 0.5;
    const row = (y - by0) * bw - bx0;
    for (let x = sx0; x < sx1; x++) {
      const k = row + x;
      if (cov[k] === 1) continue;
      const px = x + 0.5;
      let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = px - (ax + t * dx);
      const ey = py - (ay + t * dy);
      const d2 = ex * ex + ey * ey;
      if (d2 >= reach2) continue;
      const r = ra + t * (rb - ra);
      let c = (r < 0.5 ? 0.5 : r) - Math.sqrt(d2) + 0.5;
      if (c <= 0) continue;
      if (c > 1) c = 1;
      if (r < 0.5) c *= r / 0.5;
      if (c > cov[k]) cov[k] = c;
    }
  }
}

/** Coverage → opaque grey RGBA bytes: white ink on black, or black on white with `inkOnLight`. */
export function inkToRgba(ink: Float32Array, inkOnLight = false): Uint8ClampedArray {
  const out = new Uint8ClampedArray(ink.length * 4);
  for (let i = 0; i < ink.length; i++) {
    const v = Math.round(ink[i] * 255);
    const g = inkOnLight ? 255 - v : v;
    out[i * 4] = g;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = g;
    out[i * 4 + 3] = 255;
  }
  return out;
}

/**
 * The ControlNet image: white ink on black RGBA at width × height, committed strokes only
 * (a stroke still being drawn may yet be cancelled).
 */
export function toControlImage(source: RenderSource, width: number, height: number): RgbaImage {
  checkOutputSize(width, height, 'toControlImage');
  return { width, height, data: inkToRgba(renderInk(source.doc, width, height)) };
}

/**
 * `controlnet_cond` [1,3,H,W] in [0,1]: the bytes of `toControlImage` divided by 255, so the
 * tensor equals the image a user can save and inspect.
 */
export function toControlTensor(source: RenderSource, width: number, height: number): Tensor {
  checkOutputSize(width, height, 'toControlTensor');
  const ink = renderInk(source.doc, width, height);
  const plane = width * height;
  const out = tensor([1, 3, height, width]);
  for (let p = 0; p < plane; p++) {
    const v = Math.round(ink[p] * 255) / 255;
    out.data[p] = v;
    out.data[plane + p] = v;
    out.data[2 * plane + p] = v;
  }
  return out;
}

export interface DisplayOptions {
  /** Black ink on white (how people draw) instead of the model's white on black. */
  inkOnLight: boolean;
  /** Reuse the committed layers between frames while a stroke is drawn; see createInkCache. */
  cache?: InkCache;
}

/** What the canvas shows: committed strokes plus the one being drawn. */
export function toDisplayImage(source: RenderSource, width: number, height: number, opts: DisplayOptions): RgbaImage {
  checkOutputSize(width, height, 'toDisplayImage');
  let ink: Float32Array;
  if (opts.cache) {
    ink = opts.cache.committed(source.doc, width, height).slice();
    if (source.active) drawStroke(ink, width, height, finishStroke(source.active), width / source.doc.width, height / source.doc.height);
  } else {
    ink = renderInk(source.doc, width, height, source.active);
  }
  return { width, height, data: inkToRgba(ink, opts.inkOnLight) };
}

/**
 * Remembers the last committed render (by document identity and size) so a frame only draws the
 * live stroke, and a finished stroke is drawn onto the previous render instead of from scratch.
 * The returned buffer is shared: read it, don't write it.
 */
export interface InkCache {
  committed(doc: SketchDoc, width: number, height: number): Float32Array;
}

export function createInkCache(): InkCache {
  let key: SketchDoc | null = null;
  let size = [0, 0];
  let ink: Float32Array = new Float32Array(0);
  return {
    committed(doc, width, height) {
      if (key === doc && size[0] === width && size[1] === height) return ink;
      if (key && size[0] === width && size[1] === height && appendsTo(doc, key)) {
        // Only strokes were added (the usual pointerUp): draw those on a copy.
        ink = ink.slice();
        for (let i = key.strokes.length; i < doc.strokes.length; i++) drawStroke(ink, width, height, doc.strokes[i], width / doc.width, height / doc.height);
      } else {
        ink = renderInk(doc, width, height);
      }
      key = doc;
      size = [width, height];
      return ink;
    },
  };
}

/** `doc` is `prev` plus strokes appended. */
function appendsTo(doc: SketchDoc, prev: SketchDoc): boolean {
  if (doc.width !== prev.width || doc.height !== prev.height || doc.background !== prev.background) return false;
  if (doc.strokes.length < prev.strokes.length) return false;
  return prev.strokes.every((s, i) => doc.strokes[i] === s);
}

function checkOutputSize(width: number, height: number, where: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`${where}: width and height must be positive integers (got ${width}×${height})`);
  }
}
