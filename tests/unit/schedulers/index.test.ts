/** createScheduler: 'default' by _class_name, class switching with from_config semantics, labels, errors. */
import { describe, expect, it } from 'vitest';
import {
  SCHEDULER_CLASS_NAMES,
  SCHEDULER_LABELS,
  SCHEDULER_NAMES,
  SUPPORTED_SCHEDULER_CLASSES,
  createScheduler,
  isSchedulerName,
  schedulerLabel,
  type SchedulerName,
} from '@/lib/diffusion/schedulers';
import { DDIMScheduler } from '@/lib/diffusion/schedulers/ddim';
import { InvalidParamsError } from '@/lib/errors';
import { EulerDiscreteScheduler } from '@/lib/diffusion/schedulers/euler';
import { expectClose, readFixture, type InputsFixture, type ReferenceFixture } from './helpers';

const SD15: Record<string, unknown> = {
  _class_name: 'PNDMScheduler',
  _diffusers_version: '0.6.0',
  ...readFixture<InputsFixture>('inputs').sd15_config,
};

function without(config: Record<string, unknown>, key: string): Record<string, unknown> {
  const out = { ...config };
  delete out[key];
  return out;
}

describe('names and labels', () => {
  it('every name has a label and (except default) a class', () => {
    expect(SCHEDULER_NAMES).toEqual([
      'default',
      'ddim',
      'ddpm',
      'pndm',
      'euler',
      'euler-ancestral',
      'dpmpp-2m',
      'dpmpp-2m-karras',
      'lcm',
      'heun',
      'dpmpp-2m-sde-karras',
      'vp-sde',
      'pf-ode',
    ]);
    for (const name of SCHEDULER_NAMES) {
      expect(SCHEDULER_LABELS[name]).toBeTruthy();
      if (name !== 'default') expect(SUPPORTED_SCHEDULER_CLASSES).toContain(SCHEDULER_CLASS_NAMES[name]);
    }
    expect(SCHEDULER_LABELS['euler-ancestral']).toBe('Euler a');
    expect(SCHEDULER_LABELS['dpmpp-2m-karras']).toBe('DPM++ 2M Karras');
    expect(isSchedulerName('euler')).toBe(true);
    expect(isSchedulerName('lms')).toBe(false);
  });

  it('each named scheduler reports its label through schedulerLabel', () => {
    for (const name of SCHEDULER_NAMES.filter((n): n is Exclude<SchedulerName, 'default' | 'pndm'> => n !== 'default' && n !== 'pndm')) {
      expect(schedulerLabel(createScheduler(name, SD15)), name).toBe(SCHEDULER_LABELS[name]);
    }
    // SD 1.5's own PNDM config has skip_prk_steps: true, i.e. PLMS
    expect(schedulerLabel(createScheduler('default', SD15))).toBe('PLMS');
    expect(schedulerLabel(createScheduler('pndm', SD15))).toBe('PLMS');
    expect(schedulerLabel(createScheduler('pndm', { ...SD15, skip_prk_steps: false }))).toBe('PNDM');
    const sde = createScheduler('default', {
      ...SD15,
      _class_name: 'DPMSolverMultistepScheduler',
      algorithm_type: 'sde-dpmsolver++',
      use_karras_sigmas: true,
    });
    expect(schedulerLabel(sde)).toBe('DPM++ 2M SDE Karras');
  });
});

describe("createScheduler('default')", () => {
  it('builds the config class', () => {
    expect(createScheduler('default', SD15).name).toBe('PNDMScheduler');
    for (const cls of SUPPORTED_SCHEDULER_CLASSES) {
      expect(createScheduler('default', { ...SD15, _class_name: cls }).name).toBe(cls);
    }
  });

  it('names an unsupported class precisely', () => {
    expect(() => createScheduler('default', { ...SD15, _class_name: 'LMSDiscreteScheduler' })).toThrow(
      /scheduler class "LMSDiscreteScheduler" is not supported \(supported: DDIMScheduler, DDPMScheduler, PNDMScheduler, EulerDiscreteScheduler, EulerAncestralDiscreteScheduler, DPMSolverMultistepScheduler, LCMScheduler, HeunDiscreteScheduler, VPSDEEulerMaruyamaScheduler, ProbabilityFlowODEEulerScheduler\)/,
    );
    expect(() => createScheduler('default', without(SD15, '_class_name'))).toThrow(/has no _class_name/);
    // typed, so the worker reports invalid-params (the user can pick a named sampler)
    expect(() => createScheduler('default', { ...SD15, _class_name: 'toString' })).toThrow(InvalidParamsError);
    expect(() => createScheduler('default', without(SD15, '_class_name'))).toThrow(InvalidParamsError);
  });

  it('rejects unknown names', () => {
    expect(() => createScheduler('lms' as SchedulerName, SD15)).toThrow(/unknown scheduler name "lms"/);
    expect(() => createScheduler('lms' as SchedulerName, SD15)).toThrow(InvalidParamsError);
  });
});

