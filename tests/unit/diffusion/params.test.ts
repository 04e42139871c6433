import { describe, expect, it } from 'vitest';
import { InvalidParamsError } from '@/lib/errors';
import * as checkInputsModule from '@/lib/diffusion/check-inputs';
import {
  checkInputs,
  clampParam,
  CONTROL_DEFAULTS,
  DEFAULT_PARAMS,
  DEFAULT_STRENGTH,
  inputRange,
  MAX_SEED,
  NUMERIC_PARAMS,
  PARAM_LIMITS,
  paramProblem,
  sanitizeParams,
  SCHEDULER_NAMES,
  TIMESTEP_SPACINGS,
  type GenerateParams,
  type NumericParam,
} from '@/lib/diffusion/params';
import { SCHEDULER_NAMES as SCHEDULERS_FROM_REGISTRY } from '@/lib/diffusion/schedulers';
import { TIMESTEP_SPACINGS as SPACINGS_FROM_SCHEDULERS } from '@/lib/diffusion/schedulers/common';
import { CONDITIONING_INPUTS, CONTROL_MIN_GAP } from '@/components/ConditioningControls';
import { SAMPLER_INPUTS } from '@/components/SamplerControls';
import { sideOptions } from '@/components/SizeControls';
import { DEFAULT_SETTINGS, restoreSettings } from '@/stores/settings';
import { USAGE, parseCliArgs } from '@/cli/args';

const base: GenerateParams = { ...DEFAULT_PARAMS, prompt: 'a red circle', seed: 1 };

/** The InvalidParamsError checkInputs throws for `patch`, or null. */
function failure(patch: Partial<Record<keyof GenerateParams, unknown>>, vaeScale = 8): InvalidParamsError | null {
  try {
    checkInputs({ ...base, ...patch } as GenerateParams, vaeScale);
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidParamsError);
    return e as InvalidParamsError;
  }
}

/** Values just outside each limit (and a fractional one where only integers are allowed). */
function outside(param: NumericParam): number[] {
  const l = PARAM_LIMITS[param];
  const size = param === 'width' || param === 'height';
  const below = l.minExclusive ? l.min : l.integer ? l.min - (size ? l.step : 1) : l.min - l.step;
  // 2^53 − 1 + 1 is not safe but is a distinct double (2^53); + 2 would round to it too.
  const above = l.integer ? l.max + (size ? l.step : 1) : l.max + l.step;
  const fractional = l.integer ? [l.min + 0.5] : [];
  return [below, above, ...fractional, Number.NaN, Number.POSITIVE_INFINITY];
}

describe('PARAM_LIMITS', () => {
  it('is the table the studio, CLI and engine share', () => {
    expect(PARAM_LIMITS).toEqual({
      seed: { min: 0, max: Number.MAX_SAFE_INTEGER, step: 1, integer: true },
      steps: { min: 1, max: 1000, step: 1, integer: true },
      guidanceScale: { min: 0, max: 20, step: 0.1, integer: false },
      guidanceRescale: { min: 0, max: 1, step: 0.05, integer: false },
      width: { min: 8, max: 2048, step: 8, integer: true },
      height: { min: 8, max: 2048, step: 8, integer: true },
      controlScale: { min: 0, max: 2, step: 0.05, integer: false },
      controlStart: { min: 0, max: 1, step: 0.05, integer: false },
      controlEnd: { min: 0, max: 1, step: 0.05, integer: false },
      strength: { min: 0, max: 1, step: 0.05, integer: false, minExclusive: true },
    });
    expect(MAX_SEED).toBe(2 ** 53 - 1);
    expect(Object.isFrozen(PARAM_LIMITS)).toBe(true);
    expect(Object.isFrozen(DEFAULT_PARAMS)).toBe(true);
  });

  it('re-exports the enums of lib/diffusion/schedulers', () => {
    expect(SCHEDULER_NAMES).toBe(SCHEDULERS_FROM_REGISTRY);
    expect(TIMESTEP_SPACINGS).toBe(SPACINGS_FROM_SCHEDULERS);
  });

  it('check-inputs.ts is a thin re-export of params.ts', () => {
    expect(checkInputsModule.checkInputs).toBe(checkInputs);
    expect(checkInputsModule.PARAM_LIMITS).toBe(PARAM_LIMITS);
    expect(checkInputsModule.InvalidParamsError).toBe(InvalidParamsError);
    expect(CONTROL_DEFAULTS).toEqual({ controlScale: 1, controlStart: 0, controlEnd: 1 });
    expect(DEFAULT_STRENGTH).toBe(0.75);
  });
});

