/**
 * Timestep schedules derived by hand from diffusers 0.27.2's `set_timesteps` code, to
 * catch off-by-one and rounding slips (numpy rounds half to even; leading spacing adds
 * steps_offset; PLMS repeats its second timestep).
 */
import { describe, expect, it } from 'vitest';
import { DDIMScheduler } from '@/lib/diffusion/schedulers/ddim';
import { DDPMScheduler } from '@/lib/diffusion/schedulers/ddpm';
import { DPMSolverMultistepScheduler } from '@/lib/diffusion/schedulers/dpmpp-2m';
import { EulerAncestralDiscreteScheduler } from '@/lib/diffusion/schedulers/euler-ancestral';
import { EulerDiscreteScheduler } from '@/lib/diffusion/schedulers/euler';
import { LCMScheduler } from '@/lib/diffusion/schedulers/lcm';
import { PNDMScheduler } from '@/lib/diffusion/schedulers/pndm';
import type { Scheduler } from '@/lib/diffusion/schedulers/types';
import { readFixture, type InputsFixture } from './helpers';

/** SD 1.5's scheduler_config.json (PNDMScheduler, as on the Hub). */
const SD15 = readFixture<InputsFixture>('inputs').sd15_config;

function ts(s: Scheduler, n: number): number[] {
  s.setTimesteps(n);
  return [...s.timesteps];
}

/** [from, from − step, …] down to `to` inclusive. */
function down(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let t = from; t >= to; t -= step) out.push(t);
  return out;
}

describe('PNDM (PLMS) timesteps', () => {
  const plms = () => new PNDMScheduler({ ...SD15, _class_name: 'PNDMScheduler' });

  it('SD 1.5, 20 steps: leading + steps_offset 1, second timestep repeated (21 entries)', () => {
    // _timesteps = [1, 51, …, 951]; concat(ts[:-1], ts[-2:-1], ts[-1:])[::-1]
    expect(ts(plms(), 20)).toEqual([951, 901, 901, ...down(851, 1, 50)]);
    expect(ts(plms(), 20)).toHaveLength(21);
  });

  it('SD 1.5, 50, 4 and 1 steps', () => {
    expect(ts(plms(), 50)).toEqual([981, 961, 961, ...down(941, 1, 20)]);
    expect(ts(plms(), 4)).toEqual([751, 501, 501, 251, 1]);
    expect(ts(plms(), 1)).toEqual([1]);
  });

  it('trailing and linspace spacing', () => {
    expect(ts(new PNDMScheduler({ ...SD15, timestep_spacing: 'trailing' }), 4)).toEqual([999, 749, 749, 499, 249]);
    expect(ts(new PNDMScheduler({ ...SD15, timestep_spacing: 'linspace' }), 4)).toEqual([999, 666, 666, 333, 0]);
  });

  it('PRK warm-up (skip_prk_steps false): diffusers test_steps_offset', () => {
    const s = new PNDMScheduler({ beta_schedule: 'linear', steps_offset: 1 });
    expect(ts(s, 10)).toEqual([901, 851, 851, 801, 801, 751, 751, 701, 701, 651, 651, 601, 601, 501, 401, 301, 201, 101, 1]);
  });

  it('PRK needs at least 4 steps', () => {
    expect(() => new PNDMScheduler({ skip_prk_steps: false }).setTimesteps(3)).toThrow(/at least 4 steps/);
  });
});