describe('switching class keeps the config keys the target knows (from_config)', () => {
  it("'euler' from SD 1.5: scaled_linear betas and steps_offset kept, Euler's own default spacing (linspace)", () => {
    const s = createScheduler('euler', SD15);
    expect(s.name).toBe('EulerDiscreteScheduler');
    expect(s.config._class_name).toBe('EulerDiscreteScheduler');
    expect(s.config.beta_schedule).toBe('scaled_linear');
    expect(s.config.beta_start).toBe(0.00085);
    expect(s.config.steps_offset).toBe(1);
    expect(s.config.timestep_spacing).toBe('linspace');
    s.setTimesteps(4);
    expect(s.timesteps[0]).toBe(999);
    expect(s.initNoiseSigma).toBeCloseTo(14.6146, 3);
  });

  it("'dpmpp-2m-karras' from SD 1.5 is the reference DPM++ 2M Karras schedule", () => {
    const ref = readFixture<ReferenceFixture>('dpmpp2m_karras');
    for (const run of ref.runs) {
      const s = createScheduler('dpmpp-2m-karras', SD15) as unknown as { sigmas: number[] } & ReturnType<typeof createScheduler>;
      s.setTimesteps(run.num_inference_steps);
      expect([...s.timesteps]).toEqual(run.timesteps);
      expectClose(s.sigmas, run.sigmas as number[], 1e-6, 'sigmas');
    }
  });

  it("'ddim' from SD 1.5 is SD's DDIM (leading, offset 1, no clipping, ᾱ_0 at the end)", () => {
    const s = createScheduler('ddim', SD15);
    expect(s.config.clip_sample).toBe(false);
    expect(s.config.set_alpha_to_one).toBe(false);
    s.setTimesteps(4);
    expect([...s.timesteps]).toEqual([751, 501, 251, 1]);
  });

  it('a config without a key gets the target class default (DDIM clips by default)', () => {
    const noClip = without(SD15, 'clip_sample');
    expect(createScheduler('ddim', noClip).config.clip_sample).toBe(true);
    expect(createScheduler('lcm', SD15).config.set_alpha_to_one).toBe(false);
    expect(createScheduler('lcm', noClip).config.original_inference_steps).toBe(50);
  });

  it('keys listed in _use_default_values are treated as absent', () => {
    const saved = { ...SD15, timestep_spacing: 'leading', _use_default_values: ['timestep_spacing'] };
    expect(createScheduler('euler', saved).config.timestep_spacing).toBe('linspace');
    expect(createScheduler('euler', { ...SD15, timestep_spacing: 'leading' }).config.timestep_spacing).toBe('leading');
  });

  it('the name fixes the sampler: dpmpp-2m is DPM-Solver++ order 2 midpoint without Karras, euler without Karras', () => {
    const dpmCfg = {
      ...SD15,
      _class_name: 'DPMSolverMultistepScheduler',
      algorithm_type: 'sde-dpmsolver++',
      solver_order: 3,
      solver_type: 'heun',
      use_karras_sigmas: true,
    };
    const plain = createScheduler('dpmpp-2m', dpmCfg);
    expect([plain.config.algorithm_type, plain.config.solver_order, plain.config.solver_type, plain.config.use_karras_sigmas]).toEqual([
      'dpmsolver++',
      2,
      'midpoint',
      false,
    ]);
    expect(createScheduler('dpmpp-2m-karras', SD15).config.use_karras_sigmas).toBe(true);
    expect(createScheduler('euler', { ...SD15, use_karras_sigmas: true }).config.use_karras_sigmas).toBe(false);
    expect(createScheduler('default', { ...dpmCfg, solver_order: 2 }).config.algorithm_type).toBe('sde-dpmsolver++');
  });

  it('passes eta to DDIM', () => {
    expect((createScheduler('ddim', SD15, { eta: 0.5 }) as DDIMScheduler).eta).toBe(0.5);
    expect((createScheduler('ddim', SD15) as DDIMScheduler).eta).toBe(0);
  });
});

