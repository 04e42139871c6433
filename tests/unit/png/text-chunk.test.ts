import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { addTextChunk, readTextChunks } from '@/lib/png/text-chunk';
import { formatParameters } from '@/lib/png/parameters';

function tinyPng(): Uint8Array {
  const png = new PNG({ width: 2, height: 1 });
  png.data = Buffer.from([255, 0, 0, 255, 0, 0, 255, 255]);
  return new Uint8Array(PNG.sync.write(png));
}

describe('PNG parameters chunk', () => {
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
      'a red circle\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7.5, Seed: 42, Size: 64x64, Model: tiny-sd',
    );
  });

  it('names the sampler that actually ran when the model default was used', () => {
    expect(formatParameters({ ...params, scheduler: 'default', negativePrompt: '' }, 'tiny-sd', 'PLMS')).toBe(
      'a red circle\nSteps: 20, Sampler: PLMS, CFG scale: 7.5, Seed: 42, Size: 64x64, Model: tiny-sd',
    );
  });

  it('round-trips through a real PNG that decoders still accept', () => {
    const text = formatParameters(params, 'tiny-sd');
    const out = addTextChunk(tinyPng(), 'parameters', text);
    expect(readTextChunks(out)).toEqual({ parameters: text });
    const decoded = PNG.sync.read(Buffer.from(out)); // pngjs verifies every chunk CRC
    expect([decoded.width, decoded.height]).toEqual([2, 1]);
    expect(Array.from(decoded.data)).toEqual([255, 0, 0, 255, 0, 0, 255, 255]);
  });

  it('refuses non-PNG input and bad keywords', () => {
    expect(() => addTextChunk(new Uint8Array([1, 2, 3]), 'parameters', 'x')).toThrow(/not a PNG/);
    expect(() => addTextChunk(tinyPng(), '', 'x')).toThrow(/invalid tEXt keyword/);
  });
});
