/**
 * The scheduler contract, in the spirit of diffusers' `SchedulerCommonTest`
 * (tests/schedulers/test_schedulers.py): every class in the registry
 * (SUPPORTED_SCHEDULER_CLASSES) runs every check below, so a class added to
 * lib/diffusion/schedulers/index.ts is covered without editing this file beyond one row of
 * CONTRACT (the class-specific facts: schedule length, scaling, supported values). A class
 * without a row fails here.
 *
 * Per class, from SD 1.5's scheduler config and variations of it (timestep_spacing,
 * steps_offset, prediction_type where the class supports it):
 * - config round trip: parseSchedulerConfig → createScheduler → scheduler.config (saved as
 *   JSON) → createScheduler gives the same timesteps, sigmas and loop result;
 * - setTimesteps(n): length, order, range, integer-ness, strict decrease, no duplicates
 *   but the ones diffusers has (PLMS), the last leading timestep = steps_offset;
 * - scaleModelInput: shape-preserving, identity or x / sqrt(σ² + 1) per class;
 *   initNoiseSigma finite and > 0 (and the class's formula);
 * - a dummy-model loop (eps = x·t/(t+1), diffusers' `dummy_model`) from seeded latents with
 *   the same seeded TorchGenerator feeding the stochastic steps, frozen as sum/mean |x|;
 * - invalid configs: unsupported beta_schedule / prediction_type / timestep_spacing,
 *   bad numbers and trained_betas are refused at load time with file, key and value named;
 *   the schedules a class supports (DDPM: sigmoid, laplace) build diffusers' betas.
 *
 * The frozen sums (tests/fixtures/schedulers/contract-sums.json) are REGRESSION values:
 * they were produced by this code, not by diffusers, and only say "nothing changed".
 * Correctness against diffusers is proven by reference.test.ts (per-step tensors from
 * diffusers 0.27.2) and diffusers-suite.test.ts (diffusers' own full-loop sums).
 * Regenerate after an intended change with
 *   UPDATE_CONTRACT=1 npx vitest run tests/unit/schedulers/contract.test.ts
 * and say in the commit why the numbers moved.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SUPPORTED_SCHEDULER_CLASSES,
  SchedulerConfigError,
  createScheduler,
  createSchedulerOfClass,
  parseSchedulerConfig,
  type Scheduler,
  type SchedulerConfig,
} from '@/lib/diffusion/schedulers';
import { InvalidParamsError, ModelFolderError } from '@/lib/errors';
import { TorchGenerator } from '@/lib/random/torch-generator';
import { dummyModel, meanAbs, readFixture, sumAbs, type InputsFixture, type ReferenceFixture } from './helpers';

const FILE = 'scheduler/scheduler_config.json';
const T = 1000;
const STEP_COUNTS = [1, 2, 4, 10, 25, 50];
/** SD 1.5's scheduler_config.json without _class_name (PNDM, scaled_linear 0.00085–0.012, steps_offset 1). */
const SD15: Record<string, unknown> = readFixture<InputsFixture>('inputs').sd15_config;

type Spacing = 'leading' | 'trailing' | 'linspace';
const SPACINGS: readonly Spacing[] = ['leading', 'trailing', 'linspace'];
const ALL_BETA_SCHEDULES = ['linear', 'scaled_linear', 'squaredcos_cap_v2', 'sigmoid', 'laplace', 'exp'];
const ALL_PREDICTION_TYPES = ['epsilon', 'v_prediction', 'sample', 'original_sample', 'flow_prediction'];
const STANDARD_BETAS = ['linear', 'scaled_linear', 'squaredcos_cap_v2'];

/** What one class promises, from reading its diffusers source. */
interface ClassContract {
  /** diffusers' `order` (model evaluations per `timesteps` entry). */
  order: number;
  /** The class's own default timestep_spacing; null when it ignores timestep_spacing and steps_offset (LCM). */
  defaultSpacing: Spacing | null;
  /** `timesteps.length` after setTimesteps(n) with SD 1.5's config (n × order unless the class says otherwise). */
  length: (n: number) => number;
  /** Indices i where diffusers' schedule has timesteps[i] === timesteps[i + 1] by design. */
  repeats: (n: number) => number[];
  /** Whether the timesteps are integers (else float32 train-time positions). */
  integerTimesteps: (spacing: Spacing) => boolean;
  /** The last timestep of a leading schedule. */
  leadingLast: (n: number, stepsOffset: number) => number;
  /** scaleModelInput: identity, or x / sqrt(σ_i² + 1) with σ_i = sigmas[step index]. */
  modelInput: 'identity' | 'sigma';
  /** 1, or Euler's max σ (linspace/trailing) / sqrt(max σ² + 1) (leading). */
  initNoiseSigma: 'one' | 'euler';
  betaSchedules: readonly string[];
  predictionTypes: readonly string[];
}