describe('checkInputs', () => {
  it('accepts the defaults, and every limit itself', () => {
    expect(failure({})).toBeNull();
    expect(() => checkInputs(DEFAULT_PARAMS)).not.toThrow();
    for (const param of NUMERIC_PARAMS) {
      const l = PARAM_LIMITS[param];
      const { min } = inputRange(param);
      const atMin = param === 'controlEnd' ? { controlStart: 0, controlEnd: min + l.step } : { [param]: min };
      const atMax = param === 'controlStart' ? { controlStart: l.max - l.step, controlEnd: l.max } : { [param]: l.max };
      expect(failure(atMin), `${param} = ${JSON.stringify(atMin)}`).toBeNull();
      expect(failure(atMax), `${param} = ${JSON.stringify(atMax)}`).toBeNull();
    }
  });

  it('enforces every limit in the table, naming the parameter and the value', () => {
    for (const param of NUMERIC_PARAMS) {
      for (const v of outside(param)) {
        const e = failure({ [param]: v });
        expect(e, `${param} = ${v} was accepted`).not.toBeNull();
        expect(e!.param).toBe(param);
        expect(e!.message).toContain(param);
        expect(e!.message).toContain(`(got ${v})`);
      }
    }
  });

  it('says the range: integers and exclusive bounds in full, floats the bound crossed', () => {
    expect(failure({ steps: 0 })!.message).toBe('steps must be an integer in 1…1000 (got 0)');
    expect(failure({ steps: 1001 })!.message).toBe('steps must be an integer in 1…1000 (got 1001)');
    expect(failure({ steps: 2.5 })!.message).toBe('steps must be an integer in 1…1000 (got 2.5)');
    expect(failure({ seed: -1 })!.message).toBe('seed must be an integer in 0…2^53 − 1 (9007199254740991) (got -1)');
    expect(failure({ seed: 2 ** 53 })!.message).toMatch(/seed must be an integer in 0…2\^53 − 1 \(9007199254740991\) \(got 9007199254740992\)/);
    expect(failure({ guidanceScale: 20.1 })!.message).toBe('guidanceScale must be ≤ 20 (got 20.1)');
    expect(failure({ guidanceScale: -0.1 })!.message).toBe('guidanceScale must be ≥ 0 (got -0.1)');
    expect(failure({ guidanceRescale: 1.5 })!.message).toBe('guidanceRescale must be ≤ 1 (got 1.5)');
    expect(failure({ controlScale: -1 })!.message).toBe('controlScale must be ≥ 0 (got -1)');
    expect(failure({ controlScale: 2.5 })!.message).toBe('controlScale must be ≤ 2 (got 2.5)');
    expect(failure({ strength: 0 })!.message).toBe('strength must be in (0, 1] (got 0)');
    expect(failure({ strength: 1.01 })!.message).toBe('strength must be in (0, 1] (got 1.01)');
    expect(failure({ guidanceScale: '7' })!.message).toBe('guidanceScale must be a number in 0…20 (got "7")');
  });

  it("checks width/height against the model's factor, then the table", () => {
    expect(failure({ width: 65 })!.message).toBe('width must be a positive multiple of 8 (got 65)');
    expect(failure({ height: 0 })).toMatchObject({ param: 'height', message: 'height must be a positive multiple of 8 (got 0)' });
    expect(failure({ width: 68 }, 4)).toBeNull();
    expect(failure({ width: 4 }, 4)!.message).toBe('width must be an integer in 8…2048 (got 4)');
    expect(failure({ width: 2056 })!.message).toBe('width must be an integer in 8…2048 (got 2056)');
  });

  it('checks the enums, the strings and the ControlNet window', () => {
    expect(failure({ scheduler: 'lms' })).toMatchObject({
      param: 'scheduler',
      message: expect.stringMatching(/unknown scheduler "lms" \(one of default, ddim/),
    });
    expect(failure({ timestepSpacing: 'uniform' })).toMatchObject({
      param: 'timestepSpacing',
      message: 'timestepSpacing must be one of leading, trailing, linspace (got "uniform")',
    });
    for (const s of TIMESTEP_SPACINGS) expect(failure({ timestepSpacing: s })).toBeNull();
    expect(failure({ prompt: 3 })).toMatchObject({ param: 'prompt', message: 'prompt must be a string (got 3)' });
    expect(failure({ negativePrompt: null })).toMatchObject({ param: 'negativePrompt' });
    expect(failure({ controlStart: 0.6, controlEnd: 0.4 })).toMatchObject({
      param: 'controlStart',
      message: 'controlStart (0.6) must be below controlEnd (0.4)',
    });
    expect(failure({ controlStart: 0.5, controlEnd: 0.5 })).not.toBeNull();
    expect(failure({ controlEnd: 0 })).not.toBeNull(); // below the default start 0
  });
});

describe('clampParam', () => {
  it('gives the nearest allowed value', () => {
    expect(clampParam('steps', -5)).toBe(1);
    expect(clampParam('steps', 2.4)).toBe(2);
    expect(clampParam('steps', 5000)).toBe(1000);
    expect(clampParam('width', 65)).toBe(64);
    expect(clampParam('width', 69)).toBe(72);
    expect(clampParam('width', 1)).toBe(8);
    expect(clampParam('guidanceScale', 25)).toBe(20);
    expect(clampParam('strength', 0)).toBe(0.05);
    expect(clampParam('seed', 2 ** 60)).toBe(MAX_SEED);
    expect(clampParam('guidanceScale', Number.NaN)).toBe(DEFAULT_PARAMS.guidanceScale);
  });

  it('always lands inside the table', () => {
    for (const param of NUMERIC_PARAMS) {
      for (const v of [...outside(param), -1e9, 1e9, 0.123]) expect(paramProblem(param, clampParam(param, v)), `${param} ${v}`).toBeNull();
    }
  });
});

describe('sanitizeParams', () => {
  it('keeps a valid input as it is', () => {
    const good = {
      ...base,
      steps: 33,
      guidanceScale: 4.25,
      scheduler: 'euler' as const,
      timestepSpacing: 'trailing' as const,
      width: 512,
      height: 768,
      controlScale: 0.8,
      controlStart: 0.1,
      controlEnd: 0.9,
      strength: 0.3,
    };
    expect(sanitizeParams(good)).toEqual({ params: good, dropped: [] });
  });

  it('fills missing fields from the defaults (or the given fallback) without reporting them', () => {
    expect(sanitizeParams({})).toEqual({ params: { ...DEFAULT_PARAMS }, dropped: [] });
    expect(sanitizeParams({ steps: 8 }, { ...DEFAULT_PARAMS, steps: 4, guidanceScale: 1 }).params).toMatchObject({ steps: 8, guidanceScale: 1 });
  });

  it('repairs each bad field, keeps the good ones, and lists what it changed', () => {
    const input = {
      prompt: 'kept',
      negativePrompt: 42,
      seed: -3,
      steps: -5,
      guidanceScale: 'high',
      guidanceRescale: 0.7,
      scheduler: 'lms',
      timestepSpacing: 'uniform',
      width: 65,
      height: 1e6,
      controlScale: Number.NaN,
      controlStart: 0.2,
      controlEnd: 0.6,
      strength: 0,
    };
    const { params, dropped } = sanitizeParams(input);
    expect(params).toEqual({
      prompt: 'kept',
      negativePrompt: DEFAULT_PARAMS.negativePrompt,
      seed: 0,
      steps: 1,
      guidanceScale: DEFAULT_PARAMS.guidanceScale,
      guidanceRescale: 0.7,
      scheduler: DEFAULT_PARAMS.scheduler,
      width: 64,
      height: 2048,
      controlScale: DEFAULT_PARAMS.controlScale,
      controlStart: 0.2,
      controlEnd: 0.6,
      strength: inputRange('strength').min,
    });
    expect(params).not.toHaveProperty('timestepSpacing');
    expect(dropped.map((d) => d.param).sort()).toEqual(
      ['negativePrompt', 'seed', 'steps', 'guidanceScale', 'scheduler', 'timestepSpacing', 'width', 'height', 'controlScale', 'strength'].sort(),
    );
    expect(dropped.find((d) => d.param === 'steps')).toEqual({
      param: 'steps',
      value: -5,
      replacement: 1,
      reason: 'steps must be an integer in 1…1000 (got -5)',
    });
    expect(dropped.find((d) => d.param === 'width')).toMatchObject({ value: 65, replacement: 64 });
    expect(() => checkInputs(params)).not.toThrow();
  });

  it('resets an empty ControlNet window to the defaults', () => {
    const { params, dropped } = sanitizeParams({ controlStart: 0.8, controlEnd: 0.3 });
    expect([params.controlStart, params.controlEnd]).toEqual([0, 1]);
    expect(dropped).toHaveLength(1);
  });

  it('never throws, whatever it is given', () => {
    for (const junk of [null, 5, 'x', [], [1, 2], () => 1, { steps: {} }, { width: [64] }, { scheduler: { toString: () => 'ddim' } }]) {
      const { params } = sanitizeParams(junk);
      expect(() => checkInputs(params)).not.toThrow();
    }
    expect(sanitizeParams(null).dropped).toEqual([expect.objectContaining({ param: 'params', reason: 'not an object' })]);
    expect(sanitizeParams(undefined).dropped).toEqual([]);
  });
});

describe('the studio reads its limits and defaults from the table', () => {
  it('sampler inputs', () => {
    for (const key of ['guidanceScale', 'steps', 'seed', 'guidanceRescale'] as const) {
      expect(SAMPLER_INPUTS[key]).toEqual({ min: PARAM_LIMITS[key].min, max: PARAM_LIMITS[key].max, step: PARAM_LIMITS[key].step });
    }
    const sd = { native: { width: 512, height: 512 }, fixed: null };
    expect(sideOptions(sd, 'width', 512)).toEqual([384, 448, 512, 576, 640, 704, 768]);
    // A custom value stays in the menu (marked custom there).
    expect(sideOptions(sd, 'width', 96)).toEqual([96, 384, 448, 512, 576, 640, 704, 768]);
    expect(sideOptions(null, 'height', 64)).toEqual([64]);
  });

  it('conditioning sliders (strength starts one step above its excluded 0)', () => {
    for (const key of ['controlScale', 'controlStart', 'controlEnd'] as const) {
      expect(CONDITIONING_INPUTS[key]).toEqual({ min: PARAM_LIMITS[key].min, max: PARAM_LIMITS[key].max, step: PARAM_LIMITS[key].step });
    }
    expect(CONDITIONING_INPUTS.strength).toEqual({ min: PARAM_LIMITS.strength.step, max: 1, step: PARAM_LIMITS.strength.step });
    expect(CONTROL_MIN_GAP).toBe(PARAM_LIMITS.controlStart.step);
  });

  it('settings start from DEFAULT_PARAMS', () => {
    for (const key of [
      'prompt',
      'negativePrompt',
      'seed',
      'steps',
      'guidanceScale',
      'guidanceRescale',
      'scheduler',
      'width',
      'height',
      'controlScale',
      'controlStart',
      'controlEnd',
      'strength',
    ] as const) {
      expect(DEFAULT_SETTINGS[key]).toBe(DEFAULT_PARAMS[key]);
    }
  });

  it('settings restored from localStorage go through the sanitizer', () => {
    const saved = {
      ...DEFAULT_SETTINGS,
      steps: -5,
      width: 65,
      guidanceScale: 7,
      seedMode: 'sometimes',
      backend: 'webgpu',
      liveMode: 'yes',
      prompt: 'a cat',
      batchCount: 5,
    };
    const { settings, dropped } = restoreSettings(saved);
    expect(settings).toEqual({ ...DEFAULT_SETTINGS, steps: 1, width: 64, guidanceScale: 7, backend: 'webgpu', prompt: 'a cat' });
    expect(dropped.map((d) => d.param).sort()).toEqual(['batchCount', 'liveMode', 'seedMode', 'steps', 'width']);
    expect(restoreSettings({ batchCount: 4 }).settings.batchCount).toBe(4);
    expect(restoreSettings('garbage').settings).toEqual(DEFAULT_SETTINGS);
  });
});

describe('the CLI validates with the same messages and lists the table in --help', () => {
  const argv = (...extra: string[]) => ['--model', 'm', '--prompt', 'p', '--out', 'o.png', '--seed', '1', ...extra];
  const defaults = { steps: 4, guidance: 7.5, width: 64, height: 64 };

  it('parses valid flags', () => {
    const { params } = parseCliArgs(argv('--guidance', '3', '--strength', '0.5'), defaults);
    expect(params).toMatchObject({ seed: 1, steps: 4, guidanceScale: 3, width: 64, height: 64, strength: 0.5, guidanceRescale: 0 });
    expect(params).not.toHaveProperty('controlScale');
    expect(() => checkInputs(params)).not.toThrow();
  });

  it('refuses out-of-range flags with the engine message', () => {
    expect(() => parseCliArgs(argv('--steps', '0'), defaults)).toThrow('--steps: steps must be an integer in 1…1000 (got 0)');
    expect(() => parseCliArgs(argv('--guidance', '25'), defaults)).toThrow('--guidance: guidanceScale must be ≤ 20 (got 25)');
    expect(() => parseCliArgs(argv('--strength', '0'), defaults)).toThrow('--strength: strength must be in (0, 1] (got 0)');
    expect(() => parseCliArgs(argv('--width', '4096'), defaults)).toThrow('--width: width must be an integer in 8…2048 (got 4096)');
    expect(() => parseCliArgs(argv('--control-scale', '3'), defaults)).toThrow('--control-scale: controlScale must be ≤ 2 (got 3)');
    expect(() => parseCliArgs(argv('--control-start', '0.7', '--control-end', '0.2'), defaults)).toThrow(
      '--control-start (0.7) must be below --control-end (0.2)',
    );
    expect(() => parseCliArgs(argv('--steps', 'many'), defaults)).toThrow('--steps must be a number (got "many")');
    expect(() => parseCliArgs(argv('--scheduler', 'lms'), defaults)).toThrow(/--scheduler must be one of/);
    expect(() => parseCliArgs(argv('--timestep-spacing', 'uniform'), defaults)).toThrow(/--timestep-spacing must be one of leading, trailing, linspace/);
  });

  it("repairs the model's recommendations rather than refusing flags the user never gave", () => {
    expect(parseCliArgs(argv(), { ...defaults, steps: 5000, guidance: 30 }).params).toMatchObject({ steps: 1000, guidanceScale: 20 });
  });

  it('--help names every numeric flag with its range from the table', () => {
    expect(USAGE).toContain('--steps             integer 1…1000');
    expect(USAGE).toContain('--guidance          number 0…20');
    expect(USAGE).toContain('--seed              integer 0…2^53 − 1 (9007199254740991)');
    expect(USAGE).toContain('--strength          number (0, 1]; default 0.75');
    expect(USAGE).toContain('in 8…2048');
    for (const name of SCHEDULER_NAMES) expect(USAGE).toContain(name);
  });
});
