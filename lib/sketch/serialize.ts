/**
 * A sketch document as text, so the studio can keep the drawing across a reload (localStorage):
 * JSON with the imported edge map's bytes in base64. Reading is untrusted (another build, a hand
 * edit): anything that is not a valid document (lib/sketch/doc-check) comes back as null.
 */
import { isSketchDoc } from './doc-check';
import type { SketchDoc } from './types';

const FORMAT = 'lantern-sketch/1';

function toBase64(bytes: Uint8Array): string {
  let bin = '';
  // In slices: String.fromCharCode takes its bytes as arguments.
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

function fromBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function sketchToText(doc: SketchDoc): string {
  const background = doc.background && { width: doc.background.width, height: doc.background.height, data: toBase64(doc.background.data) };
  return JSON.stringify({ format: FORMAT, width: doc.width, height: doc.height, strokes: doc.strokes, background });
}

export function sketchFromText(text: string | null): SketchDoc | null {
  if (!text) return null;
  try {
    const raw = JSON.parse(text) as Record<string, unknown>;
    if (raw?.format !== FORMAT) return null;
    const bg = raw.background as { width?: unknown; height?: unknown; data?: unknown } | null;
    const background = bg && typeof bg.data === 'string' ? { width: bg.width, height: bg.height, data: fromBase64(bg.data) } : bg;
    const doc: unknown = { width: raw.width, height: raw.height, strokes: raw.strokes, background: background ?? null };
    return isSketchDoc(doc) ? doc : null;
  } catch {
    return null;
  }
}
