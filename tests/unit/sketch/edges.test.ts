import { describe, expect, it } from 'vitest';
import { cannyEdges, looksInverted, looksLikeLineDrawing, prepareUploadedSketch, resizeImage, toGray } from '@/lib/sketch/edges';
import type { InkMask, RgbaImage } from '@/lib/sketch/types';
import { grayImage } from './helpers';

/** Distance from a pixel centre to the outline of the square [a, b)². */
function distToOutline(x: number, y: number, a: number, b: number): number {
  const cx = x + 0.5;
  const cy = y + 0.5;
  const inside = cx > a && cx < b && cy > a && cy < b;
  if (inside) return Math.min(cx - a, b - cx, cy - a, b - cy);
  const dx = Math.max(a - cx, 0, cx - b);
  const dy = Math.max(a - cy, 0, cy - b);
  return Math.hypot(dx, dy);
}

function maskPixels(mask: Uint8Array, width: number): [number, number][] {
  const out: [number, number][] = [];
  mask.forEach((v, i) => v > 0 && out.push([i % width, Math.floor(i / width)]));
  return out;
}

const square = (x: number, y: number) => (x >= 20 && x < 44 && y >= 20 && y < 44 ? 0.9 : 0.2);

describe('Canny edges', () => {
  const N = 64;
  const gray = toGray(grayImage(N, N, square));
  const edges = cannyEdges(gray, N, N);
  const pts = maskPixels(edges, N);

  it('outlines a filled square: one-pixel edges on its border, nothing inside or far away', () => {
    expect(pts.length).toBeGreaterThan(4 * 24 * 0.8);
    expect(pts.length).toBeLessThan(4 * 24 * 1.2);
    const near = pts.filter(([x, y]) => distToOutline(x, y, 20, 44) <= 1.5).length;
    expect(near / pts.length).toBeGreaterThanOrEqual(0.95);
    for (const [x, y] of pts) expect(distToOutline(x, y, 20, 44), `(${x},${y})`).toBeLessThanOrEqual(2.5);
    // every side is found along its middle
    for (const side of [
      (t: number) => edges[19 * N + t] + edges[20 * N + t],
      (t: number) => edges[43 * N + t] + edges[44 * N + t],
      (t: number) => edges[t * N + 19] + edges[t * N + 20],
      (t: number) => edges[t * N + 43] + edges[t * N + 44],
    ]) {
      for (let t = 24; t < 40; t++) expect(side(t)).toBe(255);
    }
  });

  it('returns a 0/255 mask and nothing for a flat image', () => {
    expect(new Set(edges)).toEqual(new Set([0, 255]));
    expect(cannyEdges(new Float32Array(N * N).fill(0.4), N, N).every((v) => v === 0)).toBe(true);
  });

  describe('thresholds', () => {
    // a strong square (contrast 0.8) and a faint one (contrast 0.2)
    const two = toGray(grayImage(96, 48, (x, y) => (y >= 12 && y < 36 ? (x >= 8 && x < 32 ? 0.9 : x >= 56 && x < 80 ? 0.3 : 0.1) : 0.1)));
    const count = (m: Uint8Array) => m.reduce((a, v) => a + (v > 0 ? 1 : 0), 0);
    const inFaint = (m: Uint8Array) => maskPixels(m, 96).filter(([x]) => x >= 50).length;

    it('relative thresholds: raising them drops the faint square, lowering them brings it back', () => {
      const low = cannyEdges(two, 96, 48, { low: 0.05, high: 0.15 });
      const high = cannyEdges(two, 96, 48, { low: 0.4, high: 0.6 });
      expect(inFaint(low)).toBeGreaterThan(60);
      expect(inFaint(high)).toBe(0);
      expect(count(high)).toBeLessThan(count(low));
      expect(count(high)).toBeGreaterThan(60);
    });

    it('absolute thresholds use the cv2.Canny scale (0…255 grey, L2 Sobel)', () => {
      // faint step 0.2·255 = 51 grey levels; its Sobel peak after σ=1 blur is well under 200
      const a = cannyEdges(two, 96, 48, { thresholds: 'absolute', low: 20, high: 40 });
      const b = cannyEdges(two, 96, 48, { thresholds: 'absolute' }); // 100 / 200
      expect(inFaint(a)).toBeGreaterThan(60);
      expect(inFaint(b)).toBe(0);
      expect(count(b)).toBeGreaterThan(60);
    });

    it('rejects low > high', () => {
      expect(() => cannyEdges(two, 96, 48, { low: 0.5, high: 0.2 })).toThrow(/need 0 ≤ low ≤ high \(got 0.5, 0.2\)/);
    });
  });
});

