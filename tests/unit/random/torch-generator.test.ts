import { describe, expect, it } from 'vitest';
import { TorchGenerator } from '../../../lib/random/torch-generator';
import type { NoiseSource } from '../../../lib/random/noise-source';
// Copied from the shared reference randn.json (torch 1.13 CPU generator).
import ref from '../../fixtures/random/torch-randn.json';
// Produced by real torch; the fixture's `command` holds the Python that made it:
//   torch.randn(shape, generator=torch.Generator('cpu').manual_seed(seed), dtype=torch.float32)
import live from '../../fixtures/random/torch-live.json';

// torch's AVX2 kernel uses float32 log/sin/cos approximations; double math is within ~1.5e-6.
const TOL = 3e-6;

function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function expectClose(actual: ArrayLike<number>, expected: number[], tol = TOL): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    // The fixtures print 9 significant digits, which round-trips float32: tol 0 = bit-exact.
    const d = Math.abs(actual[i] - Math.fround(expected[i]));
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  expect(worst, `max |diff| at index ${at}`).toBeLessThanOrEqual(tol);
}

function sums(x: Float32Array): { sum: number; sumsq: number } {
  let sum = 0;
  let sumsq = 0;
  for (const v of x) {
    sum += v;
    sumsq += v * v;
  }
  return { sum, sumsq };
}

function seedOf(s: number): number | bigint {
  // JSON holds 2**53-1 exactly; keep a bigint path covered too.
  return s > 2 ** 32 ? BigInt(s) : s;
}

describe('TorchGenerator.randn vs torch reference (randn.json)', () => {
  for (const c of ref.randn) {
    const n = numel(c.shape);
    it(`seed ${c.seed} shape [${c.shape.join(',')}] (${n < 16 ? 'serial' : n % 16 ? 'blocked + tail redo' : 'blocked'})`, () => {
      const x = new TorchGenerator(seedOf(c.seed)).randn(n);
      expect(x.length).toBe(c.numel);
      if ('data' in c && c.data) {
        // n < 16 is double math with one rounding in torch too: exact to float32.
        expectClose(x, c.data as number[], n < 16 ? 0 : TOL);
      } else {
        const cc = c as unknown as { first64: number[]; last64: number[] };
        expectClose(x.subarray(0, 64), cc.first64);
        expectClose(x.subarray(n - 64), cc.last64);
      }
      const { sum, sumsq } = sums(x);
      expect(Math.abs(sum - c.sum_f64)).toBeLessThan(1e-6 * n);
      expect(Math.abs(sumsq - c.sumsq_f64)).toBeLessThan(1e-5 * n);
    });
  }
});

describe('TorchGenerator stream continuation (consecutive draws)', () => {
  ref.consecutive.forEach((c, k) => {
    const label = c.draws.map((d) => `[${d.shape.join(',')}]`).join(' then ');
    it(`#${k} seed ${c.seed}: ${label}`, () => {
      const g = new TorchGenerator(c.seed);
      for (const d of c.draws) {
        const n = numel(d.shape);
        expectClose(g.randn(n), d.data, n < 16 ? 0 : TOL);
      }
    });
  });

  it('the cached normal of an odd serial draw survives a >=16 draw', () => {
    // randn(3) leaves a cached sin-half; randn(20) must not touch it; randn(1) returns it.
    const g = new TorchGenerator(42);
    const a = g.randn(3);
    g.randn(20);
    const c = g.randn(1);
    const h = new TorchGenerator(42);
    const b = h.randn(4); // 4th value of a fresh serial draw is that cached sin-half
    expect(Array.from(a)).toEqual(Array.from(b.subarray(0, 3)));
    expect(c[0]).toBe(b[3]);
  });

  it('manualSeed clears the cached normal', () => {
    const g = new TorchGenerator(42);
    const first = g.randn(3);
    g.manualSeed(42);
    expect(Array.from(g.randn(3))).toEqual(Array.from(first));
    expect(g.seed).toBe(42);
  });
});

describe('TorchGenerator vs real torch (torch-live.json)', () => {
  for (const c of live.cases) {
    it(`seed ${c.seed} shape [${c.shape.join(',')}]`, () => {
      const n = numel(c.shape);
      expect(n).toBe(c.numel);
      const x = new TorchGenerator(seedOf(c.seed)).randn(n);
      const k = Math.min(16, n);
      expectClose(x.subarray(0, k), c.first16.slice(0, k), n < 16 ? 0 : TOL);
      expectClose(x.subarray(n - k), c.last16.slice(c.last16.length - k), n < 16 ? 0 : TOL);
      const { sum, sumsq } = sums(x);
      expect(Math.abs(sum - c.sum_f64)).toBeLessThan(1e-6 * n);
      expect(Math.abs(sumsq - c.sumsq_f64)).toBeLessThan(1e-5 * n);
    });
  }
});

describe('TorchGenerator.rand', () => {
  it('equals torch.rand float32 exactly', () => {
    for (const c of ref.rand) {
      const x = new TorchGenerator(c.seed).rand(numel(c.shape));
      expectClose(x, c.data, 0);
    }
  });

  it('draws one word per element, values in [0, 1)', () => {
    const x = new TorchGenerator(3).rand(5000);
    for (const v of x) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });
});

describe('TorchGenerator API', () => {
  it('is a NoiseSource and handles n = 0', () => {
    const g: NoiseSource = new TorchGenerator(1);
    expect(g.randn(0)).toEqual(new Float32Array(0));
  });

  it('rejects bad counts and seeds with RangeError', () => {
    const g = new TorchGenerator(1);
    expect(() => g.randn(-1)).toThrow(RangeError);
    expect(() => g.randn(2.5)).toThrow(RangeError);
    expect(() => g.rand(Number.NaN)).toThrow(RangeError);
    expect(() => new TorchGenerator(-5)).toThrow(RangeError);
  });

  it('seed 2^53-1 (number) and 2^32-1 give the same stream, as in torch', () => {
    const a = new TorchGenerator(Number.MAX_SAFE_INTEGER).randn(40);
    const b = new TorchGenerator(2 ** 32 - 1).randn(40);
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});