describe('DDIM / DDPM timesteps', () => {
  it('SD 1.5 leading with steps_offset 1', () => {
    const ddim = new DDIMScheduler(SD15);
    expect(ts(ddim, 20)).toEqual(down(951, 1, 50));
    expect(ts(ddim, 4)).toEqual([751, 501, 251, 1]);
    expect(ts(ddim, 1)).toEqual([1]);
    expect(ts(new DDPMScheduler(SD15), 20)).toEqual(down(951, 1, 50));
  });

  it('diffusers test_steps_offset: 5 steps, offset 1', () => {
    expect(ts(new DDIMScheduler({ steps_offset: 1 }), 5)).toEqual([801, 601, 401, 201, 1]);
  });

  it('leading without offset ends at 0', () => {
    expect(ts(new DDIMScheduler({}), 4)).toEqual([750, 500, 250, 0]);
  });

  it('trailing starts at T−1 and rounds half to even (16 steps of 62.5)', () => {
    const s = new DDIMScheduler({ ...SD15, timestep_spacing: 'trailing' });
    expect(ts(s, 4)).toEqual([999, 749, 499, 249]);
    // 937.5 → 938, 812.5 → 812, 687.5 → 688, 562.5 → 562, … (Math.round would give 813, 563, …)
    expect(ts(s, 16)).toEqual([999, 937, 874, 811, 749, 687, 624, 561, 499, 437, 374, 311, 249, 187, 124, 61]);
    expect(ts(new DDPMScheduler({ timestep_spacing: 'trailing' }), 16)[1]).toBe(937);
  });

  it('linspace spans 0..T−1 without offset and rounds half to even', () => {
    const s = new DDIMScheduler({ ...SD15, timestep_spacing: 'linspace' });
    expect(ts(s, 4)).toEqual([999, 666, 333, 0]);
    // 166.5 → 166, 499.5 → 500, 832.5 → 832
    expect(ts(s, 7)).toEqual([999, 832, 666, 500, 333, 166, 0]);
  });

  it('rejects more steps than train timesteps, and unknown spacings', () => {
    expect(() => new DDIMScheduler({}).setTimesteps(1001)).toThrow(/cannot be larger than num_train_timesteps 1000/);
    expect(() => new DDIMScheduler({ timestep_spacing: 'karras' as never })).toThrow(
      'DDIMScheduler does not support timestep_spacing "karras" (leading, trailing, linspace)',
    );
  });
});

describe('Euler timesteps and sigmas', () => {
  it('leading (SD 1.5 with offset): integer-valued floats, init sigma sqrt(σ_max²+1)', () => {
    const s = new EulerDiscreteScheduler({ ...SD15, timestep_spacing: 'leading' });
    expect(ts(s, 4)).toEqual([751, 501, 251, 1]);
    const sMax = s.sigmas[0];
    expect(s.initNoiseSigma).toBeCloseTo(Math.sqrt(sMax * sMax + 1), 6);
    expect(s.sigmas).toHaveLength(5);
    expect(s.sigmas[4]).toBe(0);
  });

  it('linspace (the Euler default) keeps fractional float32 timesteps; init sigma is σ_max', () => {
    const s = new EulerDiscreteScheduler(SD15);
    const t = ts(s, 20);
    expect(t[0]).toBe(999);
    expect(t[1]).toBe(946.4210815429688); // float32(999·18/19)
    expect(t[18]).toBe(52.578948974609375); // float32(999/19)
    expect(t[19]).toBe(0);
    expect(s.initNoiseSigma).toBe(s.sigmas[0]);
    // diffusers' np.linspace(0, 999, 1) is [0]: one linspace step sits at t = 0
    expect(ts(s, 1)).toEqual([0]);
  });

  it('trailing for Euler and Euler a', () => {
    expect(ts(new EulerDiscreteScheduler({ ...SD15, timestep_spacing: 'trailing' }), 4)).toEqual([999, 749, 499, 249]);
    expect(ts(new EulerAncestralDiscreteScheduler({ ...SD15, timestep_spacing: 'trailing' }), 4)).toEqual([999, 749, 499, 249]);
    expect(ts(new EulerAncestralDiscreteScheduler({ ...SD15, timestep_spacing: 'leading' }), 4)).toEqual([751, 501, 251, 1]);
  });

  it('Karras sigmas run from the ends of the interpolated schedule, timesteps fractional and descending', () => {
    const s = new EulerDiscreteScheduler({ ...SD15, use_karras_sigmas: true });
    const t = ts(s, 10);
    const plain = new EulerDiscreteScheduler(SD15);
    plain.setTimesteps(10);
    expect(s.sigmas[0]).toBeCloseTo(plain.sigmas[0], 5);
    expect(s.sigmas[9]).toBeCloseTo(plain.sigmas[9], 6);
    expect(t[0]).toBeCloseTo(999, 3);
    expect(t[9]).toBeCloseTo(0, 3);
    expect(t.some((v) => !Number.isInteger(v))).toBe(true);
    for (let i = 1; i < t.length; i++) expect(t[i]).toBeLessThan(t[i - 1]);
  });

  it('step finds its index from the timestep on the first call, then counts', () => {
    const s = new EulerDiscreteScheduler(SD15);
    s.setTimesteps(10);
    const x = new Float32Array([1, 2]);
    const eps = new Float32Array([0, 0]);
    // start mid-schedule like img2img without set_begin_index
    const t3 = s.timesteps[3];
    const out = s.step(eps, t3, x);
    // eps = 0 → x0 = x → derivative 0: prev = x; but the next step must use index 4
    expect(Array.from(out.prevSample)).toEqual([1, 2]);
    const scaled = s.scaleModelInput(x, s.timesteps[4]);
    expect(scaled[0]).toBeCloseTo(1 / Math.sqrt(s.sigmas[4] ** 2 + 1), 6);
    expect(() => new EulerDiscreteScheduler(SD15).step(eps, 123.456, x)).toThrow(/timestep 123.456 is not in the schedule/);
  });
});

