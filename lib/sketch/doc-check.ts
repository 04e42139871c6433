/**
 * Checks a sketch document that came from outside the editor (history in IndexedDB, written
 * perhaps by another build): the reducer's 'load' refuses a document the rasterizer could not draw.
 */
import { MAX_SKETCH_SIDE } from './state';
import type { SketchDoc } from './types';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function side(v: unknown): boolean {
  return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_SKETCH_SIDE;
}

function strokeProblem(s: unknown, i: number): string | null {
  if (!isRecord(s)) return `stroke ${i} is not an object`;
  if (s.tool !== 'brush' && s.tool !== 'eraser') return `stroke ${i}: tool must be brush or eraser`;
  if (typeof s.size !== 'number' || !Number.isFinite(s.size) || s.size <= 0) return `stroke ${i}: size must be a positive number`;
  if (!Array.isArray(s.points)) return `stroke ${i}: points must be a list`;
  const bad = s.points.findIndex((p: unknown) => !isRecord(p) || ![p.x, p.y, p.w].every((n) => typeof n === 'number' && Number.isFinite(n)));
  return bad < 0 ? null : `stroke ${i}: point ${bad} needs finite x, y, w`;
}

/** What is wrong with `doc` as a SketchDoc, or null when it is one. */
export function sketchDocProblem(doc: unknown): string | null {
  if (!isRecord(doc)) return 'not an object';
  if (!side(doc.width) || !side(doc.height)) return `size must be integers in [1, ${MAX_SKETCH_SIDE}] (got ${String(doc.width)}×${String(doc.height)})`;
  const bg = doc.background;
  if (bg !== null) {
    if (!isRecord(bg) || !side(bg.width) || !side(bg.height) || !(bg.data instanceof Uint8Array)) return 'background must be an ink mask';
    if (bg.data.length !== (bg.width as number) * (bg.height as number))
      return `background ${String(bg.width)}×${String(bg.height)} needs ${(bg.width as number) * (bg.height as number)} bytes (got ${bg.data.length})`;
  }
  if (!Array.isArray(doc.strokes)) return 'strokes must be a list';
  for (let i = 0; i < doc.strokes.length; i++) {
    const p = strokeProblem(doc.strokes[i], i);
    if (p) return p;
  }
  return null;
}

export function isSketchDoc(doc: unknown): doc is SketchDoc {
  return sketchDocProblem(doc) === null;
}
