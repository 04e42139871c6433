import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidParamsError } from '@/lib/errors';
import { checkSteps, stepLimitsFor } from '@/lib/diffusion/params';
import { generate } from '@/lib/diffusion/pipeline';
import { loadPipeline } from '@/lib/diffusion/load-pipeline';
import { createScheduler, maxSteps, SCHEDULER_NAMES, stepLimits, stepsProblem, type SchedulerName } from '@/lib/diffusion/schedulers';
import { loadModelFolder } from '@/lib/models/load-folder';
import { fakeSessionFactory } from '../../helpers/fake-sessions';
import { dirSource } from '../../helpers/dir-source';

const zeros = { randn: (n: number) => new Float32Array(n) };

/** Runs the whole loop on one latent with a dummy model: null when it ran to finite values, else what broke. */
function runLoop(name: SchedulerName, config: Record<string, unknown>, n: number): string | null {
  try {
    const s = createScheduler(name, config);
    s.setTimesteps(n);
    let x: Float32Array = new Float32Array([0.5]);
    for (const t of s.timesteps) {
      const input = s.scaleModelInput(x, t);
      x = s.step(new Float32Array([0.1 * input[0] + 0.01]), t, x, zeros as never).prevSample;
      if (!Number.isFinite(x[0])) return `non-finite latent after t=${t}`;
    }
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

const sdConfig = (folder: string) => JSON.parse(readFileSync(`models/fixtures/${folder}/scheduler/scheduler_config.json`, 'utf8')) as Record<string, unknown>;
/** The fixtures' configs: DDIM leading + steps_offset 1 (tiny-sd), PLMS (float-t), LCM, Euler trailing (sd-turbo). */
const FOLDERS = ['tiny-sd', 'tiny-sd-float-t', 'replicas/optimum-lcm-dreamshaper', 'replicas/optimum-sd-turbo'];

describe('step limits: the max runs, max + 1 is refused', () => {
  for (const folder of FOLDERS) {
    for (const name of SCHEDULER_NAMES) {
      it(`${folder} · ${name}`, () => {
        const config = sdConfig(folder);
        const max = maxSteps(name, config);
        expect(max).toBeGreaterThan(0);
        expect(stepsProblem(name, config, max)).toBeNull();
        expect(runLoop(name, config, max)).toBeNull();
        expect(stepsProblem(name, config, max + 1)).toMatch(new RegExp(`cannot run ${max + 1} steps: .*runs (at most |\\d+…)${max} steps`));
        expect(stepLimits(name, config).max).toBe(max);
      });
    }
  }

  it('SD 1.x DDIM (leading, steps_offset 1): 999, and 1000 named as the audit saw it fail', () => {
    const config = sdConfig('tiny-sd');
    expect(maxSteps('ddim', config)).toBe(999);
    expect(runLoop('ddim', config, 1000)).toMatch(/timestep 1000 is not an integer in \[0, 999\]/);
    expect(stepsProblem('ddim', config, 1000)).toBe(
      'DDIM (DDIMScheduler) cannot run 1000 steps: timestep_spacing "leading" with steps_offset 1 puts a timestep at 1000, past num_train_timesteps − 1 = 999 (with this model\'s scheduler config it runs at most 999 steps)',
    );
    expect(maxSteps('pndm', config)).toBe(999);
    expect(maxSteps('ddpm', config)).toBe(999);
    expect(maxSteps('euler', config)).toBe(1000);
    expect(maxSteps('lcm', config)).toBe(50); // LCMScheduler's original_inference_steps default
    expect(maxSteps('dpmpp-2m', config)).toBe(998); // 999 and 1000 repeat a timestep
    expect(maxSteps('dpmpp-2m-karras', config)).toBe(1000);
  });

  it("LCM: ≤ original_inference_steps from the folder's config", () => {
    const config = { ...sdConfig('replicas/optimum-lcm-dreamshaper'), original_inference_steps: 8 };
    expect(maxSteps('default', config)).toBe(8);
    expect(runLoop('default', config, 9)).toMatch(/original_inference_steps/);
  });

  it('PNDM with the PRK warm-up needs at least 4 steps', () => {
    const config = { ...sdConfig('tiny-sd-float-t'), skip_prk_steps: false };
    expect(stepLimits('default', config)).toMatchObject({ min: 4, max: 999 });
    expect(stepsProblem('default', config, 3)).toMatch(/PRK warm-up .* at least 4 steps .*runs 4…999 steps/);
  });

  it('trailing spacing: the counts diffusers turns into n + 1 timesteps are refused where a −1 would index ᾱ', () => {
    const config = { ...sdConfig('tiny-sd'), timestep_spacing: 'trailing' };
    const limits = stepLimits('ddim', config);
    expect(limits.max).toBe(1000);
    expect(limits.gaps).toContain(61);
    expect(runLoop('ddim', config, 61)).toMatch(/timestep -1/);
    expect(stepsProblem('ddim', config, 61)).toMatch(/makes 62 timesteps for 61 steps/);
    // Euler interpolates sigmas: the extra timestep runs, as in diffusers
    expect(stepsProblem('euler', config, 61)).toBeNull();
  });
});

describe('stepsProblem agrees with running the loop, for every count and scheduler (T = 100)', () => {
  const base = { num_train_timesteps: 100, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', clip_sample: false, set_alpha_to_one: false };
  const configs: Array<Record<string, unknown>> = [];
  for (const cls of ['DDIMScheduler', 'PNDMScheduler', 'LCMScheduler']) {
    for (const spacing of ['leading', 'trailing', 'linspace']) {
      for (const offset of [0, 1, 3])
        configs.push({ ...base, _class_name: cls, timestep_spacing: spacing, steps_offset: offset, original_inference_steps: 20 });
    }
  }
  configs.push({ ...base, _class_name: 'PNDMScheduler', skip_prk_steps: false, steps_offset: 1 });
  for (const config of configs) {
    it(`${String(config._class_name)} ${String(config.timestep_spacing ?? 'prk')} offset ${String(config.steps_offset)}`, () => {
      const disagreements: string[] = [];
      for (const name of SCHEDULER_NAMES) {
        // diffusers' rule refuses more than num_train_timesteps even where a loop would run
        if (stepsProblem(name, config, 101) === null) disagreements.push(`${name} 101: allowed`);
        for (let n = 1; n <= 100; n++) {
          const refused = stepsProblem(name, config, n) !== null;
          const broke = runLoop(name, config, n);
          if (refused !== (broke !== null)) disagreements.push(`${name} ${n}: refused ${refused}, loop ${broke ?? 'ran'}`);
        }
      }
      expect(disagreements).toEqual([]);
    });
  }
});

describe('checkSteps and generate()', () => {
  it('throws a typed InvalidParamsError naming steps, the scheduler and the limit', () => {
    const config = sdConfig('tiny-sd');
    let caught: unknown;
    try {
      checkSteps({ steps: 1000, scheduler: 'ddim' }, config);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidParamsError);
    expect((caught as InvalidParamsError).code).toBe('invalid-params');
    expect((caught as InvalidParamsError).param).toBe('steps');
    expect((caught as Error).message).toMatch(/^steps 1000: DDIM \(DDIMScheduler\) cannot run 1000 steps: .*at most 999 steps\)$/);
    expect(() => checkSteps({ steps: 999, scheduler: 'ddim' }, config)).not.toThrow();
  });

  it("applies the run's timestepSpacing over the folder's", () => {
    const config = sdConfig('tiny-sd');
    expect(stepLimitsFor({ scheduler: 'ddim' }, config).max).toBe(999);
    expect(stepLimitsFor({ scheduler: 'ddim', timestepSpacing: 'linspace' }, config).max).toBe(1000);
    expect(() => checkSteps({ steps: 1000, scheduler: 'ddim', timestepSpacing: 'linspace' }, config)).not.toThrow();
  });

  it('generate() refuses steps the scheduler cannot run before any session runs', async () => {
    const factory = fakeSessionFactory();
    const models = await loadPipeline(await loadModelFolder(dirSource('models/fixtures/tiny-sd')), factory);
    const params = { prompt: 'a', negativePrompt: '', seed: 1, guidanceScale: 7.5, guidanceRescale: 0, width: 64, height: 64 };
    for (const [scheduler, steps] of [
      ['ddim', 1000],
      ['pndm', 1000],
      ['ddpm', 1000],
      ['dpmpp-2m', 999],
      ['lcm', 51],
    ] as const) {
      const run = generate(models, { ...params, scheduler, steps });
      await expect(run).rejects.toBeInstanceOf(InvalidParamsError);
      await expect(run).rejects.toMatchObject({ code: 'invalid-params', param: 'steps' });
    }
    expect(factory.runs).toEqual([]);
  });
});