describe('DPM-Solver multistep timesteps', () => {
  it('linspace / leading / trailing before sigma conversion', () => {
    expect(ts(new DPMSolverMultistepScheduler({ ...SD15, timestep_spacing: 'linspace' }), 4)).toEqual([999, 749, 500, 250]);
    expect(ts(new DPMSolverMultistepScheduler({ ...SD15, timestep_spacing: 'leading' }), 4)).toEqual([801, 601, 401, 201]);
    expect(ts(new DPMSolverMultistepScheduler({ ...SD15, timestep_spacing: 'trailing' }), 4)).toEqual([999, 749, 499, 249]);
  });

  it('Karras timesteps are rounded sigma_to_t and may repeat; a repeated timestep resolves to its second occurrence', () => {
    const s = new DPMSolverMultistepScheduler({ ...SD15, use_karras_sigmas: true });
    const t = ts(s, 50);
    expect(t.slice(-4)).toEqual([2, 1, 1, 0]);
    // img2img entering at t = 1 uses the second 1 (index 48), as diffusers' index_for_timestep
    const zero = new Float32Array(1);
    const one = new Float32Array([1]);
    const noised = s.addNoise(zero, one, 1);
    const sigma = s.sigmas[48];
    expect(noised[0]).toBeCloseTo(sigma / Math.sqrt(sigma * sigma + 1), 6);
    expect(s.sigmas[48]).not.toBe(s.sigmas[47]);
  });

  it('lambda_min_clipped cuts the top of the schedule', () => {
    const full = ts(new DPMSolverMultistepScheduler({ ...SD15, timestep_spacing: 'linspace' }), 10);
    const clipped = ts(new DPMSolverMultistepScheduler({ ...SD15, timestep_spacing: 'linspace', lambda_min_clipped: -2 }), 10);
    expect(full[0]).toBe(999);
    expect(clipped[0]).toBeLessThan(999);
  });
});

describe('LCM timesteps', () => {
  it('a strided subset of [19, 39, …, 999] (original_inference_steps 50), spacing and offset ignored', () => {
    const s = new LCMScheduler(SD15);
    expect(ts(s, 4)).toEqual([999, 759, 499, 259]);
    expect(ts(s, 1)).toEqual([999]);
    expect(ts(s, 50)).toEqual(down(999, 19, 20));
    expect(ts(new LCMScheduler({ ...SD15, timestep_spacing: 'trailing', steps_offset: 0 }), 4)).toEqual([999, 759, 499, 259]);
  });

  it('img2img strength shortens the distillation schedule', () => {
    const s = new LCMScheduler(SD15);
    s.setTimesteps(4, { strength: 0.5 });
    // origin [19 … 499] (25 entries), indices floor(linspace(0, 25, 4, endpoint=False)) = [0, 6, 12, 18]
    expect([...s.timesteps]).toEqual([499, 379, 259, 139]);
  });

  it('rejects more steps than original_inference_steps', () => {
    expect(() => new LCMScheduler(SD15).setTimesteps(51)).toThrow(/smaller than numInferenceSteps 51/);
  });
});