/** Lines of a house-like drawing, 3 px wide, on a plain background. */
function drawing(width: number, height: number, inkOnLight: boolean, noise = 0): RgbaImage {
  return grayImage(width, height, (x, y) => {
    const onLine =
      (Math.abs(x - 0.25 * width) < 1.5 || Math.abs(x - 0.75 * width) < 1.5 || Math.abs(y - 0.8 * height) < 1.5) &&
      y > 0.4 * height &&
      y < 0.8 * height + 1.5 &&
      x > 0.25 * width - 1.5 &&
      x < 0.75 * width + 1.5;
    const roof = Math.abs(y - (0.4 * height - Math.abs(x - width / 2) * 0.6)) < 1.5 && x > 0.2 * width && x < 0.8 * width;
    const ink = onLine || roof;
    const jitter = noise * Math.sin(x * 12.9898 + y * 78.233); // deterministic "JPEG noise"
    const bg = inkOnLight ? 0.97 : 0.02;
    return Math.min(1, Math.max(0, (ink ? 1 - bg : bg) + jitter));
  });
}

const photo = (w: number, h: number) => grayImage(w, h, (x, y) => 0.5 + 0.25 * Math.sin(x / 7) * Math.cos(y / 9) + 0.2 * Math.sin((x + y) / 13));
const gradient = (w: number, h: number) => grayImage(w, h, (x) => x / (w - 1));

describe('inversion and line-drawing detection', () => {
  it('black on white is inverted; white on black is not; a gradient or photo is not', () => {
    expect(looksInverted(drawing(128, 128, true))).toBe(true);
    expect(looksInverted(drawing(128, 128, false))).toBe(false);
    expect(looksInverted(gradient(128, 128))).toBe(false);
    expect(looksInverted(photo(128, 128))).toBe(false);
  });

  it('drawings in either polarity look like line drawings; gradients and photos do not', () => {
    expect(looksLikeLineDrawing(drawing(128, 128, true))).toBe(true);
    expect(looksLikeLineDrawing(drawing(128, 128, false))).toBe(true);
    expect(looksLikeLineDrawing(drawing(128, 128, true, 0.04))).toBe(true);
    expect(looksLikeLineDrawing(gradient(128, 128))).toBe(false);
    expect(looksLikeLineDrawing(photo(128, 128))).toBe(false);
  });

  it('transparency counts as white paper', () => {
    const img = drawing(64, 64, true);
    for (let i = 0; i < 64 * 64; i++) if (img.data[i * 4] > 128) img.data.set([0, 0, 0, 0], i * 4); // paper → transparent black
    expect(looksInverted(img)).toBe(true);
    expect(toGray(img)[0]).toBe(1);
  });
});

