import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { crc32, readPngText, textChunk, writePngText } from '@/lib/png/chunks';
import { tinyPng } from './helpers';

/** A raw chunk with a correct CRC (or `crc` when given). */
function rawChunk(type: string, body: Uint8Array, crc?: number): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc ?? crc32(out, 4, 8 + body.length));
  return out;
}

/** `extra` chunks inserted before IEND of a tiny PNG. */
function withChunks(...extra: Uint8Array[]): Uint8Array {
  const png = tinyPng();
  const iend = png.length - 12;
  return new Uint8Array(Buffer.concat([png.subarray(0, iend), ...extra, png.subarray(iend)]));
}

const bytes = (...parts: Array<string | number[] | Uint8Array>) =>
  new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, p.match(/[^\u0000-\u00ff]/) ? 'utf8' : 'latin1') : Buffer.from(p)))));

describe('PNG text chunks', () => {
  it("computes zlib's CRC-32", () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('writes tEXt for Latin-1 and iTXt (UTF-8, uncompressed) otherwise; pngjs still decodes the file', async () => {
    const png = writePngText(tinyPng(), [
      { keyword: 'latin', text: 'café 100%' },
      { keyword: 'utf', text: '猫 🦊 שלום' },
    ]);
    const r = await readPngText(png);
    expect(r).toEqual({
      ok: true,
      problems: [],
      texts: [
        { type: 'tEXt', keyword: 'latin', text: 'café 100%' },
        { type: 'iTXt', keyword: 'utf', text: '猫 🦊 שלום', language: '', translatedKeyword: '' },
      ],
    });
    expect(Buffer.from(textChunk('utf', '猫').subarray(4, 8)).toString('latin1')).toBe('iTXt');
    expect(PNG.sync.read(Buffer.from(png)).width).toBe(2);
  });

  it('reads zTXt and compressed iTXt (zlib via DecompressionStream)', async () => {
    const z = rawChunk('zTXt', bytes('parameters', [0, 0], deflateSync(Buffer.from('zipped café', 'latin1'))));
    const i = rawChunk('iTXt', bytes('prompt', [0, 1, 0], 'en', [0], 'Prompt', [0], deflateSync(Buffer.from('{"a": "猫"}', 'utf8'))));
    const r = await readPngText(withChunks(z, i));
    expect(r.problems).toEqual([]);
    expect(r.texts).toEqual([
      { type: 'zTXt', keyword: 'parameters', text: 'zipped café' },
      { type: 'iTXt', keyword: 'prompt', text: '{"a": "猫"}', language: 'en', translatedKeyword: 'Prompt' },
    ]);
  });

  it('detects a CRC mismatch and skips that chunk, keeping the others', async () => {
    const good = rawChunk('tEXt', bytes('a', [0], 'kept'));
    const bad = rawChunk('tEXt', bytes('parameters', [0], 'tampered'), 0x12345678);
    const r = await readPngText(withChunks(good, bad));
    expect(r.ok).toBe(true);
    expect(r.texts.map((t) => t.text)).toEqual(['kept']);
    expect(r.problems).toEqual([expect.objectContaining({ code: 'bad-crc', chunk: 'tEXt' })]);
  });

  it('refuses a bad signature, a length past the end, a zlib bomb and bad zlib as typed results', async () => {
    expect(await readPngText(new Uint8Array([1, 2, 3]))).toMatchObject({ ok: false, problems: [{ code: 'not-png' }] });
    const png = withChunks(rawChunk('tEXt', bytes('k', [0], 'v')));
    const cut = png.subarray(0, png.length - 20);
    const r = await readPngText(cut);
    expect(r.ok).toBe(true);
    expect(r.problems.map((p) => p.code)).toContain('truncated');
    const bomb = rawChunk('zTXt', bytes('parameters', [0, 0], deflateSync(Buffer.alloc(2 << 20, 65))));
    const b = await readPngText(withChunks(bomb), { maxChunkBytes: 1 << 20 });
    expect(b.texts).toEqual([]);
    expect(b.problems).toEqual([expect.objectContaining({ code: 'too-large', chunk: 'zTXt' })]);
    const junk = rawChunk('zTXt', bytes('parameters', [0, 0], [1, 2, 3, 4, 5]));
    expect((await readPngText(withChunks(junk))).problems).toEqual([expect.objectContaining({ code: 'decompress-failed' })]);
  });

  it('refuses a text chunk over the limit before reading it', async () => {
    const big = rawChunk('tEXt', bytes('parameters', [0], Buffer.alloc(2000, 65)));
    const r = await readPngText(withChunks(big), { maxChunkBytes: 1000 });
    expect(r.texts).toEqual([]);
    expect(r.problems).toEqual([expect.objectContaining({ code: 'too-large' })]);
  });
});
