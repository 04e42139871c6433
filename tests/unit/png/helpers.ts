/** Shared by the PNG tests: a tiny real PNG and a deterministic generator (mulberry32). */
import { PNG } from 'pngjs';

export function tinyPng(width = 2, height = 1): Uint8Array {
  const png = new PNG({ width, height });
  png.data = Buffer.alloc(width * height * 4, 200);
  return new Uint8Array(PNG.sync.write(png));
}

export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
