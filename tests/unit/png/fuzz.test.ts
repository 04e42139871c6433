/** Fuzz: malformed PNGs and infotexts never throw and finish in bounded time. Deterministic (seeded). */
import { describe, expect, it } from 'vitest';
import { crc32, readPngText, writePngText } from '@/lib/png/chunks';
import { escapeControl, findParams, formatInfotext, parseInfotext, unescapeControl } from '@/lib/png/infotext';
import { readPngSettings, restoreFromComfy, restoreFromInfotext } from '@/lib/png/restore';
import { seeded, tinyPng } from './helpers';

const rand = seeded(20261203);
const int = (n: number) => Math.floor(rand() * n);

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = int(256);
  return b;
}

const ODD = [
  '\u0000',
  '\ud800',
  '\udfff',
  '\u2028',
  '\u202e',
  '\ufeff',
  '\u0085',
  '🦊',
  'A\u0301',
  '"',
  '\\',
  ':',
  ',',
  '\n',
  '\r',
  'Negative prompt:',
  'Steps: 1',
  'ControlNet 0: "',
  'x',
];
function oddText(): string {
  let s = '';
  const n = int(40);
  for (let i = 0; i < n; i++) s += ODD[int(ODD.length)];
  return s;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  new DataView(out.buffer).setUint32(8 + body.length, crc32(out, 4, 8 + body.length));
  return out;
}

function insert(png: Uint8Array, ...chunks: Uint8Array[]): Uint8Array {
  const iend = png.length - 12;
  return new Uint8Array(Buffer.concat([png.subarray(0, iend), ...chunks, png.subarray(iend)]));
}

async function noThrow(bytes: Uint8Array): Promise<void> {
  const r = await readPngText(bytes);
  expect(Array.isArray(r.problems)).toBe(true);
  const s = await readPngSettings(bytes);
  expect(typeof s.ok).toBe('boolean');
}

