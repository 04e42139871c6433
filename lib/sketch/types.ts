/**
 * Plain data shared by the sketch modules. Coordinates are in sketch pixels, continuous:
 * pixel (i, j) covers [i, i+1) × [j, j+1), so its centre is (i + 0.5, j + 0.5). A pointer at
 * CSS offset (ox, oy) over a canvas of CSS size (cw, ch) maps to (ox·W/cw, oy·H/ch).
 */

export type Tool = 'brush' | 'eraser';

export interface StrokePoint {
  x: number;
  y: number;
  /** Line width (diameter) at this point, sketch pixels. */
  w: number;
}

export interface Stroke {
  tool: Tool;
  /** Nominal brush size when the stroke began (pressure 0.5 draws this width). */
  size: number;
  points: readonly StrokePoint[];
}

/**
 * A raster ink layer (the imported edge map). `data[y*width + x]` is ink coverage,
 * 0 = none … 255 = full white ink. It is stretched over the whole sketch, whatever its own size.
 */
export interface InkMask {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Everything that undo/redo restores. Treated as immutable: never mutate, replace. */
export interface SketchDoc {
  width: number;
  height: number;
  background: InkMask | null;
  strokes: readonly Stroke[];
}

/** The stroke being drawn; it is not part of the document until pointerUp. */
export interface ActiveStroke {
  pointerId: number;
  pointerType: string;
  tool: Tool;
  size: number;
  /** Points kept after spacing. */
  points: readonly StrokePoint[];
  /** Latest sample if it was too close to keep; still where the stroke ends. */
  tail: StrokePoint | null;
}

export type { RgbaImage } from '../tensor/image';