const DISCRETE: Omit<ClassContract, 'betaSchedules' | 'predictionTypes'> = {
  order: 1,
  defaultSpacing: 'leading',
  length: (n) => n,
  repeats: () => [],
  integerTimesteps: () => true,
  leadingLast: (_n, offset) => offset,
  modelInput: 'identity',
  initNoiseSigma: 'one',
};

const EULER_LIKE: Omit<ClassContract, 'predictionTypes'> = {
  order: 1,
  defaultSpacing: 'linspace',
  length: (n) => n,
  repeats: () => [],
  // linspace keeps fractional float32 positions (946.42108…), as diffusers does
  integerTimesteps: (spacing) => spacing !== 'linspace',
  leadingLast: (_n, offset) => offset,
  modelInput: 'sigma',
  initNoiseSigma: 'euler',
  betaSchedules: STANDARD_BETAS,
};

const CONTRACT: Readonly<Record<string, ClassContract>> = {
  DDIMScheduler: { ...DISCRETE, betaSchedules: STANDARD_BETAS, predictionTypes: ['epsilon', 'sample', 'v_prediction'] },
  DDPMScheduler: {
    ...DISCRETE,
    betaSchedules: [...STANDARD_BETAS, 'sigmoid', 'laplace'],
    predictionTypes: ['epsilon', 'sample', 'v_prediction'],
  },
  PNDMScheduler: {
    ...DISCRETE,
    // PLMS (skip_prk_steps): the second timestep is run twice, so n + 1 entries for n > 1
    length: (n) => (n === 1 ? 1 : n + 1),
    repeats: (n) => (n === 1 ? [] : [1]),
    betaSchedules: STANDARD_BETAS,
    predictionTypes: ['epsilon', 'v_prediction'],
  },
  EulerDiscreteScheduler: { ...EULER_LIKE, predictionTypes: ['epsilon', 'v_prediction', 'sample', 'original_sample'] },
  // diffusers raises NotImplementedError for "sample"
  EulerAncestralDiscreteScheduler: { ...EULER_LIKE, predictionTypes: ['epsilon', 'v_prediction'] },
  DPMSolverMultistepScheduler: {
    ...DISCRETE,
    defaultSpacing: 'linspace',
    // leading makes n + 1 points and drops the t = 0 side
    leadingLast: (n, offset) => Math.floor(T / (n + 1)) + offset,
    betaSchedules: STANDARD_BETAS,
    predictionTypes: ['epsilon', 'sample', 'v_prediction'],
  },
  // 2N − 1 entries: every σ but the last twice (predictor, corrector)
  HeunDiscreteScheduler: {
    ...EULER_LIKE,
    order: 2,
    length: (n) => 2 * n - 1,
    repeats: (n) => Array.from({ length: n - 1 }, (_, k) => 2 * k + 1),
    betaSchedules: [...STANDARD_BETAS, 'exp'],
    predictionTypes: ['epsilon', 'v_prediction', 'sample'],
  },
  // Lantern's score-SDE samplers: DDIM's schedule; the score −ε/√(1−ᾱ) needs epsilon prediction.
  VPSDEEulerMaruyamaScheduler: { ...DISCRETE, betaSchedules: STANDARD_BETAS, predictionTypes: ['epsilon'] },
  ProbabilityFlowODEEulerScheduler: { ...DISCRETE, betaSchedules: STANDARD_BETAS, predictionTypes: ['epsilon'] },
  LCMScheduler: {
    ...DISCRETE,
    defaultSpacing: null,
    leadingLast: () => NaN,
    betaSchedules: STANDARD_BETAS,
    predictionTypes: ['epsilon', 'sample', 'v_prediction'],
  },
};

