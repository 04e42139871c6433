import { describe, expect, it } from 'vitest';
import { applyGuidance, rescaleGuidance } from '@/lib/diffusion/guidance';

describe('classifier-free guidance', () => {
  const uncond = Float32Array.from([0, 1, -1, 2]);
  const cond = Float32Array.from([1, 1, 1, -2]);

  it('is eps_uncond + g·(eps_cond − eps_uncond)', () => {
    expect(Array.from(applyGuidance(uncond, cond, 7.5))).toEqual([7.5, 1, 14, -28]);
  });

  it('g = 1 returns the conditional prediction and g = 0 the unconditional one', () => {
    expect(Array.from(applyGuidance(uncond, cond, 1))).toEqual(Array.from(cond));
    expect(Array.from(applyGuidance(uncond, cond, 0))).toEqual(Array.from(uncond));
  });

  it('rejects halves of different length', () => {
    expect(() => applyGuidance(uncond, cond.subarray(1), 2)).toThrow(/length 4 ≠ 3/);
  });
});

describe('guidance rescale (Lin et al. 2023)', () => {
  const guided = Float32Array.from([4, -4, 8, 0]);
  const cond = Float32Array.from([1, -1, 2, 0]);

  it('φ = 0 leaves the prediction untouched', () => {
    expect(rescaleGuidance(guided, cond, 0)).toBe(guided);
  });

  it('φ = 1 matches the std of the text-conditioned prediction', () => {
    const out = rescaleGuidance(guided, cond, 1);
    // guided = 4·cond, so rescaling divides by 4 exactly.
    expect(Array.from(out)).toEqual([1, -1, 2, 0]);
  });

  it('φ blends linearly between both', () => {
    const out = rescaleGuidance(guided, cond, 0.7);
    expect(out[0]).toBeCloseTo(0.7 * 1 + 0.3 * 4, 6);
    expect(out[2]).toBeCloseTo(0.7 * 2 + 0.3 * 8, 6);
  });
});
