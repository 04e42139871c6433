/**
 * The studio's first PNG text API, kept for its callers: `addTextChunk` writes one text chunk before
 * IEND (tEXt, or iTXt when the text is not Latin-1), replacing one with the same keyword;
 * `readTextChunks` reads tEXt and uncompressed iTXt. See chunks.ts for the bounded reader.
 */
import { readPngTextSync, writePngText } from './chunks';

export function addTextChunk(png: Uint8Array, keyword: string, text: string): Uint8Array {
  return writePngText(png, [{ keyword, text }]);
}

/** keyword → text; {} for bytes that are not a PNG. Never throws. */
export function readTextChunks(png: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of readPngTextSync(png).texts) out[t.keyword] = t.text;
  return out;
}
