/**
 * Image → scene, analytically. For a 64×64 picture of flat coloured shapes on a flat
 * background:
 *
 * 1. background: the border pixels vote for the nearest background colour; the measured
 *    background B is the per-channel median of the voters.
 * 2. pixel labels: each pixel p is modelled as an anti-aliased mix p ≈ B + α·(C − B) of the
 *    background and one object colour C; the label is the C that explains p with the least
 *    residual, and p is foreground when that α ≥ ½. Edge pixels thereby keep their object's
 *    colour instead of looking like a third colour (blue over yellow is grey half-way).
 * 3. objects: 8-connected components of equal labels; specks below `minPixels` join the
 *    object they touch (or are dropped); same-colour objects that touch are split where
 *    erosion separates them (the neck between two discs), then regrown.
 * 4. per object: soft mask (α of its colour, 1 px of fringe included), area, centroid, and
 *    the radial signature r(θ) (distance from the centroid to the α = ½ crossing, 64 rays):
 *    the relative amplitudes of its harmonics 3, 4, 5 tell triangle, square and star apart
 *    (rotation-invariant); a flat signature is a circle. The radius r in the generator's
 *    units comes from the area and the shape's area per r², the slot from the centre.
 */
import type { FloatImage, RgbaImage } from '../tensor/image';
import { shapeArea, shapeCentroidOffset, type Point } from './render';
import { objectColours, type Rgb, type ShapeName, type ShapesSpec } from './spec';

export type EvalImage = RgbaImage | FloatImage;

export interface AnalyzeOptions {
  /** Components with fewer pixels are specks: merged into an object they touch, else dropped. Default 12. */
  minPixels?: number;
  /** Objects with less coverage area (px) are ignored (not counted). Default 20. */
  minArea?: number;
  /** Split same-colour objects that touch. Default true. */
  splitTouching?: boolean;
  /** Below this largest harmonic amplitude (relative to the mean radius) a blob is a circle. Default 0.045. */
  circleThreshold?: number;
}

export const ANALYZE_DEFAULTS = { minPixels: 12, minArea: 20, splitTouching: true, circleThreshold: 0.045 } as const;

export interface DetectedObject {
  colour: string;
  /** Mean RGB of the object's solid pixels (α ≥ 0.9, or all when there are none). */
  meanRgb: Rgb;
  /** Euclidean RGB distance from meanRgb to the palette colour. */
  colourDistance: number;
  /** Pixels labelled as this object (α ≥ ½). */
  pixels: number;
  /** Coverage-weighted area in px². */
  area: number;
  /** Inclusive pixel bounds [x0, y0, x1, y1]. */
  bbox: [number, number, number, number];
  /** Coverage-weighted centroid, image coordinates (pixel x spans [x, x+1)). */
  centroid: Point;
  shape: ShapeName;
  /**
   * Radial-signature harmonic amplitudes relative to the mean radius, index k = 0…8
   * (0 and 1 unused: 0 is the mean, 1 an off-centre shift). 3 → triangle, 4 → square, 5 → star.
   */
  harmonics: number[];
  /** The generator's r for this shape and area, in the spec's pixels (imageSize wide). */
  radius: number;
  /** Nearest size name of the spec (log scale). */
  size: string;
  /** Estimated (cx, cy) in the generator's sense and the spec's pixels: centroid less the shape's centroid offset. */
  centre: Point;
  /** Nearest slot of the spec's positions. */
  position: string;
  touchesBorder: boolean;
}

export interface ImageAnalysis {
  width: number;
  height: number;
  background: string;
  /** Measured background colour (median of the border pixels that voted for it). */
  backgroundRgb: Rgb;
  /** Share of the border that voted for the background. */
  backgroundShare: number;
  /** Counted objects, largest first. */
  objects: DetectedObject[];
  /** Per pixel: index into `objects`, or -1 (background, specks, uncounted blobs). */
  labels: Int32Array;
  /** Foreground area (α-weighted px²) outside counted objects: specks and blobs below minArea. */
  strayArea: number;
}

