/** numpy-semantics helpers and the float32 tables of lib/diffusion/schedulers/common.ts. */
import { describe, expect, it } from 'vitest';
import {
  alphasCumprodOf,
  karrasSigmas,
  makeBetas,
  npArange,
  npInterp,
  npLinspace,
  rescaleZeroTerminalSnr,
  roundHalfEven,
  sigmaToT,
  sigmasFromAlphasCumprod,
  withDefaults,
} from '@/lib/diffusion/schedulers/common';
import { expectClose, readFixture, type InputsFixture } from './helpers';

const inputs = readFixture<InputsFixture>('inputs');

describe('numpy helpers', () => {
  it('roundHalfEven is np.round', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, 937.5, 812.5].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, 3, 938, 812]);
  });

  it('npArange matches np.arange lengths and values for float steps', () => {
    expect(npArange(1000, 0, -250)).toEqual([1000, 750, 500, 250]);
    expect(npArange(1000, 0, -1000 / 3)).toHaveLength(3);
    expect(npArange(1000, 0, -1000 / 3)[2]).toBeCloseTo(333.3333333, 6);
    expect(npArange(0, 0, 1)).toEqual([]);
  });

  it('npLinspace matches np.linspace, including num = 1 and endpoint = false', () => {
    expect(npLinspace(0, 999, 1)).toEqual([0]);
    expect(npLinspace(0, 999, 4)).toEqual([0, 333, 666, 999]);
    expect(npLinspace(0, 50, 4, false)).toEqual([0, 12.5, 25, 37.5]);
    expect(npLinspace(0, 1, 3)).toEqual([0, 0.5, 1]);
  });

  it('npInterp clamps at the ends and interpolates linearly', () => {
    const xp = [0, 1, 2];
    const fp = [10, 20, 40];
    expect([-1, 0, 0.5, 1.5, 2, 3].map((x) => npInterp(x, xp, fp))).toEqual([10, 10, 15, 30, 40, 40]);
  });
});

describe('tables', () => {
  const sd = inputs.sd15_config as { num_train_timesteps: number; beta_start: number; beta_end: number; beta_schedule: string };

  it('SD 1.5 alphas_cumprod equal diffusers float32 values (spot checks)', () => {
    const ac = alphasCumprodOf(makeBetas('Test', sd));
    const picked = Array.from(ac).filter((_, i) => i % 37 === 0 || i === 999);
    expectClose(picked, inputs.alphas_cumprod_every_37, 1e-6, 'alphas_cumprod');
  });

  it('sigmas and sigmaToT invert each other at integer timesteps', () => {
    const sigmas = sigmasFromAlphasCumprod(alphasCumprodOf(makeBetas('Test', sd)));
    expect(sigmas[999]).toBeCloseTo(14.614645, 5);
    expect(sigmas[0]).toBeCloseTo(0.0291675, 6);
    const logs = sigmas.map((s) => Math.fround(Math.log(s)));
    for (const t of [0, 1, 250, 500.5, 998, 999]) {
      const s = t % 1 ? Math.sqrt(sigmas[Math.floor(t)] * sigmas[Math.ceil(t)]) : sigmas[t];
      expect(sigmaToT(s, logs)).toBeCloseTo(t, 3);
    }
    // below σ_min and above σ_max the result is clamped to [0, T−1]
    expect(sigmaToT(1e-3, logs)).toBe(0);
    expect(sigmaToT(100, logs)).toBe(999);
  });

  it('karrasSigmas runs from σ_max to σ_min', () => {
    const k = karrasSigmas(0.03, 14.6, 5);
    expect(k[0]).toBeCloseTo(14.6, 10);
    expect(k[4]).toBeCloseTo(0.03, 10);
    // one step: np.linspace(0, 1, 1) = [0], so only σ_max
    expect(karrasSigmas(0.03, 14.6, 1)).toHaveLength(1);
    expect(karrasSigmas(0.03, 14.6, 1)[0]).toBeCloseTo(14.6, 10);
  });

  it('rescale_zero_terminal_snr makes ᾱ_T zero and keeps ᾱ_0', () => {
    const betas = makeBetas('Test', sd);
    const ac = alphasCumprodOf(betas);
    const rescaled = alphasCumprodOf(rescaleZeroTerminalSnr(betas));
    expect(rescaled[999]).toBe(0);
    expect(rescaled[0]).toBeCloseTo(ac[0], 6);
  });

  it('withDefaults keeps unknown keys and sets _class_name', () => {
    const c = withDefaults('X', { foo: 1, steps_offset: null } as never, { steps_offset: 0 });
    expect(c).toMatchObject({ foo: 1, steps_offset: 0, _class_name: 'X' });
  });
});