describe('config validation', () => {
  it('fills class defaults, treating null as absent where the default is not null', () => {
    const s = new EulerDiscreteScheduler({ timestep_spacing: null as never, sigma_min: null });
    expect(s.config.timestep_spacing).toBe('linspace');
    expect(s.config.sigma_min).toBeNull();
    expect(s.config.num_train_timesteps).toBe(1000);
    expect(new DDIMScheduler({ steps_offset: 0 }).config.steps_offset).toBe(0);
  });

  it('errors name the class, the key and the allowed values', () => {
    expect(() => createScheduler('ddim', { ...SD15, beta_schedule: 'cosine' as never })).toThrow(
      'DDIMScheduler does not support beta_schedule "cosine" (linear, scaled_linear, squaredcos_cap_v2)',
    );
    expect(() => createScheduler('euler', { ...SD15, prediction_type: 'flow' as never })).toThrow(
      /EulerDiscreteScheduler does not support prediction_type "flow" \(epsilon, v_prediction, sample, original_sample\)/,
    );
    expect(() => createScheduler('ddpm', { ...SD15, variance_type: 'learned_range' })).toThrow(/DDPMScheduler does not support variance_type "learned_range"/);
    expect(() => createScheduler('ddim', { ...SD15, thresholding: true })).toThrow(/thresholding true .* is not supported/);
    expect(() => createScheduler('euler', { ...SD15, num_train_timesteps: 10.5 })).toThrow(
      'EulerDiscreteScheduler: num_train_timesteps must be an integer >= 2, got 10.5',
    );
    expect(() => createScheduler('default', { ...SD15, _class_name: 'DPMSolverMultistepScheduler', algorithm_type: 'dpmsolver' })).toThrow(
      /final_sigmas_type "zero" is not supported for algorithm_type "dpmsolver"/,
    );
    expect(() => createScheduler('ddim', { ...SD15, trained_betas: 'x' as never })).toThrow(/trained_betas must be null or an array of numbers/);
  });

  it('trained_betas replaces the schedule; squaredcos_cap_v2 and sigmoid (DDPM) build', () => {
    const betas = Array.from({ length: 1000 }, (_, i) => 0.0001 + (i * 0.02) / 1000);
    const s = new DDIMScheduler({ trained_betas: betas });
    expect(s.alphasCumprod[0]).toBeCloseTo(1 - 0.0001, 7);
    const cos = new DDIMScheduler({ beta_schedule: 'squaredcos_cap_v2' });
    expect(cos.alphasCumprod[999]).toBeLessThan(1e-4);
    expect(() => new DDIMScheduler({ beta_schedule: 'sigmoid' as never })).toThrow('DDIMScheduler does not support beta_schedule "sigmoid"');
    expect(createScheduler('ddpm', { ...SD15, beta_schedule: 'sigmoid' as never }).name).toBe('DDPMScheduler');
  });
});

describe("'pndm' picked from another class's config", () => {
  const ddim = {
    _class_name: 'DDIMScheduler',
    num_train_timesteps: 1000,
    beta_start: 0.00085,
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
    steps_offset: 1,
  };
  it('is PLMS (skip_prk_steps), as its menu label says, and runs with few steps', () => {
    const s = createScheduler('pndm', ddim);
    expect(s.config.skip_prk_steps).toBe(true);
    s.setTimesteps(3);
    expect(s.timesteps).toEqual([667, 334, 334, 1]);
  });
  it("keeps a PNDM config's own choice", () => {
    const s = createScheduler('pndm', { ...ddim, _class_name: 'PNDMScheduler', skip_prk_steps: false });
    expect(s.config.skip_prk_steps).toBe(false);
  });
});
