import { createSketch, sketchReducer, type SketchAction, type SketchState } from '@/lib/sketch/state';
import type { RgbaImage } from '@/lib/sketch/types';

export function blank(width = 64, height = 64, historyLimit?: number): SketchState {
  return createSketch({ width, height, historyLimit });
}

export function run(state: SketchState, ...actions: SketchAction[]): SketchState {
  return actions.reduce(sketchReducer, state);
}

export interface DrawOptions {
  pointerId?: number;
  pointerType?: string;
  pressure?: number | number[];
  /** Samples inserted between consecutive given points (dense like real pointer events). */
  steps?: number;
}

/** A whole stroke through `points`: pointerDown, pointerMoves, pointerUp. */
export function draw(state: SketchState, points: [number, number][], opts: DrawOptions = {}): SketchState {
  const { pointerId = 1, pointerType = 'mouse', steps = 8 } = opts;
  const samples: [number, number][] = [points[0]];
  for (let i = 1; i < points.length; i++) {
    const [ax, ay] = points[i - 1];
    const [bx, by] = points[i];
    for (let s = 1; s <= steps; s++) samples.push([ax + ((bx - ax) * s) / steps, ay + ((by - ay) * s) / steps]);
  }
  const pressureAt = (i: number) => (Array.isArray(opts.pressure) ? opts.pressure[Math.min(i, opts.pressure.length - 1)] : (opts.pressure ?? 0.5));
  let s = run(state, { type: 'pointerDown', pointerId, pointerType, x: samples[0][0], y: samples[0][1], pressure: pressureAt(0) });
  for (let i = 1; i < samples.length; i++) s = run(s, { type: 'pointerMove', pointerId, x: samples[i][0], y: samples[i][1], pressure: pressureAt(i) });
  return run(s, { type: 'pointerUp', pointerId });
}

/** Red channel at (x, y). */
export function px(img: RgbaImage, x: number, y: number): number {
  return img.data[(y * img.width + x) * 4];
}

export function countAbove(img: RgbaImage, threshold: number): number {
  let n = 0;
  for (let i = 0; i < img.width * img.height; i++) if (img.data[i * 4] > threshold) n++;
  return n;
}

/** A synthetic RGBA image from a luminance function (0…1). */
export function grayImage(width: number, height: number, lum: (x: number, y: number) => number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = Math.round(lum(x, y) * 255);
      data.set([v, v, v, 255], (y * width + x) * 4);
    }
  }
  return { width, height, data };
}