describe('prepareUploadedSketch', () => {
  const at = (m: InkMask, x: number, y: number) => m.data[y * m.width + x];

  it('a black-on-white drawing is used as lines, inverted to white on black, paper black', () => {
    const r = prepareUploadedSketch(drawing(128, 128, true), 64, 64);
    expect(r.kind).toBe('lines');
    expect(r.inverted).toBe(true);
    expect([r.mask.width, r.mask.height, r.mask.data.length]).toEqual([64, 64, 64 * 64]);
    expect(at(r.mask, 16, 35)).toBeGreaterThan(200); // left wall (x = 32, y = 70 of 128)
    expect(at(r.mask, 5, 5)).toBe(0);
    expect(at(r.mask, 32, 40)).toBe(0); // inside the house
  });

  it('a white-on-black drawing is used as it is; JPEG-like paper noise becomes black', () => {
    const plain = prepareUploadedSketch(drawing(64, 64, false), 64, 64);
    expect([plain.kind, plain.inverted]).toEqual(['lines', false]);
    expect(at(plain.mask, 16, 40)).toBe(255);
    const noisy = prepareUploadedSketch(drawing(64, 64, true, 0.04), 64, 64);
    expect([noisy.kind, noisy.inverted]).toEqual(['lines', true]);
    expect(at(noisy.mask, 5, 5)).toBe(0);
    expect(noisy.mask.data.filter((v) => v > 0).length).toBeLessThan(64 * 64 * 0.2);
  });

  it('a photo goes through Canny', () => {
    const r = prepareUploadedSketch(photo(96, 96), 64, 64);
    expect([r.kind, r.inverted]).toEqual(['canny', false]);
    expect(r.mask.data.some((v) => v === 255)).toBe(true);
    expect(new Set(r.mask.data)).toEqual(new Set([0, 255]));
  });

  it('the mode and the inversion can be forced', () => {
    expect(prepareUploadedSketch(drawing(64, 64, true), 64, 64, { mode: 'canny' }).kind).toBe('canny');
    const lines = prepareUploadedSketch(photo(64, 64), 64, 64, { mode: 'lines', invert: false });
    expect([lines.kind, lines.inverted]).toEqual(['lines', false]);
    const kept = prepareUploadedSketch(drawing(64, 64, true), 64, 64, { invert: false });
    expect(kept.inverted).toBe(false);
  });

  it('fits other aspect ratios: cover crops the middle, contain leaves black bars, stretch squeezes', () => {
    // 128×64 with a white-on-black vertical line at x = 16 (left quarter) and x = 64 (middle)
    const wide = grayImage(128, 64, (x) => (Math.abs(x + 0.5 - 16) < 1.5 || Math.abs(x + 0.5 - 64) < 1.5 ? 1 : 0));
    const cover = prepareUploadedSketch(wide, 32, 32, { fit: 'cover' }).mask; // reads x 32…96
    expect(at(cover, 16, 16)).toBeGreaterThan(200);
    expect(Array.from({ length: 32 }, (_, x) => at(cover, x, 16)).filter((v) => v > 0).length).toBeLessThanOrEqual(3);
    const contain = prepareUploadedSketch(wide, 32, 32, { fit: 'contain' }).mask; // 32×16 band at y 8…24
    expect(at(contain, 4, 16)).toBeGreaterThan(0);
    expect(at(contain, 16, 16)).toBeGreaterThan(0);
    for (let x = 0; x < 32; x++) expect(at(contain, x, 2) + at(contain, x, 29)).toBe(0);
    const stretch = prepareUploadedSketch(wide, 32, 32, { fit: 'stretch' }).mask;
    expect(at(stretch, 4, 2)).toBeGreaterThan(0);
  });

  it('rejects a buffer that does not match its size', () => {
    expect(() => prepareUploadedSketch({ width: 2, height: 2, data: new Uint8ClampedArray(8) }, 8, 8)).toThrow(/2×2 RGBA image needs 16 bytes \(got 8\)/);
  });
});

describe('resizeImage', () => {
  it('averages areas when shrinking (a fine checkerboard becomes grey)', () => {
    const check = grayImage(8, 8, (x, y) => ((x + y) % 2 ? 1 : 0));
    const small = resizeImage(check, 2, 2);
    expect(Array.from(small.data)).toEqual([128, 128, 128, 255, 128, 128, 128, 255, 128, 128, 128, 255, 128, 128, 128, 255]);
  });

  it('interpolates bilinearly with half-pixel centres when enlarging', () => {
    const two = grayImage(2, 1, (x) => x);
    expect(Array.from({ length: 4 }, (_, x) => resizeImage(two, 4, 1).data[x * 4])).toEqual([0, 64, 191, 255]);
  });

  it('premultiplies alpha: transparent pixels lend no colour', () => {
    const img = { width: 2, height: 1, data: Uint8ClampedArray.from([255, 0, 0, 0, 0, 0, 255, 255]) };
    const one = resizeImage(img, 1, 1);
    expect(Array.from(one.data)).toEqual([0, 0, 255, 128]);
  });
});
