/**
 * What history keeps of a result, and how a stored one is read back. Stored records are
 * untrusted (another build, or a hand edit, may have written them): `parseEntry` and
 * `parsePayload` keep what is usable, repair what they can and list each repair.
 */
import { sanitizeParams, type GenerateParams } from '@/lib/diffusion/params';
import { sketchDocProblem, type SketchDoc } from '@/lib/sketch';
import type { RgbaImage } from '@/lib/tensor/image';

export interface HistoryTimings {
  textEncoderMs: number;
  unetStepMs: number[];
  vaeMs: number;
  totalMs: number;
}

/** What the gallery lists: everything but the big parts (PNG, sketch, init image). */
export interface HistoryEntry {
  id: string;
  /** When the result finished (Date.now()); the list is newest first by this. */
  createdAt: number;
  params: GenerateParams;
  sampler: string;
  modelName: string;
  modelSource: string;
  backend: string;
  timings: HistoryTimings;
  warnings: string[];
  width: number;
  height: number;
  /** A small picture (≤ 128 px) for the gallery, encoded by the browser. */
  thumbnail: { bytes: Uint8Array; type: string };
  /** Bytes this record holds (PNG, thumbnail, sketch, init image), for the usage line. */
  bytes: number;
  hasSketch: boolean;
  hasInit: boolean;
}

/** The big parts, kept apart so listing the gallery does not read them. */
export interface HistoryPayload {
  id: string;
  /** The PNG as downloaded, with its A1111 `parameters` text. */
  png: Uint8Array;
  sketch: SketchDoc | null;
  init: RgbaImage | null;
}

export type HistoryRecord = HistoryEntry & Omit<HistoryPayload, 'id'>;

/** Splits a record into what the two object stores hold, with its byte count filled in. */
export function splitRecord(r: HistoryRecord): { entry: HistoryEntry; payload: HistoryPayload } {
  const { png, sketch, init, ...entry } = r;
  return { entry: { ...entry, bytes: recordBytes(r), hasSketch: sketch !== null, hasInit: init !== null }, payload: { id: r.id, png, sketch, init } };
}

export function recordBytes(r: Pick<HistoryRecord, 'png' | 'thumbnail' | 'sketch' | 'init'>): number {
  const sketch = r.sketch ? (r.sketch.background?.data.byteLength ?? 0) + r.sketch.strokes.reduce((n, s) => n + 24 * s.points.length, 0) : 0;
  return r.png.byteLength + r.thumbnail.bytes.byteLength + sketch + (r.init?.data.byteLength ?? 0);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (finite(v) ? v : 0);

/**
 * The run's parameters, checked by lib/diffusion/params; the optional ControlNet and img2img
 * ones stay absent when the run had none (their presence says the run used a sketch / init).
 */
function readParams(raw: unknown, repairs: string[]): GenerateParams {
  const { params, dropped } = sanitizeParams(raw);
  for (const d of dropped) repairs.push(`${d.param}: ${d.reason}`);
  const has = (k: string) => isRecord(raw) && raw[k] !== undefined;
  const out: GenerateParams = { ...params };
  if (!has('controlScale')) {
    delete out.controlScale;
    delete out.controlStart;
    delete out.controlEnd;
  }
  if (!has('strength')) delete out.strength;
  return out;
}

/** A stored entry made safe, or null when it has no usable id, time or thumbnail. */
export function parseEntry(raw: unknown): { entry: HistoryEntry; repairs: string[] } | null {
  if (!isRecord(raw) || typeof raw.id !== 'string' || raw.id === '' || !finite(raw.createdAt)) return null;
  const thumb = raw.thumbnail;
  if (!isRecord(thumb) || !(thumb.bytes instanceof Uint8Array)) return null;
  const repairs: string[] = [];
  const t = isRecord(raw.timings) ? raw.timings : {};
  const steps = Array.isArray(t.unetStepMs) ? t.unetStepMs.filter(finite) : [];
  const entry: HistoryEntry = {
    id: raw.id,
    createdAt: raw.createdAt,
    params: readParams(raw.params, repairs),
    sampler: str(raw.sampler),
    modelName: str(raw.modelName),
    modelSource: str(raw.modelSource),
    backend: str(raw.backend),
    timings: { textEncoderMs: num(t.textEncoderMs), unetStepMs: steps, vaeMs: num(t.vaeMs), totalMs: num(t.totalMs) },
    warnings: Array.isArray(raw.warnings) ? raw.warnings.filter((w): w is string => typeof w === 'string') : [],
    width: Number.isInteger(raw.width) ? (raw.width as number) : 0,
    height: Number.isInteger(raw.height) ? (raw.height as number) : 0,
    thumbnail: { bytes: thumb.bytes, type: typeof thumb.type === 'string' && thumb.type.startsWith('image/') ? thumb.type : 'image/png' },
    bytes: num(raw.bytes),
    hasSketch: raw.hasSketch === true,
    hasInit: raw.hasInit === true,
  };
  return { entry, repairs };
}

function isRgba(v: unknown): v is RgbaImage {
  if (!isRecord(v) || !(v.data instanceof Uint8ClampedArray)) return false;
  const { width, height } = v;
  return (
    Number.isInteger(width) &&
    Number.isInteger(height) &&
    (width as number) > 0 &&
    (height as number) > 0 &&
    v.data.length === (width as number) * (height as number) * 4
  );
}

/** A stored payload made safe: an unusable sketch or init image is dropped (with a repair), a missing PNG makes it null. */
export function parsePayload(raw: unknown): { payload: HistoryPayload; repairs: string[] } | null {
  if (!isRecord(raw) || typeof raw.id !== 'string' || !(raw.png instanceof Uint8Array)) return null;
  const repairs: string[] = [];
  let sketch: SketchDoc | null = null;
  if (raw.sketch !== null && raw.sketch !== undefined) {
    const problem = sketchDocProblem(raw.sketch);
    if (problem) repairs.push(`sketch: ${problem}`);
    else sketch = raw.sketch as SketchDoc;
  }
  let init: RgbaImage | null = null;
  if (raw.init !== null && raw.init !== undefined) {
    if (isRgba(raw.init)) init = raw.init;
    else repairs.push('init image: not an RGBA image');
  }
  return { payload: { id: raw.id, png: raw.png, sketch, init }, repairs };
}
