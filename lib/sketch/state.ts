/**
 * The sketch as a small state machine: `sketchReducer(state, action) → state`, immutable and
 * made of plain data (typed arrays included) so a zustand store can hold it. An action that
 * changes nothing returns the same object, so subscribers can compare by reference.
 *
 *   idle ──pointerDown──▶ drawing ──pointerMove*──▶ drawing ──pointerUp──▶ idle (+1 stroke, undoable)
 *                                                          ──pointerCancel──▶ idle (stroke dropped)
 */
import { renderInk } from './rasterize';
import { finishStroke, minSpacing, scaleStroke, widthFor } from './stroke';
import { sketchDocProblem } from './doc-check';
import type { ActiveStroke, InkMask, SketchDoc, Stroke, StrokePoint, Tool } from './types';

export const DEFAULT_HISTORY_LIMIT = 50;
export const MIN_BRUSH_SIZE = 1;
export const MAX_BRUSH_SIZE = 64;
export const DEFAULT_BRUSH_SIZE = 6;
/** `[` / `]` walk this ladder: fine steps for thin brushes, coarse ones for thick. */
export const BRUSH_SIZE_STEPS: readonly number[] = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64];
/** Largest sketch side accepted; far above any ControlNet input size. */
export const MAX_SKETCH_SIDE = 8192;

export interface SketchState {
  doc: SketchDoc;
  tool: Tool;
  size: number;
  active: ActiveStroke | null;
  /** Undo stack, oldest first; at most `historyLimit` entries. */
  past: readonly SketchDoc[];
  /** Redo stack, next redo last. */
  future: readonly SketchDoc[];
  historyLimit: number;
}

export interface PointerSample {
  /** `PointerEvent.pointerId`: only the pointer that started a stroke continues it. */
  pointerId: number;
  x: number;
  y: number;
  /** `PointerEvent.pressure`, 0…1; used for pens only. */
  pressure: number;
}

export type SketchAction =
  | { type: 'setTool'; tool: Tool }
  | { type: 'setSize'; size: number }
  | { type: 'sizeUp' }
  | { type: 'sizeDown' }
  /** `tool` overrides the selected tool for this stroke (e.g. a pen's eraser end). */
  | ({ type: 'pointerDown'; pointerType: string; tool?: Tool } & PointerSample)
  | ({ type: 'pointerMove' } & PointerSample)
  /** Coordinates are optional: without them the stroke ends at its last sample. */
  | { type: 'pointerUp'; pointerId: number; x?: number; y?: number; pressure?: number }
  | { type: 'pointerCancel'; pointerId: number }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'clear' }
  | { type: 'resize'; width: number; height: number }
  /** Replaces the sketch with an imported edge map (strokes removed); one undo entry. */
  | { type: 'importBackground'; mask: InkMask }
  /** Replaces the document with a saved one (a history entry's sketch); checked, one undo entry. */
  | { type: 'load'; doc: SketchDoc };

export interface CreateSketchOptions {
  width: number;
  height: number;
  historyLimit?: number;
  tool?: Tool;
  size?: number;
}

export function createSketch(opts: CreateSketchOptions): SketchState {
  checkSize(opts.width, opts.height, 'createSketch');
  const historyLimit = opts.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  if (!Number.isInteger(historyLimit) || historyLimit < 0) {
    throw new RangeError(`createSketch: historyLimit must be an integer ≥ 0 (got ${historyLimit})`);
  }
  return {
    doc: { width: opts.width, height: opts.height, background: null, strokes: [] },
    tool: opts.tool ?? 'brush',
    size: clampSize(opts.size ?? DEFAULT_BRUSH_SIZE),
    active: null,
    past: [],
    future: [],
    historyLimit,
  };
}