/** Any 3-channel HWC float [0,1] or RGBA-byte image → RGB 0…255 floats, HWC. */
export function toRgb255(img: EvalImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n * 3);
  if (img.data instanceof Uint8ClampedArray) {
    for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) out[p * 3 + c] = img.data[p * 4 + c];
  } else {
    if (img.data.length !== n * 3) throw new RangeError(`analyzeImage: a ${img.width}×${img.height} float image needs ${n * 3} values`);
    for (let i = 0; i < n * 3; i++) out[i] = Math.min(1, Math.max(0, img.data[i])) * 255;
  }
  return out;
}

const dist = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** α ∈ [0,1] and squared residual of p as a mix of B and C. */
function mix(rgb: Float32Array, p: number, B: Rgb, C: Rgb): [number, number] {
  const vx = rgb[p * 3] - B[0];
  const vy = rgb[p * 3 + 1] - B[1];
  const vz = rgb[p * 3 + 2] - B[2];
  const dx = C[0] - B[0];
  const dy = C[1] - B[1];
  const dz = C[2] - B[2];
  const dd = dx * dx + dy * dy + dz * dz || 1;
  const a = Math.min(1, Math.max(0, (vx * dx + vy * dy + vz * dz) / dd));
  const rx = vx - a * dx;
  const ry = vy - a * dy;
  const rz = vz - a * dz;
  return [a, rx * rx + ry * ry + rz * rz];
}

const N8 = [
  [-1, -1],
  [0, -1],
  [1, -1],
  [-1, 0],
  [1, 0],
  [-1, 1],
  [0, 1],
  [1, 1],
] as const;
const N4 = [
  [0, -1],
  [-1, 0],
  [1, 0],
  [0, 1],
] as const;

/**
 * Breadth-first flood from `seeds` (marked in `seen`) into neighbours q of p for which
 * `enter(q, p)` holds; returns every pixel reached, seeds first.
 */
function flood(
  seeds: number[],
  w: number,
  h: number,
  seen: Uint8Array,
  nbrs: readonly (readonly [number, number])[],
  enter: (q: number, p: number) => boolean,
): number[] {
  const queue = seeds;
  for (const s of seeds) seen[s] = 1;
  for (let k = 0; k < queue.length; k++) {
    const p = queue[k];
    const x = p % w;
    const y = (p - x) / w;
    for (const [dx, dy] of nbrs) {
      const nx = x + dx;
      const ny = y + dy;
      if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
      const q = ny * w + nx;
      if (!seen[q] && enter(q, p)) {
        seen[q] = 1;
        queue.push(q);
      }
    }
  }
  return queue;
}

/** Connected components of `mask` pixels (nonzero), pixels joined when `same(p, q)`. */
function components(
  w: number,
  h: number,
  mask: (p: number) => boolean,
  same: (p: number, q: number) => boolean,
  nbrs: readonly (readonly [number, number])[] = N8,
): number[][] {
  const seen = new Uint8Array(w * h);
  const out: number[][] = [];
  for (let s = 0; s < w * h; s++) {
    if (seen[s] || !mask(s)) continue;
    out.push(flood([s], w, h, seen, nbrs, (q, p) => mask(q) && same(p, q)));
  }
  return out;
}

/** p and its 4 neighbours are all set in `mask`. */
function interior(p: number, w: number, h: number, mask: Uint8Array): boolean {
  const x = p % w;
  const y = (p - x) / w;
  return mask[p] === 1 && x > 0 && y > 0 && x < w - 1 && y < h - 1 && mask[p - 1] === 1 && mask[p + 1] === 1 && mask[p - w] === 1 && mask[p + w] === 1;
}

/** The blob plus every pixel it encloses (holes that don't reach the image border). */
function fillHoles(inBlob: Uint8Array, w: number, h: number): Uint8Array {
  const border: number[] = [];
  for (let p = 0; p < w * h; p++) {
    const x = p % w;
    const y = (p - x) / w;
    if ((x === 0 || y === 0 || x === w - 1 || y === h - 1) && !inBlob[p]) border.push(p);
  }
  const outside = new Uint8Array(w * h);
  flood(border, w, h, outside, N4, (q) => !inBlob[q]);
  const out = new Uint8Array(w * h);
  for (let p = 0; p < w * h; p++) out[p] = outside[p] ? 0 : 1;
  return out;
}

