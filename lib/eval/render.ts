/**
 * Scene geometry and rasterisation, mirrored from data.py: `shapeOutline`, an anti-aliased
 * `renderScene` (supersampled like the generator's 4× PIL render + box filter; edge pixels
 * may differ by a few levels, the geometry is the same), clean `outlineSketch`es and
 * `scribbleSketch`es in the style of `render_sketch` (same distributions, our own seeded RNG).
 *
 * Coordinates: pixels of the image, y down. Like PIL, a point (x, y) is the centre of the
 * supersampled pixel it lands in, so subsample i of an axis sits at i / ss.
 */
import type { RgbaImage } from '../tensor/image';
import { SeededRandom } from './random';
import type { Scene, SceneObject, ShapeName, ShapesSpec } from './spec';

export type Point = [number, number];

export const SUPERSAMPLE = 4;

/** data.py's `shape_outline`: closed polygon (first point not repeated), pixel units, y down. */
export function shapeOutline(shape: ShapeName, cx: number, cy: number, r: number, rot = 0, circlePoints = 64): Point[] {
  let pts: Point[];
  if (shape === 'circle') {
    pts = Array.from({ length: circlePoints }, (_, i) => {
      const a = (2 * Math.PI * i) / circlePoints;
      return [r * Math.cos(a), r * Math.sin(a)] as Point;
    });
  } else if (shape === 'square') {
    const s = 0.85 * r;
    pts = [
      [-s, -s],
      [s, -s],
      [s, s],
      [-s, s],
    ];
  } else if (shape === 'triangle') {
    const R = 1.15 * r;
    pts = [-Math.PI / 2, -Math.PI / 2 + (2 * Math.PI) / 3, -Math.PI / 2 + (4 * Math.PI) / 3].map((a) => [R * Math.cos(a), R * Math.sin(a) + 0.12 * r] as Point);
  } else if (shape === 'star') {
    const R = 1.15 * r;
    const rr = 0.5 * r;
    pts = Array.from({ length: 10 }, (_, i) => {
      const a = -Math.PI / 2 + (i * Math.PI) / 5;
      const rad = i % 2 === 0 ? R : rr;
      return [rad * Math.cos(a), rad * Math.sin(a) + 0.05 * r] as Point;
    });
  } else {
    throw new Error(`unknown shape "${shape as string}"`);
  }
  const c = Math.cos((rot * Math.PI) / 180);
  const s = Math.sin((rot * Math.PI) / 180);
  return pts.map(([x, y]) => [cx + x * c - y * s, cy + x * s + y * c]);
}

/** Shoelace area of a closed polygon. */
export function polygonArea(pts: Point[]): number {
  let a = 0;
  for (let i = 0; i < pts.length; i++) {
    const [x0, y0] = pts[i];
    const [x1, y1] = pts[(i + 1) % pts.length];
    a += x0 * y1 - x1 * y0;
  }
  return Math.abs(a) / 2;
}

/** Area centroid of a closed simple polygon. */
export function polygonCentroid(pts: Point[]): Point {
  let a = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < pts.length; i++) {
    const [x0, y0] = pts[i];
    const [x1, y1] = pts[(i + 1) % pts.length];
    const cross = x0 * y1 - x1 * y0;
    a += cross;
    cx += (x0 + x1) * cross;
    cy += (y0 + y1) * cross;
  }
  return [cx / (3 * a), cy / (3 * a)];
}

/** Area of the shape drawn for radius r (the circle is drawn as a true disc). */
export function shapeArea(shape: ShapeName, r: number): number {
  return shape === 'circle' ? Math.PI * r * r : polygonArea(shapeOutline(shape, 0, 0, r));
}

/** Offset of the shape's area centroid from its (cx, cy) at rot 0 (triangle and star sit a little low). */
export function shapeCentroidOffset(shape: ShapeName, r: number): Point {
  return shape === 'circle' ? [0, 0] : polygonCentroid(shapeOutline(shape, 0, 0, r));
}

/** Even-odd spans of a polygon on the horizontal line y: sorted x crossings, in pairs. */
function crossings(pts: Point[], y: number): number[] {
  const xs: number[] = [];
  for (let i = 0; i < pts.length; i++) {
    const [x0, y0] = pts[i];
    const [x1, y1] = pts[(i + 1) % pts.length];
    if ((y0 <= y && y1 > y) || (y1 <= y && y0 > y)) xs.push(x0 + ((y - y0) / (y1 - y0)) * (x1 - x0));
  }
  return xs.sort((a, b) => a - b);
}

/**
 * Coverage in [0,1] per pixel of a filled polygon (or disc, when `disc` is given), from
 * ss × ss point samples per pixel at (x + i/ss, y + j/ss).
 */