/** Variations of SD 1.5's config; a prediction_type the class does not support is skipped. */
const VARIATIONS: Readonly<Record<string, Record<string, unknown>>> = {
  sd15: {},
  'leading-offset1': { timestep_spacing: 'leading', steps_offset: 1 },
  'leading-offset0': { timestep_spacing: 'leading', steps_offset: 0 },
  trailing: { timestep_spacing: 'trailing', steps_offset: 0 },
  linspace: { timestep_spacing: 'linspace' },
  v_prediction: { prediction_type: 'v_prediction' },
  sample: { prediction_type: 'sample' },
};

// --- frozen regression sums ------------------------------------------------------------

const SUMS_FILE = path.resolve(__dirname, '../../fixtures/schedulers/contract-sums.json');
const UPDATE = process.env.UPDATE_CONTRACT === '1';
const LOOP_STEPS = 10;
const SEED = 0;
const LATENT_SHAPE = [1, 4, 8, 8];
const NUMEL = LATENT_SHAPE.reduce((a, b) => a * b, 1);

interface Frozen {
  sumAbs: number;
  meanAbs: number;
}
interface SumsFile {
  _comment: string;
  steps: number;
  seed: number;
  shape: number[];
  sums: Record<string, Frozen>;
}
const frozen: SumsFile | null = fs.existsSync(SUMS_FILE) ? (JSON.parse(fs.readFileSync(SUMS_FILE, 'utf8')) as SumsFile) : null;
const computed: Record<string, Frozen> = {};

afterAll(() => {
  if (!UPDATE) return;
  const sorted = Object.fromEntries(
    Object.keys(computed)
      .sort()
      .map((k) => [k, computed[k]]),
  );
  const out: SumsFile = {
    _comment:
      'Regression values of tests/unit/schedulers/contract.test.ts (sum and mean of |x| after the dummy-model loop), produced by Lantern itself, not by diffusers; regenerate with UPDATE_CONTRACT=1 npx vitest run tests/unit/schedulers/contract.test.ts. Correctness vs diffusers: reference.test.ts and diffusers-suite.test.ts.',
    steps: LOOP_STEPS,
    seed: SEED,
    shape: LATENT_SHAPE,
    sums: sorted,
  };
  fs.writeFileSync(SUMS_FILE, `${JSON.stringify(out, null, 2)}\n`);
});

// --- helpers ---------------------------------------------------------------------------

function sigmasOf(s: Scheduler): readonly number[] | undefined {
  const sigmas = (s as unknown as { sigmas?: readonly number[] }).sigmas;
  return Array.isArray(sigmas) ? sigmas : undefined;
}

function configFor(className: string, variation: Record<string, unknown>): Record<string, unknown> {
  return { _class_name: className, ...SD15, ...variation };
}

function spacingOf(contract: ClassContract, config: Readonly<Record<string, unknown>>): Spacing | null {
  if (contract.defaultSpacing === null) return null;
  return (config.timestep_spacing as Spacing | undefined) ?? contract.defaultSpacing;
}

/** Catches what `fn` throws (or fails the test when it throws nothing). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return expect.fail('expected an error, none was thrown');
}

/** A load-time refusal: ModelFolderError('malformed-file') on FILE whose message names the class, key and value. */
function expectRefused(config: Record<string, unknown>, ...mentions: (string | RegExp)[]): ModelFolderError {
  const err = thrown(() => parseSchedulerConfig(FILE, config));
  expect(err).toBeInstanceOf(ModelFolderError);
  const e = err as ModelFolderError;
  expect(e.problem).toBe('malformed-file');
  expect(e.code).toBe('model-malformed');
  expect(e.file).toBe(FILE);
  expect(e.message.startsWith(`${FILE}: `), e.message).toBe(true);
  for (const m of mentions) {
    if (typeof m === 'string') expect(e.message).toContain(m);
    else expect(e.message).toMatch(m);
  }
  return e;
}

