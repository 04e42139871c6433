import { describe, expect, it } from 'vitest';
import { progressAfter } from '@/lib/diffusion/progress';

describe('progressAfter: steps, not model calls', () => {
  it('order 1: every entry is a step', () => {
    expect([0, 1, 2].map((i) => progressAfter(i, 3, 1))).toEqual([1, 2, 3].map((step) => ({ step, totalSteps: 3 })));
  });
  it('Heun (order 2, 2N − 1 entries): the predictor calls report nothing, the last entry ends step N', () => {
    const N = 4;
    const reported = Array.from({ length: 2 * N - 1 }, (_, i) => progressAfter(i, 2 * N - 1, 2));
    expect(reported.map((p) => p?.step ?? null)).toEqual([null, 1, null, 2, null, 3, 4]);
    expect(reported.every((p) => p === null || p.totalSteps === N)).toBe(true);
  });
  it('Heun img2img keeps an odd tail: still ends on the last step', () => {
    expect([0, 1, 2].map((i) => progressAfter(i, 3, 2)?.step ?? null)).toEqual([null, 1, 2]);
  });
});