/**
 * Splits a blob where repeated 4-erosion breaks it into ≥ 2 pieces that regrow (geodesic
 * nearest piece inside the blob) into parts of at least `minArea` pixels each. Recursive.
 */
function splitTouching(pixels: number[], w: number, h: number, minArea: number): number[][] {
  if (pixels.length < 2 * minArea) return [pixels];
  const inBlob = new Uint8Array(w * h);
  for (const p of pixels) inBlob[p] = 1;
  let cur = fillHoles(inBlob, w, h);
  const filled: number[] = [];
  for (let p = 0; p < w * h; p++) if (cur[p]) filled.push(p);
  for (let iter = 0; iter < 12; iter++) {
    const next = new Uint8Array(w * h);
    let left = 0;
    for (const p of filled) {
      if (interior(p, w, h, cur)) {
        next[p] = 1;
        left++;
      }
    }
    if (left === 0) return [pixels];
    cur = next;
    const pieces = components(
      w,
      h,
      (p) => cur[p] === 1,
      () => true,
    ).filter((c) => c.length >= 3);
    if (pieces.length < 2) continue;
    // A real object's core survives one more erosion; specks left by noise don't.
    if (!pieces.every((c) => c.some((p) => interior(p, w, h, cur)))) return [pixels];
    // Regrow: breadth-first from all pieces at once, inside the blob.
    const owner = new Int32Array(w * h).fill(-1);
    const seeds: number[] = [];
    pieces.forEach((c, i) => c.forEach((p) => ((owner[p] = i), seeds.push(p))));
    flood(seeds, w, h, new Uint8Array(w * h), N4, (q, p) => inBlob[q] === 1 && ((owner[q] = owner[p]), true));
    const parts: number[][] = pieces.map(() => []);
    const orphans: number[] = [];
    for (const p of pixels) (owner[p] >= 0 ? parts[owner[p]] : orphans).push(p);
    if (parts.some((part) => part.length < minArea)) return [pixels];
    if (orphans.length) parts[0].push(...orphans); // 8-connected only: rare, keep them somewhere
    return parts.flatMap((part) => splitTouching(part, w, h, minArea));
  }
  return [pixels];
}

/** Bilinear sample of a pixel-centred plane at (x, y) in image coordinates; 0 outside. */
function sample(plane: Float32Array, w: number, h: number, x: number, y: number): number {
  const u = x - 0.5;
  const v = y - 0.5;
  const i = Math.floor(u);
  const j = Math.floor(v);
  const fu = u - i;
  const fv = v - j;
  const at = (a: number, b: number) => (a < 0 || b < 0 || a >= w || b >= h ? 0 : plane[b * w + a]);
  return (at(i, j) * (1 - fu) + at(i + 1, j) * fu) * (1 - fv) + (at(i, j + 1) * (1 - fu) + at(i + 1, j + 1) * fu) * fv;
}

const RAYS = 64;

/** r(θ) at RAYS angles: the farthest α = ½ crossing along each ray from c. */
export function radialSignature(soft: Float32Array, w: number, h: number, c: Point, maxR: number): Float64Array {
  const out = new Float64Array(RAYS);
  const step = 0.25;
  for (let j = 0; j < RAYS; j++) {
    const th = (2 * Math.PI * j) / RAYS;
    const dx = Math.cos(th);
    const dy = Math.sin(th);
    let prev = sample(soft, w, h, c[0], c[1]);
    let r = 0;
    for (let t = step; t <= maxR; t += step) {
      const v = sample(soft, w, h, c[0] + dx * t, c[1] + dy * t);
      if (prev >= 0.5 && v < 0.5) r = t - step + (step * (prev - 0.5)) / (prev - v);
      prev = v;
    }
    out[j] = r;
  }
  return out;
}