export function sketchReducer(state: SketchState, action: SketchAction): SketchState {
  switch (action.type) {
    case 'setTool':
      return action.tool === state.tool ? state : { ...state, tool: action.tool };
    case 'setSize':
      return withSize(state, action.size);
    case 'sizeUp':
      return withSize(state, BRUSH_SIZE_STEPS.find((s) => s > state.size) ?? MAX_BRUSH_SIZE);
    case 'sizeDown':
      return withSize(state, [...BRUSH_SIZE_STEPS].reverse().find((s) => s < state.size) ?? MIN_BRUSH_SIZE);
    case 'pointerDown':
      return pointerDown(state, action);
    case 'pointerMove':
      return pointerMove(state, action);
    case 'pointerUp':
      return pointerUp(state, action);
    case 'pointerCancel':
      return state.active?.pointerId === action.pointerId ? { ...state, active: null } : state;
    case 'undo':
      return undo(state);
    case 'redo':
      return redo(state);
    case 'clear':
      return hasContent(state.doc) ? commit(state, { ...state.doc, background: null, strokes: [] }) : dropActive(state);
    case 'resize':
      return resize(state, action.width, action.height);
    case 'importBackground':
      checkMask(action.mask);
      return commit(state, { ...state.doc, background: action.mask, strokes: [] });
    case 'load':
      return load(state, action.doc);
  }
}

const emptiness = new WeakMap<SketchDoc, boolean>();

/**
 * No visible ink in the document (then no ControlNet pass is run). Strokes in progress don't
 * count. Only when erasers could have removed everything is the sketch rendered to check
 * (once per document: the answer is remembered).
 */
export function isEmpty(state: SketchState): boolean {
  const { doc } = state;
  let empty = emptiness.get(doc);
  if (empty === undefined) emptiness.set(doc, (empty = computeEmpty(doc)));
  return empty;
}

function computeEmpty(doc: SketchDoc): boolean {
  const hasBrush = doc.strokes.some((s) => s.tool === 'brush' && s.points.length > 0);
  const hasBackground = doc.background !== null && doc.background.data.some((v) => v > 0);
  if (!hasBrush && !hasBackground) return true;
  if (!doc.strokes.some((s) => s.tool === 'eraser')) return false;
  // Visible = at least one non-zero byte in what toControlImage would send.
  return renderInk(doc, doc.width, doc.height).every((v) => Math.round(v * 255) === 0);
}

export function canUndo(state: SketchState): boolean {
  return state.past.length > 0;
}

export function canRedo(state: SketchState): boolean {
  return state.future.length > 0;
}

function clampSize(size: number): number {
  return Math.min(MAX_BRUSH_SIZE, Math.max(MIN_BRUSH_SIZE, size));
}

function withSize(state: SketchState, size: number): SketchState {
  if (!Number.isFinite(size)) return state;
  const clamped = clampSize(size);
  return clamped === state.size ? state : { ...state, size: clamped };
}

function checkSize(width: number, height: number, where: string): void {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_SKETCH_SIDE) {
      throw new RangeError(`${where}: ${name} must be an integer in [1, ${MAX_SKETCH_SIDE}] (got ${v})`);
    }
  }
}

function checkMask(mask: InkMask): void {
  if (!Number.isInteger(mask.width) || !Number.isInteger(mask.height) || mask.width < 1 || mask.height < 1 || mask.data.length !== mask.width * mask.height) {
    throw new RangeError(`importBackground: mask ${mask.width}×${mask.height} needs ${mask.width * mask.height} bytes (got ${mask.data.length})`);
  }
}

function load(state: SketchState, doc: SketchDoc): SketchState {
  if (doc === state.doc) return dropActive(state);
  const problem = sketchDocProblem(doc);
  if (problem) throw new RangeError(`load: ${problem}`);
  return commit(state, doc);
}

function finite(...values: number[]): boolean {
  return values.every(Number.isFinite);
}

function pointerDown(state: SketchState, a: Extract<SketchAction, { type: 'pointerDown' }>): SketchState {
  // A second finger (or pen) while drawing is ignored; the first pointer keeps the stroke.
  if (state.active || !finite(a.x, a.y)) return state;
  const size = state.size;
  const point = { x: a.x, y: a.y, w: widthFor(size, a.pressure, a.pointerType) };
  const active: ActiveStroke = { pointerId: a.pointerId, pointerType: a.pointerType, tool: a.tool ?? state.tool, size, points: [point], tail: null };
  return { ...state, active };
}

