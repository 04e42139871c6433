/** Comparing pipeline output with the frozen torch reference runs in tests/fixtures/pipeline/. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { GenerateParams } from '@/lib/diffusion/check-inputs';

// Reference files are plain JSON written by training/fixtures/*.py.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Reference = Record<string, any>;

export const readReference = (name: string): Reference => JSON.parse(readFileSync(`tests/fixtures/pipeline/${name}.json`, 'utf8'));

/** The run a reference describes, with DDIM as every reference uses. */
export function referenceParams(ref: Reference, extra: Partial<GenerateParams> = {}): GenerateParams {
  return {
    prompt: ref.prompt,
    negativePrompt: ref.negative_prompt,
    seed: ref.seed,
    steps: ref.steps,
    guidanceScale: ref.guidance,
    guidanceRescale: 0,
    scheduler: 'ddim',
    width: ref.width ?? ref.image_shape_hwc[1],
    height: ref.height ?? ref.image_shape_hwc[0],
    ...extra,
  };
}

/** Final latents within 1e-4 of the reference, relative to its largest magnitude. */
export function expectLatents(actual: Float32Array, expected: number[]): void {
  const scale = Math.max(...expected.map(Math.abs));
  let maxDiff = 0;
  actual.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - expected[i]))));
  expect(maxDiff / scale).toBeLessThan(1e-4);
}

/** The decoded image's sum (relative 1e-5) and first 16 values (4 decimals). */
export function expectImage(actual: Float32Array, ref: Reference): void {
  const sum = actual.reduce((a, b) => a + b, 0);
  expect(Math.abs(sum - ref.image_sum) / ref.image_sum).toBeLessThan(1e-5);
  Array.from(actual.subarray(0, 16)).forEach((v, i) => expect(v).toBeCloseTo(ref.image_first_16[i], 4));
}