/** The pipeline's loop with diffusers' dummy model: seeded latents × initNoiseSigma, then scale / model / step. */
function runLoop(s: Scheduler, onStep?: (i: number, x: Float32Array, xIn: Float32Array) => void): Float32Array {
  const generator = new TorchGenerator(SEED);
  const sigma = Math.fround(s.initNoiseSigma);
  let x: Float32Array = generator.randn(NUMEL).map((v) => Math.fround(v * sigma));
  s.timesteps.forEach((t, i) => {
    const xIn = s.scaleModelInput(x, t);
    onStep?.(i, x, xIn);
    const out = s.step(dummyModel(xIn, t), t, x, generator);
    expect(out.prevSample.length, 'prevSample length').toBe(NUMEL);
    if (out.predOriginalSample !== null) expect(out.predOriginalSample.length, 'predOriginalSample length').toBe(NUMEL);
    x = out.prevSample;
  });
  return x;
}

function expectFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) expect.fail(`${what}: element ${i} is ${values[i]}`);
  }
}

// --- the suite -------------------------------------------------------------------------

describe('the contract table covers the registry', () => {
  it('every registered class has a CONTRACT row, and every row a registered class', () => {
    const missing = SUPPORTED_SCHEDULER_CLASSES.filter((c) => !(c in CONTRACT));
    expect(missing, `add a CONTRACT row for ${missing.join(', ')} in ${path.basename(__filename)}`).toEqual([]);
    expect(Object.keys(CONTRACT).filter((c) => !SUPPORTED_SCHEDULER_CLASSES.includes(c))).toEqual([]);
  });
});