describe('fuzz', () => {
  it('random bytes, random bytes after the signature, truncations and bit flips: no throw', async () => {
    const start = performance.now();
    const base = writePngText(tinyPng(), [
      {
        keyword: 'parameters',
        text: formatInfotext({
          params: {
            prompt: 'cat 猫',
            negativePrompt: 'dog',
            seed: 1,
            steps: 2,
            guidanceScale: 3,
            guidanceRescale: 0,
            scheduler: 'ddim',
            width: 64,
            height: 64,
          },
          modelName: 'm',
        }),
      },
    ]);
    for (let i = 0; i < 300; i++) {
      await noThrow(randomBytes(int(200)));
      await noThrow(new Uint8Array([...base.subarray(0, 8), ...randomBytes(int(300))]));
      await noThrow(base.subarray(0, int(base.length)));
      const flipped = base.slice();
      for (let k = 0; k < 1 + int(4); k++) flipped[8 + int(flipped.length - 8)] ^= 1 << int(8);
      await noThrow(flipped);
      const lying = insert(tinyPng(), chunk(['tEXt', 'iTXt', 'zTXt'][i % 3], randomBytes(int(64))));
      await noThrow(lying);
    }
    expect(performance.now() - start).toBeLessThan(20_000);
  }, 30_000);

  it('a 36 MB text chunk is refused quickly, and so is one whose length claims 36 MB', async () => {
    const big = new Uint8Array(36 << 20);
    big.set(new TextEncoder().encode('parameters'), 0);
    big.fill(65, 11);
    const png = insert(tinyPng(), chunk('tEXt', big));
    const start = performance.now();
    const r = await readPngText(png);
    expect(r.texts).toEqual([]);
    expect(r.problems).toEqual([expect.objectContaining({ code: 'too-large' })]);
    const s = await readPngSettings(png);
    expect(s).toMatchObject({ ok: false, reason: 'no-settings' });
    const header = png.subarray(0, 33 + 8 + 100); // the chunk's length field says 36 MB, the file ends
    expect((await readPngText(header)).problems.map((p) => p.code)).toEqual(['truncated']);
    expect(performance.now() - start).toBeLessThan(5_000);
  }, 30_000);

  it('a million empty chunks are walked in bounded time', async () => {
    const one = chunk('zzZz', new Uint8Array(0));
    const many = new Uint8Array(one.length * 1_000_000);
    for (let i = 0; i < 1_000_000; i++) many.set(one, i * one.length);
    const png = insert(tinyPng(), many, chunk('tEXt', new TextEncoder().encode('parameters\0x\nSteps: 1, Seed: 2, Size: 8x8')));
    const start = performance.now();
    const r = await readPngSettings(png);
    expect(r).toMatchObject({ ok: true, settings: { params: { steps: 1, seed: 2, width: 8, height: 8 } } });
    expect(performance.now() - start).toBeLessThan(5_000);
  }, 30_000);

  it('odd Unicode and missing fields through writer, parser and restore: no throw, prompts survive', () => {
    for (let i = 0; i < 500; i++) {
      const text = oddText();
      const parsed = parseInfotext(text);
      expect(typeof parsed.prompt).toBe('string');
      const r = restoreFromInfotext(text);
      expect(Array.isArray(r.notUnderstood)).toBe(true);
      restoreFromComfy(text);
      const fields = ['Steps: 3', 'Sampler: DDIM', 'CFG scale: x', 'Seed: 1e400', 'Size: 0x0', 'Model: ' + oddText(), 'ControlNet 0: "' + oddText()].filter(
        () => rand() < 0.5,
      );
      restoreFromInfotext(`${oddText()}\n${fields.join(', ')}`);
      // whatever the prompt's characters, the writer's text stays readable and control characters never reach the chunk
      const prompt = oddText().replace(/Negative prompt:/g, '');
      const written = formatInfotext({
        params: { prompt, negativePrompt: '', seed: 1, steps: 2, guidanceScale: 3, guidanceRescale: 0, scheduler: 'ddim', width: 64, height: 64 },
        modelName: oddText(),
      });
      expect(written).not.toMatch(/[\u0000\r]/);
      // A1111 trims each line; Lantern's escapes keep control characters (\r, NUL, …) out of that trimming
      const expected = unescapeControl(
        escapeControl(prompt)
          .split('\n')
          .map((l) => l.trim())
          .join('\n')
          .replace(/^\n+/, ''), // leading empty lines are dropped; trailing ones stay (the parameters line follows)
      );
      expect(parseInfotext(written).prompt).toBe(expected);
    }
  });
});

describe('findParams is findall(re_param)', () => {
  // The regex as A1111 writes it, Unicode-aware (\w as Python 3's), for differential testing on short lines.
  const RE_PARAM = /\s*([\p{L}\p{N}_][\p{L}\p{N}_ \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/gu;
  const findall = (line: string) => Array.from(line.matchAll(RE_PARAM), (m) => [m[1], m[2]]);
  const ATOMS = ['Steps', 'a', ' ', ':', ',', '"', '\\', '-', '/', 'é', '猫', '𝒜', '1', '\t', 'x y', ': "', '",', '\\"'];

  it('gives the same matches as the regex on random lines', () => {
    for (let i = 0; i < 3000; i++) {
      let line = '';
      const n = int(30);
      for (let k = 0; k < n; k++) line += ATOMS[int(ATOMS.length)];
      expect(findParams(line), JSON.stringify(line)).toEqual(findall(line));
    }
  });

  it('stays linear on hostile lines where the regex would backtrack quadratically', () => {
    const hostile = ['a '.repeat(400_000), 'k: "x,'.repeat(150_000), 'ab:'.repeat(300_000), '\\'.repeat(900_000)];
    const start = performance.now();
    for (const line of hostile) {
      findParams(line);
      parseInfotext(`prompt\n${line}`);
    }
    expect(performance.now() - start).toBeLessThan(10_000); // ~1 s; the regex takes minutes on these
  }, 30_000);
});
