/**
 * PNG text chunks, read and written without a PNG library (runs in browsers, workers and Node):
 * - tEXt: Latin-1 keyword and text.
 * - iTXt: Latin-1 keyword, UTF-8 text, optionally zlib-compressed; written (uncompressed) for text
 *   that is not Latin-1.
 * - zTXt: Latin-1 keyword, zlib-compressed Latin-1 text (read only).
 *
 * Reading is bounded and never throws for bad input: a bad signature, a chunk running past the end,
 * a CRC mismatch, an oversized or undecodable chunk become `problems`; text chunks whose CRC fails are
 * not returned. Only text chunks are CRC-checked (the image data is not ours to judge). zlib goes
 * through the platform's DecompressionStream('deflate'), stopped as soon as it passes the limit.
 */
import { InvalidParamsError } from '../errors';

export const PNG_SIGNATURE: readonly number[] = Object.freeze([137, 80, 78, 71, 13, 10, 26, 10]);

export interface PngTextLimits {
  /** Largest text chunk read (its stored bytes) and largest decompressed text. Default 8 MiB. */
  maxChunkBytes: number;
  /** All text read from one file together. Default 16 MiB. */
  maxTotalBytes: number;
  /** Text chunks read from one file. Default 256. */
  maxTextChunks: number;
}

export const PNG_TEXT_LIMITS: Readonly<PngTextLimits> = Object.freeze({ maxChunkBytes: 8 << 20, maxTotalBytes: 16 << 20, maxTextChunks: 256 });

export type PngChunkType = 'tEXt' | 'iTXt' | 'zTXt';

export interface PngText {
  type: PngChunkType;
  keyword: string;
  text: string;
  /** iTXt only. */
  language?: string;
  translatedKeyword?: string;
}

export type PngProblemCode = 'not-png' | 'truncated' | 'bad-crc' | 'too-large' | 'too-many' | 'malformed' | 'decompress-failed';

export interface PngProblem {
  code: PngProblemCode;
  message: string;
  /** The chunk type concerned, when one is. */
  chunk?: string;
  /** Byte offset of the chunk in the file. */
  offset?: number;
}

/** `ok` is false only when the bytes are not a PNG at all; `problems` lists what was skipped. */
export interface PngTextResult {
  ok: boolean;
  texts: PngText[];
  problems: PngProblem[];
}

let crcTable: Uint32Array | null = null;

/** The CRC-32 of PNG (and zlib's crc32): polynomial 0xEDB88320. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function hasPngSignature(png: Uint8Array): boolean {
  return png.length >= 8 && PNG_SIGNATURE.every((b, i) => png[i] === b);
}

/** Bytes as Latin-1 (each byte its code point), in slices so a large text does not overflow the call stack. */
export function decodeLatin1(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

export function isLatin1(text: string): boolean {
  return !/[^\u0000-\u00ff]/.test(text);
}

function encodeLatin1(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

const utf8 = new TextDecoder('utf-8');

/** One chunk's place in the file. */
interface ChunkRef {
  type: string;
  offset: number;
  /** Data start and length. */
  data: number;
  length: number;
}

/**
 * Walks the chunks, keeping those `keep` accepts (a file of millions of tiny chunks holds no list of
 * them all); stops (with a problem) at the first one that runs past the end. Never throws.
 */
function walk(png: Uint8Array, problems: PngProblem[], keep: (type: string) => boolean = () => true): ChunkRef[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: ChunkRef[] = [];
  let pos = 8;
  while (pos < png.length) {
    if (pos + 12 > png.length) {
      problems.push({ code: 'truncated', message: `png: ${png.length - pos} stray bytes at offset ${pos} (a chunk needs 12)`, offset: pos });
      break;
    }
    const length = view.getUint32(pos);
    const type = decodeLatin1(png.subarray(pos + 4, pos + 8));
    if (length > 0x7fffffff || pos + 12 + length > png.length) {
      problems.push({
        code: 'truncated',
        message: `png: chunk ${JSON.stringify(type)} at offset ${pos} claims ${length} bytes, past the end of the file`,
        chunk: type,
        offset: pos,
      });
      break;
    }
    if (keep(type)) chunks.push({ type, offset: pos, data: pos + 8, length });
    pos += 12 + length;
    if (type === 'IEND') break;
  }
  return chunks;
}

function crcOk(png: Uint8Array, c: ChunkRef): boolean {
  const stored = new DataView(png.buffer, png.byteOffset, png.byteLength).getUint32(c.data + c.length);
  return crc32(png, c.offset + 4, c.data + c.length) === stored;
}

type Inflated = { ok: true; bytes: Uint8Array } | { ok: false; code: 'too-large' | 'decompress-failed' };

/** zlib inflate through DecompressionStream('deflate'), cancelled once the output passes `max` bytes. */
async function inflateBounded(data: Uint8Array, max: number): Promise<Inflated> {
  let stream: DecompressionStream;
  try {
    stream = new DecompressionStream('deflate');
  } catch {
    return { ok: false, code: 'decompress-failed' };
  }
  const writer = stream.writable.getWriter();
  writer.write(data as BufferSource).catch(() => undefined);
  writer.close().catch(() => undefined);
  const reader = stream.readable.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > max) {
        await reader.cancel().catch(() => undefined);
        return { ok: false, code: 'too-large' };
      }
      parts.push(value);
    }
  } catch {
    return { ok: false, code: 'decompress-failed' };
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return { ok: true, bytes: out };
}