describe.each(SUPPORTED_SCHEDULER_CLASSES)('%s', (className) => {
  const contract = CONTRACT[className];
  if (!contract) {
    it('has a contract row', () => expect.fail(`no CONTRACT row for ${className}`));
    return;
  }
  const variations = Object.entries(VARIATIONS).filter(([, v]) => {
    const p = v.prediction_type;
    return p === undefined || contract.predictionTypes.includes(p as string);
  });

  it('has the expected order', () => {
    expect(createSchedulerOfClass(className, SD15).order).toBe(contract.order);
  });

  describe.each(variations)('%s', (variation, overrides) => {
    const config = configFor(className, overrides);
    const spacing = spacingOf(contract, config);

    it('config round trip: parse → create → config (as JSON) → create gives the same scheduler', () => {
      const parsed = parseSchedulerConfig(FILE, config);
      const a = createScheduler('default', parsed);
      expect(a.name).toBe(className);
      const saved = JSON.parse(JSON.stringify(a.config)) as SchedulerConfig;
      expect(saved._class_name).toBe(className);
      const reparsed = parseSchedulerConfig(FILE, saved);
      const b = createScheduler('default', reparsed);
      expect(b.name).toBe(className);
      expect(b.config).toEqual(a.config);
      for (const n of STEP_COUNTS) {
        a.setTimesteps(n);
        b.setTimesteps(n);
        expect([...b.timesteps], `${n} steps: timesteps`).toEqual([...a.timesteps]);
        expect(sigmasOf(b), `${n} steps: sigmas`).toEqual(sigmasOf(a));
        expect(b.initNoiseSigma, `${n} steps: initNoiseSigma`).toBe(a.initNoiseSigma);
      }
      a.setTimesteps(LOOP_STEPS);
      b.setTimesteps(LOOP_STEPS);
      expect(runLoop(b)).toEqual(runLoop(a));
    });

    it.each(STEP_COUNTS)('setTimesteps(%i): length, range, order of the timesteps', (n) => {
      const s = createSchedulerOfClass(className, parseSchedulerConfig(FILE, config));
      s.setTimesteps(n);
      const ts = [...s.timesteps];
      expect(ts.length).toBe(contract.length(n));
      expectFinite(ts, 'timesteps');
      for (const t of ts) {
        expect(t, `timestep ${t}`).toBeGreaterThanOrEqual(0);
        expect(t, `timestep ${t}`).toBeLessThanOrEqual(T - 1);
        if (contract.integerTimesteps(spacing ?? 'leading')) expect(Number.isInteger(t), `timestep ${t} is an integer`).toBe(true);
      }
      const repeats = contract.repeats(n);
      for (let i = 0; i + 1 < ts.length; i++) {
        if (repeats.includes(i)) expect(ts[i + 1], `timesteps[${i + 1}] repeats timesteps[${i}]`).toBe(ts[i]);
        else expect(ts[i + 1], `timesteps[${i + 1}] < timesteps[${i}] (${ts.join(', ')})`).toBeLessThan(ts[i]);
      }
      expect(new Set(ts).size, 'distinct timesteps').toBe(ts.length - repeats.length);
      // leading ends at steps_offset (1 for SD 1.5); DPM-Solver's drops the t = 0 point first
      if (spacing === 'leading') {
        expect(ts[ts.length - 1], 'last leading timestep').toBe(contract.leadingLast(n, config.steps_offset as number));
      }
      const sigmas = sigmasOf(s);
      if (sigmas) {
        expect(sigmas.length, 'sigmas: one per timestep and a final one').toBe(ts.length + 1);
        expectFinite(sigmas, 'sigmas');
        for (let i = 0; i + 1 < sigmas.length; i++) expect(sigmas[i + 1]).toBeLessThanOrEqual(sigmas[i]);
        expect(sigmas[sigmas.length - 1]).toBeGreaterThanOrEqual(0);
      }
    });

    it(`initNoiseSigma, scaleModelInput and the dummy-model loop (${LOOP_STEPS} steps, seed ${SEED})`, () => {
      const s = createSchedulerOfClass(className, parseSchedulerConfig(FILE, config));
      s.setTimesteps(LOOP_STEPS);
      const initSigma = s.initNoiseSigma;
      expect(Number.isFinite(initSigma) && initSigma > 0, `initNoiseSigma ${initSigma}`).toBe(true);
      if (contract.initNoiseSigma === 'one') expect(initSigma).toBe(1);
      else {
        const maxSigma = Math.max(...(sigmasOf(s) as number[]));
        const expected = spacing === 'leading' ? Math.sqrt(maxSigma ** 2 + 1) : maxSigma;
        expect(Math.abs(initSigma - expected) / expected).toBeLessThan(1e-6);
      }

      const x = runLoop(s, (i, xi, xIn) => {
        expect(xIn.length, 'scaleModelInput keeps the shape').toBe(xi.length);
        if (contract.modelInput === 'identity') {
          expect(Array.from(xIn), `step ${i}: scaleModelInput is the identity`).toEqual(Array.from(xi));
        } else {
          const sigma = (sigmasOf(s) as number[])[i];
          const scale = Math.sqrt(sigma * sigma + 1);
          for (let k = 0; k < xi.length; k++) {
            const want = xi[k] / scale;
            if (!(Math.abs(xIn[k] - want) <= 1e-6 * Math.max(1, Math.abs(want)))) {
              expect.fail(`step ${i}: scaleModelInput[${k}] = ${xIn[k]}, expected x / sqrt(σ² + 1) = ${want} (σ = ${sigma})`);
            }
          }
        }
      });
      expectFinite(x, 'final sample');

      const key = `${className}/${variation}`;
      const got = { sumAbs: sumAbs(x), meanAbs: meanAbs(x) };
      computed[key] = got;
      if (UPDATE) return;
      const want = frozen?.sums[key];
      if (!want) {
        expect.fail(
          `no frozen sums for ${key} in tests/fixtures/schedulers/contract-sums.json; run UPDATE_CONTRACT=1 npx vitest run tests/unit/schedulers/contract.test.ts`,
        );
      }
      expect(Math.abs(got.sumAbs - want.sumAbs) / want.sumAbs, `sum |x| = ${got.sumAbs}, frozen ${want.sumAbs}`).toBeLessThan(1e-5);
      expect(Math.abs(got.meanAbs - want.meanAbs) / want.meanAbs, `mean |x| = ${got.meanAbs}, frozen ${want.meanAbs}`).toBeLessThan(1e-5);
    });

    it('addNoise keeps the shape and stays finite', () => {
      const s = createSchedulerOfClass(className, parseSchedulerConfig(FILE, config));
      s.setTimesteps(LOOP_STEPS);
      const g = new TorchGenerator(SEED + 1);
      const x0 = g.randn(NUMEL);
      const noisy = s.addNoise(x0, g.randn(NUMEL), s.timesteps[0]);
      expect(noisy.length).toBe(NUMEL);
      expectFinite(noisy, 'addNoise');
    });
  });

  if (contract.defaultSpacing === null) {
    it('ignores timestep_spacing and steps_offset (diffusers never reads them for this class)', () => {
      const base = createSchedulerOfClass(className, parseSchedulerConfig(FILE, configFor(className, {})));
      for (const overrides of [{ timestep_spacing: 'trailing' }, { timestep_spacing: 'whatever' }, { steps_offset: 7 }]) {
        const s = createSchedulerOfClass(className, parseSchedulerConfig(FILE, configFor(className, overrides)));
        for (const n of STEP_COUNTS) {
          base.setTimesteps(n);
          s.setTimesteps(n);
          expect([...s.timesteps]).toEqual([...base.timesteps]);
        }
      }
    });
  }

  describe('invalid configs are refused at load time, naming file, class, key and value', () => {
    it('beta_schedule: the ones diffusers implements for this class build; the others are refused', () => {
      expect(contract.betaSchedules.every((b) => ALL_BETA_SCHEDULES.includes(b))).toBe(true);
      for (const schedule of [...ALL_BETA_SCHEDULES, 'cosine']) {
        const config = configFor(className, { beta_schedule: schedule });
        if (contract.betaSchedules.includes(schedule)) {
          const s = createSchedulerOfClass(className, parseSchedulerConfig(FILE, config)) as Scheduler & { betas: Float64Array };
          expect(s.betas.length).toBe(T);
          for (const b of s.betas) if (!(b > 0 && b < 1)) expect.fail(`${schedule}: beta ${b} not in (0, 1)`);
        } else {
          const e = expectRefused(config);
          expect(e.message).toBe(`${FILE}: ${className} does not support beta_schedule "${schedule}" (${contract.betaSchedules.join(', ')})`);
        }
      }
    });

    it('prediction_type: the supported ones build; the others are refused', () => {
      for (const prediction of [...ALL_PREDICTION_TYPES, 'noise']) {
        const config = configFor(className, { prediction_type: prediction });
        if (contract.predictionTypes.includes(prediction)) parseSchedulerConfig(FILE, config);
        else expectRefused(config, className, `prediction_type "${prediction}"`);
      }
    });

    it('timestep_spacing: leading, trailing, linspace build; others are refused (where the class reads it)', () => {
      for (const spacing of SPACINGS) parseSchedulerConfig(FILE, configFor(className, { timestep_spacing: spacing }));
      const bad = configFor(className, { timestep_spacing: 'karras' });
      if (contract.defaultSpacing === null) parseSchedulerConfig(FILE, bad);
      else {
        const e = expectRefused(bad);
        expect(e.message).toBe(`${FILE}: ${className} does not support timestep_spacing "karras" (leading, trailing, linspace)`);
        expectRefused(configFor(className, { steps_offset: -1 }), className, 'steps_offset', '-1');
        expectRefused(configFor(className, { steps_offset: 0.5 }), className, 'steps_offset', '0.5');
      }
    });

    it('numbers must be finite numbers of the right kind', () => {
      expectRefused(configFor(className, { num_train_timesteps: 999.5 }), className, 'num_train_timesteps', '999.5');
      expectRefused(configFor(className, { num_train_timesteps: '1000' }), className, 'num_train_timesteps', '"1000"');
      expectRefused(configFor(className, { beta_start: 'small' }), className, 'beta_start', '"small"');
      expectRefused(configFor(className, { beta_end: -0.012 }), className, 'beta_end', '-0.012');
      expectRefused(configFor(className, { beta_end: Number.POSITIVE_INFINITY }), className, 'beta_end', 'Infinity');
    });

    it('trained_betas: an array of T numbers replaces the schedule; other values are refused', () => {
      const betas = Array.from({ length: T }, (_, i) => 0.0001 + (0.0199 * i) / (T - 1));
      const s = createSchedulerOfClass(className, parseSchedulerConfig(FILE, configFor(className, { trained_betas: betas }))) as Scheduler & {
        betas: Float64Array;
      };
      expect(Array.from(s.betas)).toEqual(betas.map(Math.fround));
      expectRefused(configFor(className, { trained_betas: [0.1, 0.3] }), className, 'trained_betas', `num_train_timesteps is ${T}`);
      expectRefused(configFor(className, { trained_betas: 'linear' }), className, 'trained_betas', '"linear"');
      expectRefused(configFor(className, { trained_betas: [...betas.slice(1), 'x'] }), className, 'trained_betas');
    });

    it('createScheduler itself throws a typed SchedulerConfigError (an InvalidParamsError) with class, key and value', () => {
      const err = thrown(() => createSchedulerOfClass(className, configFor(className, { beta_schedule: 'cosine' })));
      expect(err).toBeInstanceOf(SchedulerConfigError);
      expect(err).toBeInstanceOf(InvalidParamsError);
      const e = err as SchedulerConfigError;
      expect([e.className, e.key, e.value, e.param, e.code]).toEqual([className, 'beta_schedule', 'cosine', 'beta_schedule', 'invalid-params']);
    });
  });
});