function addSample(active: ActiveStroke, point: StrokePoint): ActiveStroke {
  const { x, y } = point;
  const last = active.points[active.points.length - 1];
  if (Math.hypot(x - last.x, y - last.y) < minSpacing(active.size)) return { ...active, tail: point };
  return { ...active, points: [...active.points, point], tail: null };
}

function pointerMove(state: SketchState, a: Extract<SketchAction, { type: 'pointerMove' }>): SketchState {
  const active = state.active;
  if (!active || active.pointerId !== a.pointerId || !finite(a.x, a.y)) return state;
  return { ...state, active: addSample(active, { x: a.x, y: a.y, w: widthFor(active.size, a.pressure, active.pointerType) }) };
}

function pointerUp(state: SketchState, a: Extract<SketchAction, { type: 'pointerUp' }>): SketchState {
  let active = state.active;
  if (!active || active.pointerId !== a.pointerId) return state;
  if (a.x !== undefined && a.y !== undefined && finite(a.x, a.y)) {
    const last = active.tail ?? active.points[active.points.length - 1];
    // A pen's pointerup reports pressure 0 (lifted): keep the last width instead of a thin end.
    const w = a.pressure !== undefined && a.pressure > 0 ? widthFor(active.size, a.pressure, active.pointerType) : last.w;
    if (last.x !== a.x || last.y !== a.y) active = addSample(active, { x: a.x, y: a.y, w });
  }
  // Erasing an empty sketch would only add a no-op undo step.
  if (active.tool === 'eraser' && !hasContent(state.doc)) return { ...state, active: null };
  const stroke = finishStroke(active);
  return commit(state, { ...state.doc, strokes: [...state.doc.strokes, stroke] });
}

function hasContent(doc: SketchDoc): boolean {
  return doc.strokes.length > 0 || doc.background !== null;
}

function dropActive(state: SketchState): SketchState {
  return state.active ? { ...state, active: null } : state;
}

/** New document, previous one onto the undo stack (oldest dropped past the limit), redo cleared. */
function commit(state: SketchState, doc: SketchDoc): SketchState {
  const past = state.historyLimit === 0 ? [] : [...state.past, state.doc].slice(-state.historyLimit);
  return { ...state, doc, past, future: [], active: null };
}

// Undo/redo while drawing drops the unfinished stroke: it was never part of the document.
function undo(state: SketchState): SketchState {
  if (state.past.length === 0) return dropActive(state);
  const doc = state.past[state.past.length - 1];
  return { ...state, doc, past: state.past.slice(0, -1), future: [...state.future, state.doc], active: null };
}

function redo(state: SketchState): SketchState {
  if (state.future.length === 0) return dropActive(state);
  const doc = state.future[state.future.length - 1];
  return { ...state, doc, past: [...state.past, state.doc], future: state.future.slice(0, -1), active: null };
}

/**
 * Output size changed: the document and every history entry are stretched to the new size, so
 * undo stays at the current size. Not an undo step itself (the size belongs to the settings).
 * The background keeps its own resolution; it is always mapped over the whole sketch.
 */
function resize(state: SketchState, width: number, height: number): SketchState {
  checkSize(width, height, 'resize');
  const { doc } = state;
  if (width === doc.width && height === doc.height) return state;
  const scaled = new Map<Stroke, Stroke>(); // history entries share strokes; keep sharing them
  const scaleDoc = (d: SketchDoc): SketchDoc => {
    const sx = width / d.width;
    const sy = height / d.height;
    const strokes = d.strokes.map((s) => {
      let t = scaled.get(s);
      if (!t) scaled.set(s, (t = scaleStroke(s, sx, sy)));
      return t;
    });
    return { width, height, background: d.background, strokes };
  };
  return { ...state, doc: scaleDoc(doc), past: state.past.map(scaleDoc), future: state.future.map(scaleDoc), active: null };
}
