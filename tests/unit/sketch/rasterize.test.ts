import { describe, expect, it } from 'vitest';
import { createInkCache, renderInk, toControlImage, toControlTensor, toDisplayImage } from '@/lib/sketch/rasterize';
import { createSketch, sketchReducer, type SketchState } from '@/lib/sketch/state';
import { blank, countAbove, draw, px, run } from './helpers';

function distToSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

const withSize = (size: number, s: SketchState = blank()) => run(s, { type: 'setSize', size });

describe('rasterize: strokes', () => {
  const line = draw(withSize(6), [
    [10, 32.5],
    [50, 32.5],
  ]);
  const img = toControlImage(line, 64, 64);

  it('paints white along the path, black away from it, anti-aliased in between', () => {
    let edge = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const d = distToSegment(x + 0.5, y + 0.5, 10, 32.5, 50, 32.5);
        const v = px(img, x, y);
        if (d <= 2.5) expect(v, `(${x},${y}) d=${d}`).toBe(255);
        else if (d >= 3.5) expect(v, `(${x},${y}) d=${d}`).toBe(0);
        else if (v > 0 && v < 255) edge++;
      }
    }
    expect(edge).toBeGreaterThan(80); // rows 29 and 35 are half covered along the whole line
    expect(px(img, 30, 29)).toBe(128);
    expect(px(img, 30, 35)).toBe(128);
  });

  it('is opaque RGBA with equal channels (white on black)', () => {
    for (let i = 0; i < 64 * 64; i++) {
      expect(img.data[i * 4 + 1]).toBe(img.data[i * 4]);
      expect(img.data[i * 4 + 2]).toBe(img.data[i * 4]);
      expect(img.data[i * 4 + 3]).toBe(255);
    }
  });

  it('the eraser removes ink where it passes and nowhere else', () => {
    const erased = draw(withSize(8, run(line, { type: 'setTool', tool: 'eraser' })), [
      [30, 10],
      [30, 54],
    ]);
    const out = toControlImage(erased, 64, 64);
    for (let y = 29; y < 35; y++) for (let x = 27; x < 33; x++) expect(px(out, x, y)).toBe(0);
    expect(px(out, 15, 32)).toBe(255);
    expect(px(out, 45, 32)).toBe(255);
    // undoing the eraser brings the line back exactly
    expect(toControlImage(run(erased, { type: 'undo' }), 64, 64).data).toEqual(img.data);
  });

  it('a tap draws a round dot of the brush size', () => {
    const dot = run(
      withSize(16),
      { type: 'pointerDown', pointerId: 1, pointerType: 'mouse', x: 32, y: 32, pressure: 0.5 },
      { type: 'pointerUp', pointerId: 1 },
    );
    const out = toControlImage(dot, 64, 64);
    let sum = 0;
    for (let i = 0; i < 64 * 64; i++) sum += out.data[i * 4] / 255;
    expect(sum).toBeGreaterThan(Math.PI * 64 * 0.97);
    expect(sum).toBeLessThan(Math.PI * 64 * 1.03);
  });

  it('a hairline thinner than a pixel stays visible at lower intensity', () => {
    const thin = draw(withSize(1, createSketch({ width: 256, height: 256 })), [
      [20, 128],
      [230, 128],
    ]);
    const out = toControlImage(thin, 64, 64); // 1 px at a quarter of the size: ¼ px of ink per column
    const column = Array.from({ length: 64 }, (_, y) => px(out, 32, y));
    expect(column.reduce((a, b) => a + b, 0)).toBeCloseTo(255 / 4, -1);
    expect(Math.max(...column)).toBeGreaterThan(0);
  });

  it('strokes leaving the canvas are clipped, not an error', () => {
    const s = draw(withSize(10), [
      [-20, -20],
      [100, 100],
    ]);
    const out = toControlImage(s, 64, 64);
    expect(px(out, 32, 32)).toBe(255);
    expect(px(out, 0, 63)).toBe(0);
  });
});