describe('parseSchedulerConfig', () => {
  it("accepts every config Lantern ships or was checked against: model folders, diffusers' own", () => {
    const root = path.resolve(__dirname, '../../..');
    const folders = ['models/lantern-shapes', ...fs.readdirSync(path.join(root, 'models/fixtures')).map((d) => `models/fixtures/${d}`)];
    const files = folders.map((d) => path.join(root, d, FILE)).filter((f) => fs.existsSync(f));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const json = JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, unknown>;
      expect(parseSchedulerConfig(FILE, json)._class_name, f).toBe(json._class_name);
    }
    for (const name of ['ddim_leading', 'ddim_trailing', 'euler_leading', 'euler_ancestral_trailing', 'dpmpp2m_karras', 'lcm_leading']) {
      parseSchedulerConfig(FILE, readFixture<ReferenceFixture>(name).config);
    }
  });

  it('refuses what is not a JSON object', () => {
    for (const json of [null, [], 'PNDMScheduler', 3]) {
      const err = thrown(() => parseSchedulerConfig(FILE, json));
      expect(err).toBeInstanceOf(ModelFolderError);
      expect((err as ModelFolderError).message).toMatch(/^scheduler\/scheduler_config\.json: expected a JSON object/);
    }
  });

  it("fills the loader's keys with the named class's diffusers defaults and keeps every other key", () => {
    const minimal = parseSchedulerConfig(FILE, { _class_name: 'DDIMScheduler', clip_sample: false, _diffusers_version: '0.8.0', custom: [1] });
    expect(minimal).toEqual({
      _class_name: 'DDIMScheduler',
      clip_sample: false,
      _diffusers_version: '0.8.0',
      custom: [1],
      num_train_timesteps: 1000,
      beta_start: 0.0001,
      beta_end: 0.02,
      beta_schedule: 'linear',
      steps_offset: 0,
      prediction_type: 'epsilon',
    });
    // LCMScheduler's own defaults are SD's scaled_linear 0.00085–0.012
    const lcm = parseSchedulerConfig(FILE, { _class_name: 'LCMScheduler', prediction_type: null });
    expect([lcm.beta_schedule, lcm.beta_start, lcm.beta_end, lcm.prediction_type]).toEqual(['scaled_linear', 0.00085, 0.012, 'epsilon']);
    // what the file says wins; timestep_spacing stays absent (each class has its own default)
    const sd15 = parseSchedulerConfig(FILE, configFor('PNDMScheduler', {}));
    expect(sd15).toEqual({ ...configFor('PNDMScheduler', {}), prediction_type: 'epsilon' });
    expect('timestep_spacing' in sd15).toBe(false);
  });

  it('accepts a class Lantern does not implement (a named sampler can still run it), checking only the numbers', () => {
    const lms = parseSchedulerConfig(FILE, { _class_name: 'LMSDiscreteScheduler', ...SD15, beta_schedule: 'exotic', use_karras_sigmas: true });
    expect(lms.beta_schedule).toBe('exotic');
    const none = parseSchedulerConfig(FILE, {});
    expect([none.num_train_timesteps, none.beta_schedule, none.prediction_type]).toEqual([1000, 'linear', 'epsilon']);
    expectRefused({ _class_name: 'LMSDiscreteScheduler', num_train_timesteps: 'many' }, 'num_train_timesteps', '"many"');
  });

  it('validates what createScheduler will run (keys in _use_default_values are dropped first)', () => {
    const saved = configFor('DDIMScheduler', { timestep_spacing: 'bogus', _use_default_values: ['timestep_spacing'] });
    expect(parseSchedulerConfig(FILE, saved).timestep_spacing).toBe('bogus');
    expect(createScheduler('default', parseSchedulerConfig(FILE, saved)).config.timestep_spacing).toBe('leading');
  });

  it("refuses a feature Lantern does not port, and a class's invalid combination", () => {
    expectRefused(configFor('DDPMScheduler', { variance_type: 'learned_range' }), 'DDPMScheduler', 'variance_type', '"learned_range"');
    expectRefused(configFor('DDIMScheduler', { thresholding: true }), 'DDIMScheduler', 'thresholding');
    expectRefused(configFor('DPMSolverMultistepScheduler', { algorithm_type: 'dpmsolver' }), 'DPMSolverMultistepScheduler', 'final_sigmas_type "zero"');
    expectRefused(configFor('DPMSolverMultistepScheduler', { solver_order: 4 }), 'solver_order', '4');
    expectRefused(configFor('LCMScheduler', { original_inference_steps: 2000 }), 'original_inference_steps', '2000');
    expectRefused(configFor('EulerDiscreteScheduler', { sigma_min: -1 }), 'sigma_min', '-1');
    // Python's bare -Infinity arrives as null: DPM's default lambda_min_clipped
    parseSchedulerConfig(FILE, configFor('DPMSolverMultistepScheduler', { lambda_min_clipped: null }));
  });
});