/** Decodes one text chunk's data; a problem string when it is malformed. */
async function decodeText(type: PngChunkType, body: Uint8Array, limits: PngTextLimits): Promise<PngText | { code: PngProblemCode; why: string }> {
  const zero = body.indexOf(0);
  if (zero < 1 || zero > 79) return { code: 'malformed', why: 'no keyword of 1–79 bytes' };
  const keyword = decodeLatin1(body.subarray(0, zero));
  const inflate = async (data: Uint8Array) => {
    const r = await inflateBounded(data, limits.maxChunkBytes);
    return r.ok ? r.bytes : { code: r.code, why: r.code === 'too-large' ? `inflates past ${limits.maxChunkBytes} bytes` : 'bad zlib data' };
  };
  if (type === 'tEXt') return { type, keyword, text: decodeLatin1(body.subarray(zero + 1)) };
  if (type === 'zTXt') {
    if (body[zero + 1] !== 0) return { code: 'malformed', why: `unknown compression method ${body[zero + 1]}` };
    const bytes = await inflate(body.subarray(zero + 2));
    return bytes instanceof Uint8Array ? { type, keyword, text: decodeLatin1(bytes) } : bytes;
  }
  // iTXt: keyword 0 flag method language 0 translated-keyword 0 text
  const flag = body[zero + 1];
  const method = body[zero + 2];
  if (zero + 3 > body.length || (flag !== 0 && flag !== 1)) return { code: 'malformed', why: 'bad compression flag' };
  const langEnd = body.indexOf(0, zero + 3);
  const transEnd = langEnd < 0 ? -1 : body.indexOf(0, langEnd + 1);
  if (transEnd < 0) return { code: 'malformed', why: 'language tag or translated keyword not terminated' };
  const language = decodeLatin1(body.subarray(zero + 3, langEnd));
  const translatedKeyword = utf8.decode(body.subarray(langEnd + 1, transEnd));
  let textBytes = body.subarray(transEnd + 1);
  if (flag === 1) {
    if (method !== 0) return { code: 'malformed', why: `unknown compression method ${method}` };
    const bytes = await inflate(textBytes);
    if (!(bytes instanceof Uint8Array)) return bytes;
    textBytes = bytes;
  }
  return { type, keyword, text: utf8.decode(textBytes), language, translatedKeyword };
}

const TEXT_TYPES = new Set<string>(['tEXt', 'iTXt', 'zTXt']);

/** Every tEXt/iTXt/zTXt chunk of `png`, in file order, within `limits`. Never throws. */
export async function readPngText(png: Uint8Array, limits: Partial<PngTextLimits> = {}): Promise<PngTextResult> {
  const lim: PngTextLimits = { ...PNG_TEXT_LIMITS, ...limits };
  const problems: PngProblem[] = [];
  const texts: PngText[] = [];
  if (!(png instanceof Uint8Array) || !hasPngSignature(png)) {
    return { ok: false, texts, problems: [{ code: 'not-png', message: 'png: not a PNG file (bad signature)' }] };
  }
  let total = 0;
  for (const c of walk(png, problems, (t) => TEXT_TYPES.has(t))) {
    const at = { chunk: c.type, offset: c.offset };
    if (texts.length >= lim.maxTextChunks) {
      problems.push({ code: 'too-many', message: `png: more than ${lim.maxTextChunks} text chunks; the rest are skipped`, ...at });
      break;
    }
    if (c.length > lim.maxChunkBytes) {
      problems.push({
        code: 'too-large',
        message: `png: ${c.type} chunk of ${c.length} bytes at offset ${c.offset} is over the ${lim.maxChunkBytes}-byte limit`,
        ...at,
      });
      continue;
    }
    if (!crcOk(png, c)) {
      problems.push({ code: 'bad-crc', message: `png: ${c.type} chunk at offset ${c.offset} fails its CRC`, ...at });
      continue;
    }
    const decoded = await decodeText(c.type as PngChunkType, png.subarray(c.data, c.data + c.length), lim);
    if ('why' in decoded) {
      problems.push({ code: decoded.code, message: `png: ${c.type} chunk at offset ${c.offset}: ${decoded.why}`, ...at });
      continue;
    }
    total += decoded.text.length;
    if (total > lim.maxTotalBytes) {
      problems.push({ code: 'too-large', message: `png: text chunks together pass the ${lim.maxTotalBytes}-byte limit; the rest are skipped`, ...at });
      break;
    }
    texts.push(decoded);
  }
  return { ok: true, texts, problems };
}