/** |k-th Fourier coefficient| × 2 / mean, for k = 0…8. */
export function harmonics(sig: Float64Array): number[] {
  const n = sig.length;
  const mean = sig.reduce((a, b) => a + b, 0) / n || 1;
  const out: number[] = [0];
  for (let k = 1; k <= 8; k++) {
    let re = 0;
    let im = 0;
    for (let j = 0; j < n; j++) {
      re += sig[j] * Math.cos((2 * Math.PI * k * j) / n);
      im -= sig[j] * Math.sin((2 * Math.PI * k * j) / n);
    }
    out.push((2 * Math.hypot(re, im)) / n / mean);
  }
  return out;
}

/** Harmonics → shape: a flat signature is a circle, else the strongest of 3 / 4 / 5. */
export function classifyShape(h: number[], circleThreshold: number = ANALYZE_DEFAULTS.circleThreshold): ShapeName {
  const cands: [ShapeName, number][] = [
    ['triangle', h[3]],
    ['square', h[4]],
    ['star', h[5]],
  ];
  const [best, amp] = cands.reduce((a, b) => (b[1] > a[1] ? b : a));
  return amp < circleThreshold ? 'circle' : best;
}

function nearestName<T>(entries: [string, T][], d: (v: T) => number): string {
  let best = entries[0][0];
  let bestD = Infinity;
  for (const [name, v] of entries) {
    const dv = d(v);
    if (dv < bestD) {
      bestD = dv;
      best = name;
    }
  }
  return best;
}