export function fillCoverage(width: number, height: number, shape: { polygon: Point[] } | { disc: [number, number, number] }, ss = SUPERSAMPLE): Float32Array {
  const cov = new Float32Array(width * height);
  const inc = 1 / (ss * ss);
  let y0: number;
  let y1: number;
  if ('disc' in shape) {
    const [, cy, r] = shape.disc;
    y0 = cy - r;
    y1 = cy + r;
  } else {
    y0 = Math.min(...shape.polygon.map((p) => p[1]));
    y1 = Math.max(...shape.polygon.map((p) => p[1]));
  }
  const jStart = Math.max(0, Math.floor(y0 * ss));
  const jEnd = Math.min(height * ss - 1, Math.ceil(y1 * ss));
  for (let j = jStart; j <= jEnd; j++) {
    const y = j / ss;
    let xs: number[];
    if ('disc' in shape) {
      const [cx, cy, r] = shape.disc;
      const h = r * r - (y - cy) * (y - cy);
      if (h < 0) continue;
      const d = Math.sqrt(h);
      xs = [cx - d, cx + d];
    } else {
      xs = crossings(shape.polygon, y);
    }
    const row = Math.floor(j / ss) * width;
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const iStart = Math.max(0, Math.ceil(xs[k] * ss));
      const iEnd = Math.min(width * ss - 1, Math.floor(xs[k + 1] * ss));
      for (let i = iStart; i <= iEnd; i++) cov[row + Math.floor(i / ss)] += inc;
    }
  }
  return cov;
}

/** Coverage of one scene object (needs its geometry). */
export function objectCoverage(o: SceneObject, width: number, height: number, ss = SUPERSAMPLE): Float32Array {
  const { cx, cy, r } = geometry(o);
  if (o.shape === 'circle') return fillCoverage(width, height, { disc: [cx, cy, r] }, ss);
  return fillCoverage(width, height, { polygon: shapeOutline(o.shape, cx, cy, r, o.rot ?? 0) }, ss);
}

function geometry(o: SceneObject): { cx: number; cy: number; r: number } {
  if (o.cx === undefined || o.cy === undefined || o.r === undefined) throw new Error(`scene object ${o.colour} ${o.shape} has no geometry (cx, cy, r)`);
  return { cx: o.cx, cy: o.cy, r: o.r };
}

/** The scene as RGBA, objects painted in order over the background. */
export function renderScene(scene: Scene, spec: ShapesSpec, size = spec.imageSize): RgbaImage {
  const bg = spec.backgrounds[scene.background] ?? spec.colours[scene.background];
  if (!bg) throw new Error(`unknown background "${scene.background}"`);
  // Accumulate in float so overlapping edge blends round once.
  const acc = new Float32Array(size * size * 3);
  for (let p = 0; p < size * size; p++) for (let ch = 0; ch < 3; ch++) acc[p * 3 + ch] = bg[ch];
  const k = size / spec.imageSize;
  for (const o of scene.objects) {
    const c = spec.colours[o.colour];
    if (!c) throw new Error(`unknown colour "${o.colour}"`);
    const { cx, cy, r } = geometry(o);
    const cov = objectCoverage({ ...o, cx: cx * k, cy: cy * k, r: r * k }, size, size);
    for (let p = 0; p < cov.length; p++) {
      const a = cov[p];
      if (a > 0) for (let ch = 0; ch < 3; ch++) acc[p * 3 + ch] = acc[p * 3 + ch] * (1 - a) + c[ch] * a;
    }
  }
  const data = new Uint8ClampedArray(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    for (let ch = 0; ch < 3; ch++) data[p * 4 + ch] = Math.round(acc[p * 3 + ch]);
    data[p * 4 + 3] = 255;
  }
  return { width: size, height: size, data };
}

/**
 * Grey 0…255 plane of thick polylines (round joins and caps), `lineWidth` in pixels,
 * supersampled ss × ss. Each polyline is drawn open; close it by repeating its first point.
 */