describe("diffusers' extra beta schedules (DDPMScheduler)", () => {
  const betasOf = (config: Record<string, unknown>) =>
    (createScheduler('default', parseSchedulerConfig(FILE, config)) as Scheduler & { betas: Float64Array }).betas;
  const close = (a: number, b: number, rel = 1e-6) => expect(Math.abs(a - b) / Math.abs(b), `${a} vs ${b}`).toBeLessThan(rel);

  it('sigmoid: sigmoid(linspace(-6, 6, T)) · (end − start) + start', () => {
    // DDPM's defaults fill beta_start 0.0001, beta_end 0.02. By hand:
    // sigmoid(−6) = 1 / (1 + e^6) = 1 / 404.4287934927351 = 0.0024726231566347743
    // β_0   = 0.0001 + 0.0199 · 0.0024726231566347743 = 0.00014920520081703202
    // β_999 = 0.0001 + 0.0199 · (1 − 0.0024726231566347743) = 0.01995079479918297
    const betas = betasOf({ _class_name: 'DDPMScheduler', beta_schedule: 'sigmoid' });
    expect(betas.length).toBe(1000);
    close(betas[0], 0.00014920520081703202);
    close(betas[999], 0.01995079479918297);
    // sigmoid(−x) + sigmoid(x) = 1 on the symmetric grid: β_i + β_{T−1−i} = 2·start + (end − start)
    for (const i of [1, 250, 499]) close(betas[i] + betas[999 - i], 0.0201, 1e-6);
    // strictly increasing
    for (let i = 1; i < 1000; i++) expect(betas[i]).toBeGreaterThan(betas[i - 1]);
  });

  it('laplace (diffusers >= 0.37): betas_for_alpha_bar with the Laplace transform', () => {
    // ᾱ(t) = sqrt(snr / (1 + snr)), snr = exp(−0.5·copysign(1, 0.5 − t)·log(1 − 2|0.5 − t| + 1e−6)).
    // t = 0: snr = (1e−6)^(−1/2) = 1000; t = 0.001: snr = 0.002001^(−1/2) = 22.3551…
    // β_0 = 1 − sqrt((s/(1+s)) / (1000/1001)) with s = 0.002001^(−1/2) = 0.021153757200412016
    const betas = betasOf({ _class_name: 'DDPMScheduler', beta_schedule: 'laplace' });
    close(betas[0], 0.021153757200412016);
    // the last one: 1 − ᾱ(1)/ᾱ(0.999), below max_beta 0.999
    close(betas[999], 0.8472526270584196);
  });

  it('other classes refuse both, as diffusers does', () => {
    for (const className of SUPPORTED_SCHEDULER_CLASSES.filter((c) => c !== 'DDPMScheduler')) {
      for (const schedule of ['sigmoid', 'laplace']) {
        if (!CONTRACT[className]?.betaSchedules.includes(schedule)) expectRefused(configFor(className, { beta_schedule: schedule }), `"${schedule}"`);
      }
    }
  });
});