export function analyzeImage(img: EvalImage, spec: ShapesSpec, opts: AnalyzeOptions = {}): ImageAnalysis {
  const o = { ...ANALYZE_DEFAULTS, ...opts };
  const { width: w, height: h } = img;
  const n = w * h;
  const rgb = toRgb255(img);
  const k = w / spec.imageSize;

  // 1. Background: border vote.
  const bgEntries = Object.entries(spec.backgrounds);
  const votes = new Map<string, number[]>();
  let borderCount = 0;
  for (let p = 0; p < n; p++) {
    const x = p % w;
    const y = (p - x) / w;
    if (x !== 0 && y !== 0 && x !== w - 1 && y !== h - 1) continue;
    borderCount++;
    const px = rgb.subarray(p * 3, p * 3 + 3);
    const name = nearestName(bgEntries, (c) => dist(px, c));
    if (!votes.has(name)) votes.set(name, []);
    votes.get(name)!.push(p);
  }
  const [background, voters] = [...votes.entries()].reduce((a, b) => (b[1].length > a[1].length ? b : a));
  const B: Rgb = [0, 1, 2].map((c) => median(voters.map((p) => rgb[p * 3 + c]))) as unknown as Rgb;

  // 2. Labels by the mix model.
  const names = objectColours(spec, background);
  const palette = names.map((c) => spec.colours[c]);
  const label = new Int32Array(n).fill(-1);
  const alpha = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    let best = -1;
    let bestRes = Infinity;
    let bestA = 0;
    for (let k = 0; k < palette.length; k++) {
      const [a, res] = mix(rgb, p, B, palette[k]);
      if (res < bestRes) {
        bestRes = res;
        best = k;
        bestA = a;
      }
    }
    if (bestA >= 0.5) {
      label[p] = best;
      alpha[p] = bestA;
    }
  }

  // 3. Components of equal labels; specks join a touching object or are dropped.
  let comps = components(
    w,
    h,
    (p) => label[p] >= 0,
    (p, q) => label[p] === label[q],
  );
  const owner = new Int32Array(n).fill(-1);
  const big = comps.filter((c) => c.length >= o.minPixels);
  big.forEach((c, i) => c.forEach((p) => (owner[p] = i)));
  for (const c of comps) {
    if (c.length >= o.minPixels) continue;
    const contact = new Map<number, number>();
    for (const p of c) {
      const x = p % w;
      const y = (p - x) / w;
      for (const [dx, dy] of N8) {
        const nx = x + dx;
        const ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
        const j = owner[ny * w + nx];
        if (j >= 0) contact.set(j, (contact.get(j) ?? 0) + 1);
      }
    }
    if (contact.size) {
      const j = [...contact.entries()].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
      big[j].push(...c);
    }
  }
  comps = big;
  // Colour of a component: the label of its majority (specks that joined don't count).
  const compColour = comps.map((c) => {
    const counts = new Map<number, number>();
    for (const p of c) counts.set(label[p], (counts.get(label[p]) ?? 0) + 1);
    return [...counts.entries()].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  });
  let parts: { pixels: number[]; colour: number }[] = comps.map((c, i) => ({ pixels: c, colour: compColour[i] }));
  if (o.splitTouching) parts = parts.flatMap((part) => splitTouching(part.pixels, w, h, o.minArea).map((px) => ({ pixels: px, colour: part.colour })));

  // 4. Measure each part on its soft mask.
  const partOf = new Int32Array(n).fill(-1);
  parts.forEach((part, i) => part.pixels.forEach((p) => (partOf[p] = i)));
  const sizeEntries = Object.entries(spec.sizes);
  const slotEntries = Object.entries(spec.positions);
  const measured: (DetectedObject & { pixelsList: number[] })[] = [];
  let strayArea = 0;
  parts.forEach((part, i) => {
    const C = palette[part.colour];
    const soft = new Float32Array(n);
    const region = new Set(part.pixels);
    for (const p of part.pixels) {
      const x = p % w;
      const y = (p - x) / w;
      for (const [dx, dy] of N8) {
        const nx = x + dx;
        const ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
        const q = ny * w + nx;
        if (partOf[q] < 0) region.add(q);
      }
    }
    let area = 0;
    let sx = 0;
    let sy = 0;
    let x0 = w;
    let y0 = h;
    let x1 = -1;
    let y1 = -1;
    for (const p of region) {
      const a = partOf[p] === i ? Math.max(alpha[p], mix(rgb, p, B, C)[0]) : mix(rgb, p, B, C)[0];
      soft[p] = a;
      const x = p % w;
      const y = (p - x) / w;
      area += a;
      sx += a * (x + 0.5);
      sy += a * (y + 0.5);
    }
    for (const p of part.pixels) {
      const x = p % w;
      const y = (p - x) / w;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
    if (area < o.minArea) {
      strayArea += area;
      return;
    }
    const centroid: Point = [sx / area, sy / area];
    const maxR = Math.hypot(x1 - x0 + 3, y1 - y0 + 3);
    const harm = harmonics(radialSignature(soft, w, h, centroid, maxR));
    const shape = classifyShape(harm, o.circleThreshold);
    // radius and centre in the spec's units (its imageSize), whatever the image's size
    const radius = Math.sqrt(area / shapeArea(shape, 1)) / k;
    const size = nearestName(sizeEntries, (r) => Math.abs(Math.log(radius / r)));
    const off = shapeCentroidOffset(shape, radius);
    const centre: Point = [centroid[0] / k - off[0], centroid[1] / k - off[1]];
    const position = nearestName(slotEntries, ([px, py]) => Math.hypot(centre[0] - px, centre[1] - py));
    const solid = part.pixels.filter((p) => alpha[p] >= 0.9);
    const use = solid.length ? solid : part.pixels;
    const meanRgb = [0, 1, 2].map((c) => use.reduce((s, p) => s + rgb[p * 3 + c], 0) / use.length) as unknown as Rgb;
    measured.push({
      colour: names[part.colour],
      meanRgb,
      colourDistance: dist(meanRgb, C),
      pixels: part.pixels.length,
      area,
      bbox: [x0, y0, x1, y1],
      centroid,
      shape,
      harmonics: harm,
      radius,
      size,
      centre,
      position,
      touchesBorder: x0 === 0 || y0 === 0 || x1 === w - 1 || y1 === h - 1,
      pixelsList: part.pixels,
    });
  });
  measured.sort((a, b) => b.area - a.area);
  const labels = new Int32Array(n).fill(-1);
  const objects = measured.map(({ pixelsList, ...obj }, i) => {
    for (const p of pixelsList) labels[p] = i;
    return obj;
  });
  return { width: w, height: h, background, backgroundRgb: B, backgroundShare: voters.length / borderCount, objects, labels, strayArea };
}