/** The same walk, synchronously: tEXt and uncompressed iTXt only (compressed chunks need the async reader). */
export function readPngTextSync(png: Uint8Array, limits: Partial<PngTextLimits> = {}): PngTextResult {
  const lim: PngTextLimits = { ...PNG_TEXT_LIMITS, ...limits };
  const problems: PngProblem[] = [];
  const texts: PngText[] = [];
  if (!(png instanceof Uint8Array) || !hasPngSignature(png)) {
    return { ok: false, texts, problems: [{ code: 'not-png', message: 'png: not a PNG file (bad signature)' }] };
  }
  for (const c of walk(png, problems, (t) => t === 'tEXt' || t === 'iTXt')) {
    if (texts.length >= lim.maxTextChunks || c.length > lim.maxChunkBytes || !crcOk(png, c)) {
      problems.push({
        code: c.length > lim.maxChunkBytes ? 'too-large' : 'bad-crc',
        message: `png: ${c.type} chunk at offset ${c.offset} skipped`,
        chunk: c.type,
        offset: c.offset,
      });
      continue;
    }
    const body = png.subarray(c.data, c.data + c.length);
    const zero = body.indexOf(0);
    if (zero < 1) continue;
    const keyword = decodeLatin1(body.subarray(0, zero));
    if (c.type === 'tEXt') texts.push({ type: 'tEXt', keyword, text: decodeLatin1(body.subarray(zero + 1)) });
    else if (body[zero + 1] === 0) {
      const langEnd = body.indexOf(0, zero + 3);
      const transEnd = langEnd < 0 ? -1 : body.indexOf(0, langEnd + 1);
      if (transEnd < 0) continue;
      texts.push({
        type: 'iTXt',
        keyword,
        text: utf8.decode(body.subarray(transEnd + 1)),
        language: decodeLatin1(body.subarray(zero + 3, langEnd)),
        translatedKeyword: utf8.decode(body.subarray(langEnd + 1, transEnd)),
      });
    }
  }
  return { ok: true, texts, problems };
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  out.set(encodeLatin1(type), 4);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out, 4, 8 + body.length));
  return out;
}

/** A tEXt chunk when `text` is Latin-1, else an uncompressed iTXt chunk (UTF-8). */
export function textChunk(keyword: string, text: string): Uint8Array {
  if (!/^[\x20-\x7e\xa1-\xff]{1,79}$/.test(keyword) || /^ | $|  /.test(keyword)) {
    throw new InvalidParamsError(`png: invalid text chunk keyword ${JSON.stringify(keyword)}`, 'keyword');
  }
  if (text.includes('\u0000')) throw new InvalidParamsError('png: a text chunk cannot hold NUL (escape it first)', 'text');
  const key = encodeLatin1(keyword);
  if (isLatin1(text)) {
    const t = encodeLatin1(text);
    const body = new Uint8Array(key.length + 1 + t.length);
    body.set(key, 0);
    body.set(t, key.length + 1);
    return chunk('tEXt', body);
  }
  const t = new TextEncoder().encode(text);
  // keyword 0, flag 0 (uncompressed), method 0, empty language tag 0, empty translated keyword 0, text
  const body = new Uint8Array(key.length + 5 + t.length);
  body.set(key, 0);
  body.set(t, key.length + 5);
  return chunk('iTXt', body);
}

function textKeyword(png: Uint8Array, c: ChunkRef): string | null {
  if (!TEXT_TYPES.has(c.type)) return null;
  const body = png.subarray(c.data, c.data + c.length);
  const zero = body.indexOf(0);
  return zero < 0 ? null : decodeLatin1(body.subarray(0, zero));
}

/**
 * `png` with one text chunk per entry inserted before IEND (tEXt, or iTXt when not Latin-1); text
 * chunks already there with the same keywords are removed. Throws InvalidParamsError for bytes that
 * are not a whole PNG (the caller's own encoder made them) or a bad keyword / NUL in a text.
 */
export function writePngText(png: Uint8Array, entries: ReadonlyArray<{ keyword: string; text: string }>): Uint8Array {
  if (!hasPngSignature(png)) throw new InvalidParamsError('png: not a PNG file (bad signature)', 'png');
  const problems: PngProblem[] = [];
  const chunks = walk(png, problems);
  const iend = chunks.find((c) => c.type === 'IEND');
  if (problems.length > 0 || !iend) throw new InvalidParamsError(`png: not a whole PNG file (${problems[0]?.message ?? 'no IEND chunk'})`, 'png');
  const replaced = new Set(entries.map((e) => e.keyword));
  const added = entries.map((e) => textChunk(e.keyword, e.text));
  const parts: Uint8Array[] = [png.subarray(0, 8)];
  for (const c of chunks) {
    if (c === iend) parts.push(...added);
    const key = textKeyword(png, c);
    if (key !== null && replaced.has(key)) continue;
    parts.push(png.subarray(c.offset, c.data + c.length + 4));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
