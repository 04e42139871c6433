import { describe, expect, it } from 'vitest';
import { MT19937, seedLow32 } from '../../../lib/random/mt19937';
import ref from '../../fixtures/random/torch-randn.json';

describe('MT19937', () => {
  it('matches std::mt19937 default seed: 10000th output is 4123659995 (C++ [rand.predef])', () => {
    const mt = new MT19937(5489);
    let v = 0;
    for (let i = 0; i < 10000; i++) v = mt.nextU32();
    expect(v).toBe(4123659995);
  });

  it('matches the first raw words torch draws for seed 42', () => {
    const mt = new MT19937(42);
    const words = Array.from({ length: 5 }, () => mt.nextU32());
    expect(words).toEqual(ref.check.raw_mt19937_first5_seed42);
  });

  it('uses only the low 32 bits of number and bigint seeds', () => {
    expect(seedLow32(0)).toBe(0);
    expect(seedLow32(2 ** 32 - 1)).toBe(0xffffffff);
    expect(seedLow32(2 ** 32 + 5)).toBe(5);
    expect(seedLow32(Number.MAX_SAFE_INTEGER)).toBe(0xffffffff);
    expect(seedLow32(2n ** 64n + 42n)).toBe(42);
    const a = new MT19937(2 ** 40 + 42);
    const b = new MT19937(42n);
    for (let i = 0; i < 700; i++) expect(a.nextU32()).toBe(b.nextU32());
  });

  it('rejects seeds it cannot represent exactly', () => {
    expect(() => new MT19937(-1)).toThrow(RangeError);
    expect(() => new MT19937(1.5)).toThrow(RangeError);
    expect(() => new MT19937(2 ** 53)).toThrow(/2\^53-1/);
    expect(() => new MT19937(Number.NaN)).toThrow(RangeError);
    expect(() => new MT19937(-3n)).toThrow(RangeError);
  });

  it('reseeding restarts the stream', () => {
    const mt = new MT19937(7);
    const first = Array.from({ length: 630 }, () => mt.nextU32());
    mt.seed(7);
    expect(Array.from({ length: 630 }, () => mt.nextU32())).toEqual(first);
  });
});
