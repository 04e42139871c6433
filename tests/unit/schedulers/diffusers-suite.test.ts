/**
 * The full-loop checks of diffusers 0.27.2's own scheduler tests (tests/schedulers/
 * test_scheduler_*.py): the dummy model `sample·t/(t+1)` on `dummy_sample_deter`
 * (4×3×8×8), and the sum / mean of |x| that diffusers asserts, with its tolerances
 * (1e-2 on sums, 1e-3 on means). Stochastic ones use `torch.manual_seed(0)`, i.e.
 * Lantern's TorchGenerator with seed 0 drawing 768 values per step.
 */
import { describe, expect, it } from 'vitest';
import { DDIMScheduler } from '@/lib/diffusion/schedulers/ddim';
import { DDPMScheduler } from '@/lib/diffusion/schedulers/ddpm';
import { DPMSolverMultistepScheduler } from '@/lib/diffusion/schedulers/dpmpp-2m';
import { EulerAncestralDiscreteScheduler } from '@/lib/diffusion/schedulers/euler-ancestral';
import { EulerDiscreteScheduler } from '@/lib/diffusion/schedulers/euler';
import { LCMScheduler } from '@/lib/diffusion/schedulers/lcm';
import { PNDMScheduler } from '@/lib/diffusion/schedulers/pndm';
import type { RawSchedulerConfig } from '@/lib/diffusion/schedulers/common';
import type { Scheduler } from '@/lib/diffusion/schedulers/types';
import { TorchGenerator } from '@/lib/random/torch-generator';
import { dummyModel, dummyNoiseDeter, dummySampleDeter, meanAbs, sumAbs } from './helpers';

function expectSums(x: Float32Array, sum: number | null, mean: number, sumTol = 1e-2): void {
  if (sum !== null) expect(Math.abs(sumAbs(x) - sum), `sum |x| = ${sumAbs(x)}, diffusers ${sum}`).toBeLessThan(sumTol);
  expect(Math.abs(meanAbs(x) - mean), `mean |x| = ${meanAbs(x)}, diffusers ${mean}`).toBeLessThan(1e-3);
}

/** The loop every diffusers scheduler test runs: scale, model, step. */
function loop(s: Scheduler, sample: Float32Array, timesteps: readonly number[], seed: number | null): Float32Array {
  const gen = seed === null ? undefined : new TorchGenerator(seed);
  let x = sample;
  for (const t of timesteps) {
    const xIn = s.scaleModelInput(x, t);
    x = s.step(dummyModel(xIn, t), t, xIn === x ? x : xIn, gen).prevSample;
  }
  return x;
}