export function strokePolylines(lines: Point[][], lineWidth: number, width: number, height: number, ss = SUPERSAMPLE): Uint8Array {
  const W = width * ss;
  const H = height * ss;
  const hit = new Uint8Array(W * H);
  const half = lineWidth / 2;
  for (const line of lines) {
    for (let s = 0; s + 1 < line.length || (line.length === 1 && s === 0); s++) {
      const [ax, ay] = line[s];
      const [bx, by] = line[Math.min(s + 1, line.length - 1)];
      const dx = bx - ax;
      const dy = by - ay;
      const len2 = dx * dx + dy * dy;
      const i0 = Math.max(0, Math.floor((Math.min(ax, bx) - half) * ss));
      const i1 = Math.min(W - 1, Math.ceil((Math.max(ax, bx) + half) * ss));
      const j0 = Math.max(0, Math.floor((Math.min(ay, by) - half) * ss));
      const j1 = Math.min(H - 1, Math.ceil((Math.max(ay, by) + half) * ss));
      for (let j = j0; j <= j1; j++) {
        const y = j / ss;
        for (let i = i0; i <= i1; i++) {
          const x = i / ss;
          const t = len2 > 0 ? Math.min(1, Math.max(0, ((x - ax) * dx + (y - ay) * dy) / len2)) : 0;
          const ex = x - (ax + t * dx);
          const ey = y - (ay + t * dy);
          if (ex * ex + ey * ey <= half * half) hit[j * W + i] = 1;
        }
      }
    }
  }
  const out = new Uint8Array(width * height);
  const n = ss * ss;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let c = 0;
      for (let j = 0; j < ss; j++) for (let i = 0; i < ss; i++) c += hit[(y * ss + j) * W + x * ss + i];
      out[y * width + x] = Math.round((255 * c) / n);
    }
  }
  return out;
}

/** The exact outlines of the scene's shapes, white on black (0…255), `lineWidth` px. */
export function outlineSketch(scene: Scene, size = 64, lineWidth = 1.5): Uint8Array {
  const lines = scene.objects.map((o) => {
    const { cx, cy, r } = geometry(o);
    const pts = shapeOutline(o.shape, cx, cy, r, o.rot ?? 0);
    return [...pts, pts[0]];
  });
  return strokePolylines(lines, lineWidth, size, size);
}

/**
 * A hand-scribble of the scene's outlines as data.py's `render_sketch` draws them (jittered
 * centre, radius, rotation and stroke width, smooth radial wobble, open or overshooting
 * loops), with our own RNG: the same distribution, not the same pixels.
 */
export function scribbleSketch(scene: Scene, rng: SeededRandom, size = 64): Uint8Array {
  const width = rng.uniform(1.0, 2.4);
  const lines: { pts: Point[]; w: number }[] = [];
  for (const o of scene.objects) {
    const { cx, cy, r: r0 } = geometry(o);
    const dx = rng.normal(0, 0.8);
    const dy = rng.normal(0, 0.8);
    const r = r0 * rng.uniform(0.92, 1.08);
    const pts = shapeOutline(o.shape, cx + dx, cy + dy, r, (o.rot ?? 0) + rng.normal(0, 4));
    const dense: Point[] = [];
    for (let i = 0; i < pts.length; i++) {
      const [x0, y0] = pts[i];
      const [x1, y1] = pts[(i + 1) % pts.length];
      const steps = Math.max(1, Math.floor(Math.hypot(x1 - x0, y1 - y0) / 1.5));
      for (let j = 0; j < steps; j++) dense.push([x0 + ((x1 - x0) * j) / steps, y0 + ((y1 - y0) * j) / steps]);
    }
    const n = dense.length;
    const amp = rng.uniform(0.3, 1.0);
    const wobble = new Float64Array(n);
    for (const f of [1, 2, 3, 5]) {
      const a = rng.normal(0, amp / f);
      const phase = rng.uniform(0, 2 * Math.PI);
      for (let i = 0; i < n; i++) wobble[i] += a * Math.sin((f * 2 * Math.PI * i) / n + phase);
    }
    const moved = dense.map(([x, y], i): Point => {
      const rx = x - (cx + dx);
      const ry = y - (cy + dy);
      const len = Math.max(Math.hypot(rx, ry), 1e-6);
      return [x + (rx / len) * wobble[i] + rng.normal(0, 0.15), y + (ry / len) * wobble[i] + rng.normal(0, 0.15)];
    });
    const start = rng.int(n);
    const lo = Math.floor(-n / 12);
    const extra = lo + rng.int(Math.floor(n / 8) + 1 - lo);
    const line = Array.from({ length: n + 1 + extra }, (_, i) => moved[(start + i) % n]);
    const w = Math.max(1, Math.round(width * rng.uniform(0.85, 1.15) * SUPERSAMPLE)) / SUPERSAMPLE;
    lines.push({ pts: line, w });
  }
  const k = size / 64;
  const out = new Uint8Array(size * size);
  for (const { pts, w } of lines) {
    const plane = strokePolylines([pts.map(([x, y]): Point => [x * k, y * k])], w * k, size, size);
    for (let p = 0; p < out.length; p++) out[p] = Math.max(out[p], plane[p]);
  }
  return out;
}

/** A grey plane (0…255) as an RGBA image (R = G = B), e.g. a sketch for the ControlNet. */
export function grayToRgba(gray: Uint8Array, width: number, height: number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    data[p * 4] = data[p * 4 + 1] = data[p * 4 + 2] = gray[p];
    data[p * 4 + 3] = 255;
  }
  return { width, height, data };
}
