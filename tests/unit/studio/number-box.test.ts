import { describe, expect, it } from 'vitest';
import { commitNumber, typedNumber } from '@/components/fields';

describe('number box rules', () => {
  it('uses an allowed value while typing, waits on empty, partial or out-of-range text', () => {
    expect(typedNumber('steps', '')).toBeNull();
    expect(typedNumber('steps', '3')).toBe(3);
    expect(typedNumber('steps', '30')).toBe(30);
    expect(typedNumber('steps', '5000')).toBeNull();
    expect(typedNumber('steps', '2.5')).toBeNull();
    expect(typedNumber('guidanceScale', '7.')).toBe(7);
    expect(typedNumber('guidanceScale', '-')).toBeNull();
  });

  it('on leaving the box: clamps with a note naming the rule, keeps the current value for no number', () => {
    expect(commitNumber('steps', '30', 20)).toEqual({ value: 30, note: null });
    expect(commitNumber('steps', '5000', 20)).toEqual({ value: 1000, note: 'steps must be an integer in 1…1000 (got 5000): set to 1000' });
    expect(commitNumber('steps', '', 20)).toEqual({ value: 20, note: 'steps needs a number: kept 20' });
    expect(commitNumber('steps', '0', 20).value).toBe(1);
    expect(commitNumber('guidanceScale', '1e9', 7.5)).toEqual({ value: 20, note: 'guidanceScale must be ≤ 20 (got 1000000000): set to 20' });
    expect(commitNumber('seed', '-1', 5).note).toMatch(/seed must be an integer in 0…2\^53 − 1/);
    // The audit: 2^53 was refused with "≥ 0"; it names the upper bound and keeps the largest exact seed.
    expect(commitNumber('seed', '9007199254740992', 5)).toEqual({
      value: 9007199254740991,
      note: 'seed must be an integer in 0…2^53 − 1 (9007199254740991) (got 9007199254740992): set to 9007199254740991',
    });
  });
});

describe('number box with a tighter limit (the model or sampler)', () => {
  it('waits while typing past it, and applies it on leaving the box', () => {
    expect(typedNumber('steps', '999', 999)).toBe(999);
    expect(typedNumber('steps', '1000', 999)).toBeNull();
    expect(commitNumber('steps', '1000', 20, 999)).toEqual({ value: 999, note: 'steps must be ≤ 999 here (got 1000): set to 999' });
    expect(commitNumber('steps', '5000', 20, 999).value).toBe(999);
    expect(commitNumber('steps', '50', 20, 999)).toEqual({ value: 50, note: null });
  });
});
