import { describe, expect, it } from 'vitest';
import { benchHref, benchPlan, cfgGuidance, clampSteps, configsFor, optionsFromQuery, optionValue } from '@/components/bench/plan';
import { benchControlImage } from '@/components/bench/control-image';

describe('bench plan', () => {
  it('runs CFG only where the family has an unconditional pass, ControlNet only with one', () => {
    expect(configsFor({ classifierFreeGuidance: true, hasControlNet: true })).toEqual(['cfg', 'no-cfg', 'controlnet']);
    expect(configsFor({ classifierFreeGuidance: false, hasControlNet: false })).toEqual(['no-cfg']);
    expect(configsFor({ classifierFreeGuidance: true, hasControlNet: false }, ['cfg', 'controlnet'])).toEqual(['cfg']);
  });
  it('runs one cold run of each, then interleaves the warm repeats (A B A B …)', () => {
    expect(benchPlan(['cfg', 'no-cfg'], 2)).toEqual([
      { config: 'cfg', cold: true },
      { config: 'no-cfg', cold: true },
      { config: 'cfg', cold: false },
      { config: 'no-cfg', cold: false },
      { config: 'cfg', cold: false },
      { config: 'no-cfg', cold: false },
    ]);
  });
  it('reads ?steps=, ?repeats= (clamped) and ?configs=, ignoring what is unusable', () => {
    expect(optionsFromQuery('?steps=4&repeats=2&configs=cfg,bogus')).toEqual({ steps: 4, repeats: 2, configs: ['cfg'] });
    expect(optionsFromQuery('?steps=abc&repeats=&configs=')).toEqual({ steps: 10, repeats: 3, configs: null });
    expect(optionValue('steps', '0')).toBe(1);
    expect(optionValue('repeats', '1e9')).toBe(50);
    expect(optionValue('steps', '2.6')).toBe(3);
  });
  it('keeps the steps within the sampler limits, and CFG guidance above 1', () => {
    expect(clampSteps(10, { min: 1, max: 4 })).toBe(4);
    expect(clampSteps(10, undefined)).toBe(10);
    expect([cfgGuidance(5), cfgGuidance(1), cfgGuidance(0)]).toEqual([5, 7.5, 7.5]);
  });
  it('links from the studio keeping only the model and backend asked for', () => {
    expect(benchHref('?model=%2Fmodels%2Ftiny%2F&backend=wasm&test-hooks=1')).toBe('/bench?model=%2Fmodels%2Ftiny%2F&backend=wasm');
    expect(benchHref('')).toBe('/bench');
  });
});

describe('bench control image', () => {
  it('is a white outline on black, as a sketch reaches the ControlNet', () => {
    const img = benchControlImage(64, 64);
    expect(img.data.length).toBe(64 * 64 * 4);
    const white = Array.from({ length: 64 * 64 }, (_, i) => img.data[i * 4]).filter((v) => v === 255).length;
    expect(white).toBeGreaterThan(50);
    expect(white).toBeLessThan(400);
    expect(img.data[(32 * 64 + 32) * 4]).toBe(0); // the centre stays black
    expect(img.data[3]).toBe(255);
  });
});