describe('rasterize: output size, formats and the background layer', () => {
  const line = draw(withSize(4), [
    [8, 16],
    [56, 48],
  ]);

  it('scales coordinates proportionally to the requested size', () => {
    const big = toControlImage(line, 128, 96);
    for (const [x, y] of [
      [8, 16],
      [32, 32],
      [56, 48],
    ])
      expect(px(big, Math.floor(x * 2), Math.floor(y * 1.5))).toBe(255);
    // the same picture as resizing the sketch itself to that size
    const resized = toControlImage(run(line, { type: 'resize', width: 128, height: 96 }), 128, 96);
    let diff = 0;
    for (let i = 0; i < big.data.length; i++) diff = Math.max(diff, Math.abs(big.data[i] - resized.data[i]));
    expect(diff).toBeLessThanOrEqual(1);
  });

  it('display image is the control image, optionally black on white', () => {
    const control = toControlImage(line, 64, 64);
    expect(toDisplayImage(line, 64, 64, { inkOnLight: false }).data).toEqual(control.data);
    const light = toDisplayImage(line, 64, 64, { inkOnLight: true });
    for (let i = 0; i < control.data.length; i += 4) {
      expect(light.data[i]).toBe(255 - control.data[i]);
      expect(light.data[i + 3]).toBe(255);
    }
  });

  it('controlnet_cond is [1,3,H,W] in [0,1] and equals the control image / 255', () => {
    const t = toControlTensor(line, 48, 32);
    expect(t.dims).toEqual([1, 3, 32, 48]);
    const img = toControlImage(line, 48, 32);
    const plane = 48 * 32;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) expect(t.data[c * plane + p]).toBe(Math.fround(img.data[p * 4] / 255));
    }
  });

  it('the background is sampled nearest-exact, drawn under strokes and erasable', () => {
    const mask = { width: 4, height: 4, data: Uint8Array.from([255, 0, 255, 0, 0, 255, 0, 255, 255, 0, 255, 0, 0, 255, 0, 255]) };
    const s = run(createSketch({ width: 8, height: 8 }), { type: 'importBackground', mask });
    const out = toControlImage(s, 8, 8);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(px(out, x, y)).toBe(mask.data[(y >> 1) * 4 + (x >> 1)]);
    const erased = draw(run(s, { type: 'setTool', tool: 'eraser' }, { type: 'setSize', size: 64 }), [
      [4, 4],
      [4, 4.1],
    ]);
    expect(countAbove(toControlImage(erased, 8, 8), 0)).toBe(0);
  });

  it('rejects a non-integer output size', () => {
    expect(() => toControlImage(line, 10.5, 10)).toThrow(/toControlImage: width and height must be positive integers \(got 10.5×10\)/);
  });
});

describe('rasterize: the stroke being drawn', () => {
  let drawing = run(withSize(6), { type: 'pointerDown', pointerId: 1, pointerType: 'mouse', x: 10, y: 10, pressure: 0.5 });
  for (let i = 1; i <= 20; i++) drawing = sketchReducer(drawing, { type: 'pointerMove', pointerId: 1, x: 10 + 2 * i, y: 10 + i, pressure: 0.5 });

  it('is shown on the canvas but not sent to the model', () => {
    expect(countAbove(toDisplayImage(drawing, 64, 64, { inkOnLight: false }), 0)).toBeGreaterThan(100);
    expect(countAbove(toControlImage(drawing, 64, 64), 0)).toBe(0);
  });

  it('looks the same before and after pointerUp (drawn as it will be committed)', () => {
    const before = toDisplayImage(drawing, 64, 64, { inkOnLight: false });
    const after = run(drawing, { type: 'pointerUp', pointerId: 1 });
    expect(toDisplayImage(after, 64, 64, { inkOnLight: false }).data).toEqual(before.data);
    expect(toControlImage(after, 64, 64).data).toEqual(before.data);
  });

  it('the committed-layer cache gives the same pixels as a full render', () => {
    const cache = createInkCache();
    const base = draw(withSize(6), [
      [5, 50],
      [60, 50],
    ]);
    let s = run(base, { type: 'pointerDown', pointerId: 1, pointerType: 'mouse', x: 5, y: 5, pressure: 0.5 });
    for (let i = 1; i <= 5; i++) {
      s = sketchReducer(s, { type: 'pointerMove', pointerId: 1, x: 5 + 10 * i, y: 5 + 8 * i, pressure: 0.5 });
      expect(toDisplayImage(s, 64, 64, { inkOnLight: true, cache }).data).toEqual(toDisplayImage(s, 64, 64, { inkOnLight: true }).data);
    }
    expect(cache.committed(s.doc, 64, 64)).toBe(cache.committed(base.doc, 64, 64)); // same doc → not re-rendered
    expect(renderInk(s.doc, 64, 64)).toEqual(cache.committed(s.doc, 64, 64));
  });

  it('the cache draws only new strokes after pointerUp and re-renders after undo, matching a full render', () => {
    const cache = createInkCache();
    const one = draw(withSize(6), [
      [5, 50],
      [60, 50],
    ]);
    const first = cache.committed(one.doc, 64, 64);
    const two = draw(run(one, { type: 'setTool', tool: 'eraser' }), [
      [30, 40],
      [30, 60],
    ]);
    const second = cache.committed(two.doc, 64, 64);
    expect(second).not.toBe(first);
    expect(second).toEqual(renderInk(two.doc, 64, 64));
    expect(first).toEqual(renderInk(one.doc, 64, 64)); // the earlier buffer was not written to
    const undone = run(two, { type: 'undo' });
    expect(cache.committed(undone.doc, 64, 64)).toEqual(first);
  });
});
