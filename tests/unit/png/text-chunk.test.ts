import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { LANTERN_VERSION } from '@/lib/png/infotext';
import { addTextChunk, readTextChunks } from '@/lib/png/text-chunk';
import { formatParameters } from '@/lib/png/parameters';
import { tinyPng } from './helpers';

describe("PNG parameters chunk (the studio's first API)", () => {
  const params = {
    prompt: 'a red circle',
    negativePrompt: 'blurry',
    seed: 42,
    steps: 20,
    guidanceScale: 7.5,
    guidanceRescale: 0,
    scheduler: 'dpmpp-2m-karras' as const,
    width: 64,
    height: 64,
  };

  it('formats A1111 parameters text', () => {
    expect(formatParameters(params, 'tiny-sd')).toBe(
      'a red circle\nNegative prompt: blurry\n' +
        `Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7.5, Seed: 42, Size: 64x64, Model: tiny-sd, Version: lantern ${LANTERN_VERSION}`,
    );
  });

  it('names the sampler that actually ran when the model default was used', () => {
    expect(formatParameters({ ...params, scheduler: 'default', negativePrompt: '' }, 'tiny-sd', 'PLMS')).toBe(
      `a red circle\nSteps: 20, Sampler: PLMS, Schedule type: Automatic, CFG scale: 7.5, Seed: 42, Size: 64x64, Model: tiny-sd, Version: lantern ${LANTERN_VERSION}`,
    );
  });

  it('round-trips through a real PNG that decoders still accept', () => {
    const text = formatParameters(params, 'tiny-sd');
    const out = addTextChunk(tinyPng(), 'parameters', text);
    expect(readTextChunks(out)).toEqual({ parameters: text });
    const decoded = PNG.sync.read(Buffer.from(out)); // pngjs verifies every chunk CRC
    expect([decoded.width, decoded.height]).toEqual([2, 1]);
    expect(Array.from(decoded.data)).toEqual([200, 200, 200, 200, 200, 200, 200, 200]);
  });

  it('replaces an existing chunk of the same keyword instead of adding a second', () => {
    const once = addTextChunk(tinyPng(), 'parameters', 'one');
    const twice = addTextChunk(once, 'parameters', 'two');
    expect(readTextChunks(twice)).toEqual({ parameters: 'two' });
    expect(twice.length).toBe(once.length);
  });

  it('refuses non-PNG input and bad keywords; reading non-PNG bytes gives {}', () => {
    expect(() => addTextChunk(new Uint8Array([1, 2, 3]), 'parameters', 'x')).toThrow(/not a PNG/);
    expect(() => addTextChunk(tinyPng(), '', 'x')).toThrow(/invalid text chunk keyword/);
    expect(() => addTextChunk(tinyPng(), 'parameters', 'a\u0000b')).toThrow(/NUL/);
    expect(readTextChunks(new Uint8Array([1, 2, 3]))).toEqual({});
  });
});