const LINEAR = { num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' } as const;

describe('DDIM (test_scheduler_ddim.py)', () => {
  const full = (cfg: RawSchedulerConfig = {}) => {
    const s = new DDIMScheduler({ ...LINEAR, clip_sample: true, ...cfg }, { eta: 0 });
    s.setTimesteps(10);
    return loop(s, dummySampleDeter(), s.timesteps, null);
  };
  it('full loop, no noise', () => expectSums(full(), 172.0067, 0.223967));
  it('v_prediction', () => expectSums(full({ prediction_type: 'v_prediction' }), 52.5302, 0.0684));
  it('set_alpha_to_one true', () => expectSums(full({ set_alpha_to_one: true, beta_start: 0.01 }), 149.8295, 0.1951));
  it('set_alpha_to_one false', () => expectSums(full({ set_alpha_to_one: false, beta_start: 0.01 }), 149.0784, 0.1941));
  it('with noise (img2img from t_start 8)', () => {
    const s = new DDIMScheduler({ ...LINEAR, clip_sample: true });
    s.setTimesteps(10);
    const timesteps = s.timesteps.slice(8);
    const x = s.addNoise(dummySampleDeter(), dummyNoiseDeter(), timesteps[0]);
    expectSums(loop(s, x, timesteps, null), 354.5418, 0.4616);
  });
});

describe('PNDM (test_scheduler_pndm.py, PRK warm-up then PLMS)', () => {
  const full = (cfg: RawSchedulerConfig = {}) => {
    const s = new PNDMScheduler({ ...LINEAR, ...cfg });
    s.setTimesteps(10);
    return loop(s, dummySampleDeter(), s.timesteps, null);
  };
  it('full loop, no noise', () => expectSums(full(), 198.1318, 0.258));
  it('v_prediction', () => expectSums(full({ prediction_type: 'v_prediction' }), 67.3986, 0.0878));
  it('set_alpha_to_one true', () => expectSums(full({ set_alpha_to_one: true, beta_start: 0.01 }), 230.0399, 0.2995));
  it('set_alpha_to_one false', () => expectSums(full({ set_alpha_to_one: false, beta_start: 0.01 }), 186.9482, 0.2434));
});

describe('DDPM (test_scheduler_ddpm.py, 1000 ancestral steps, seed 0)', () => {
  const cfg = { ...LINEAR, variance_type: 'fixed_small', clip_sample: true };
  const allT = Array.from({ length: 1000 }, (_, i) => 999 - i);
  // diffusers steps a fresh scheduler without set_timesteps: prev_t = t − 1
  it('full loop', () => expectSums(loop(new DDPMScheduler(cfg), dummySampleDeter(), allT, 0), 258.9606, 0.3372));
  it('v_prediction', () => expectSums(loop(new DDPMScheduler({ ...cfg, prediction_type: 'v_prediction' }), dummySampleDeter(), allT, 0), 202.0296, 0.2631));
  it('with noise (timesteps [1, 0])', () => {
    const s = new DDPMScheduler(cfg);
    const timesteps = s.timesteps.slice(998);
    expect(timesteps).toEqual([1, 0]);
    const x = s.addNoise(dummySampleDeter(), dummyNoiseDeter(), timesteps[0]);
    // At t = 1 diffusers computes β_1 = 1 − ᾱ_1/ᾱ_0 ≈ 1.2e-4 in float32, a cancellation that
    // moves its coefficients by ~5e-4 relative and this sum by 0.02; float64 (here) is the
    // more accurate of the two. The next test shows the gap is only that rounding.
    expectSums(loop(s, x, timesteps, 0), 387.9466, 0.5051, 0.03);
  });
  it("with noise, redone with float32 scalar math as torch does it, gives diffusers' sum to 1e-4", () => {
    const f = Math.fround;
    const ac = new DDPMScheduler(cfg).alphasCumprod;
    const noise = dummyNoiseDeter();
    const a1 = ac[1];
    let x = dummySampleDeter().map((v, i) => f(f(f(Math.sqrt(a1)) * v) + f(f(Math.sqrt(f(1 - a1))) * noise[i])));
    const gen = new TorchGenerator(0);
    for (const t of [1, 0]) {
      const m = dummyModel(x, t);
      const aT = ac[t];
      const aPrev = t > 0 ? ac[t - 1] : 1;
      const bT = f(1 - aT);
      const bPrev = f(1 - aPrev);
      const curA = f(aT / aPrev);
      const curB = f(1 - curA);
      const c0 = f(f(f(Math.sqrt(aPrev)) * curB) / bT);
      const ct = f(f(f(Math.sqrt(curA)) * bPrev) / bT);
      const z = t > 0 ? gen.randn(x.length) : null;
      const sd = f(Math.sqrt(Math.max(f(f(bPrev / bT) * curB), 1e-20)));
      x = x.map((xi, i) => {
        const x0 = Math.min(Math.max(f(f(xi - f(f(Math.sqrt(bT)) * m[i])) / f(Math.sqrt(aT))), -1), 1);
        const mean = f(f(c0 * x0) + f(ct * xi));
        return z ? f(mean + f(sd * z[i])) : mean;
      });
    }
    expect(Math.abs(sumAbs(x) - 387.9466)).toBeLessThan(1e-4);
  });
});

describe('Euler (test_scheduler_euler.py, T = 1100, 10 steps)', () => {
  const cfg = { ...LINEAR, num_train_timesteps: 1100 };
  const full = (s: EulerDiscreteScheduler) => {
    s.setTimesteps(10);
    const x = dummySampleDeter().map((v) => v * s.initNoiseSigma);
    return loop(s, x, s.timesteps, 0);
  };
  it('full loop, no noise', () => expectSums(full(new EulerDiscreteScheduler(cfg)), 10.0807, 0.0131));
  it('v_prediction', () => expectSums(full(new EulerDiscreteScheduler({ ...cfg, prediction_type: 'v_prediction' })), 0.0002, 2.2676e-6));
  it('Karras sigmas', () => expectSums(full(new EulerDiscreteScheduler({ ...cfg, use_karras_sigmas: true })), 124.52299499511719, 0.16213932633399963));
  it('with noise (img2img from t_start 8)', () => {
    const s = new EulerDiscreteScheduler(cfg);
    s.setTimesteps(10);
    const timesteps = s.timesteps.slice(8);
    const x0 = dummySampleDeter().map((v) => v * s.initNoiseSigma);
    const x = s.addNoise(x0, dummyNoiseDeter(), timesteps[0]);
    expectSums(loop(s, x, timesteps, 0), 57062.9297, 74.3007);
  });
});

describe('Euler ancestral (test_scheduler_euler_ancestral.py, T = 1100, 10 steps, seed 0)', () => {
  const cfg = { ...LINEAR, num_train_timesteps: 1100 };
  const full = (s: EulerAncestralDiscreteScheduler) => {
    s.setTimesteps(10);
    const x = dummySampleDeter().map((v) => v * s.initNoiseSigma);
    return loop(s, x, s.timesteps, 0);
  };
  it('full loop', () => expectSums(full(new EulerAncestralDiscreteScheduler(cfg)), 152.3192, 0.1983));
  it('v_prediction', () => expectSums(full(new EulerAncestralDiscreteScheduler({ ...cfg, prediction_type: 'v_prediction' })), 108.4439, 0.1412));
  it('with noise (img2img from t_start 8)', () => {
    const s = new EulerAncestralDiscreteScheduler(cfg);
    s.setTimesteps(10);
    const timesteps = s.timesteps.slice(8);
    const x0 = dummySampleDeter().map((v) => v * s.initNoiseSigma);
    const x = s.addNoise(x0, dummyNoiseDeter(), timesteps[0]);
    expectSums(loop(s, x, timesteps, 0), 56163.0508, 73.129);
  });
});

describe('DPM-Solver multistep (test_scheduler_dpm_multi.py, 10 steps)', () => {
  const base: RawSchedulerConfig = {
    ...LINEAR,
    solver_order: 2,
    prediction_type: 'epsilon',
    thresholding: false,
    sample_max_value: 1.0,
    algorithm_type: 'dpmsolver++',
    solver_type: 'midpoint',
    lower_order_final: false,
    euler_at_final: false,
    lambda_min_clipped: null,
    variance_type: null,
    final_sigmas_type: 'sigma_min',
  };
  const full = (cfg: RawSchedulerConfig = {}, seed: number | null = null) => {
    const s = new DPMSolverMultistepScheduler({ ...base, ...cfg });
    s.setTimesteps(10);
    return loop(s, dummySampleDeter(), s.timesteps, seed);
  };
  it('full loop, no noise', () => expectSums(full(), null, 0.3301));
  it('v_prediction', () => expectSums(full({ prediction_type: 'v_prediction' }), null, 0.2251));
  it('Karras + v_prediction', () => expectSums(full({ prediction_type: 'v_prediction', use_karras_sigmas: true }), null, 0.2096));
  it('Lu lambdas + v_prediction', () => expectSums(full({ prediction_type: 'v_prediction', use_lu_lambdas: true }), null, 0.1554));
  it('with noise (img2img from t_start 5)', () => {
    const s = new DPMSolverMultistepScheduler(base);
    s.setTimesteps(10);
    const timesteps = s.timesteps.slice(5);
    const x = s.addNoise(dummySampleDeter(), dummyNoiseDeter(), timesteps[0]);
    expectSums(loop(s, x, timesteps, null), 318.4111, 0.4146);
  });
  it('every algorithm × solver type × order × prediction type runs without NaN', () => {
    for (const algorithm_type of ['dpmsolver', 'dpmsolver++', 'sde-dpmsolver', 'sde-dpmsolver++'])
      for (const solver_type of ['midpoint', 'heun'])
        for (const solver_order of [1, 2, 3])
          for (const prediction_type of ['epsilon', 'sample']) {
            if (algorithm_type.startsWith('sde-') && solver_order === 3) continue;
            const x = full({ algorithm_type, solver_type, solver_order, prediction_type }, 0);
            expect(x.some(Number.isNaN), `${algorithm_type} ${solver_type} ${solver_order} ${prediction_type}`).toBe(false);
          }
  });
});

describe('LCM (test_scheduler_lcm.py, seed 0)', () => {
  const cfg = { num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', prediction_type: 'epsilon' };
  const full = (n: number) => {
    const s = new LCMScheduler(cfg);
    s.setTimesteps(n);
    return loop(s, dummySampleDeter(), s.timesteps, 0);
  };
  // diffusers asserts these sums to 1e-3
  it('one step', () => expectSums(full(1), 18.7097, 0.0244, 1e-3));
  it('10 steps', () => expectSums(full(10), 197.7616, 0.2575, 1e-3));
});
