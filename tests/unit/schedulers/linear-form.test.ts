/**
 * The linear form of every scheduler (types.ts: LinearForm), the contract the GPU-resident
 * denoising loop (lib/diffusion/device-loop) relies on: a run driven only by
 * `linear.inputScale` + `linear.step` + `applyLinearStep` (the reference semantics of a
 * LinearStep) is the run `scaleModelInput` + `step` make, step for step: scaled model input,
 * prevSample and predOriginalSample within 1e-6 relative (max|a−b| / max|a|), and the same
 * noise draws from the same seeded generator.
 *
 * The fake model depends on the scaled input (0.3·x + 0.1·sin(t + k)), so a wrong input scale
 * or a wrong sample coefficient shows up in the next step.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  DDIMScheduler,
  DDPMScheduler,
  DPMSolverMultistepScheduler,
  EulerAncestralDiscreteScheduler,
  EulerDiscreteScheduler,
  LCMScheduler,
  PNDMScheduler,
  SCHEDULER_NAMES,
  SchedulerConfigError,
  applyLinearStep,
  createScheduler,
  createSchedulerOfClass,
  type LinearStep,
  type Scheduler,
} from '@/lib/diffusion/schedulers';
import { combine } from '@/lib/diffusion/schedulers/linear-apply';
import { TorchGenerator } from '@/lib/random/torch-generator';
import { contractModel, readFixture, type InputsFixture } from './helpers';
import { relError } from '../../helpers/rel-error';

const NUMEL = 64;
const STEP_COUNTS = [1, 2, 3, 4, 10, 25];
const TOLERANCE = 1e-6;
/**
 * DPM-Solver (noise prediction) fed v or x0: step() keeps the converted ε as float32, as
 * diffusers' model_outputs are, and the one-step jump σ_max → σ_min then cancels ~15·x
 * against ~15·x, so that rounding (not the linear form, which is within 4e-8 of the exact
 * float64 result there) reaches 2e-6 of the output.
 */
const NOISE_PREDICTION_TOLERANCE = 4e-6;
/** img2img as diffusers' get_timesteps with this strength (t_start = N − ⌊N·strength⌋). */
const STRENGTH = 0.6;

/** SD 1.5's scheduler_config.json (PNDM, scaled_linear, steps_offset 1, clip_sample false, set_alpha_to_one false). */
const SD15: Record<string, unknown> = { _class_name: 'PNDMScheduler', ...readFixture<InputsFixture>('inputs').sd15_config };
/** SD 2.x (768-v): DDIM, v_prediction. */
const SD2_V = { ...SD15, _class_name: 'DDIMScheduler', prediction_type: 'v_prediction' };
/** SD-Turbo: Euler, trailing spacing. */
const TURBO = { ...SD15, _class_name: 'EulerDiscreteScheduler', timestep_spacing: 'trailing', interpolation_type: 'linear', use_karras_sigmas: false };
const KARRAS_EULER = { ...SD15, _class_name: 'EulerDiscreteScheduler', use_karras_sigmas: true, timestep_spacing: 'leading' };
const KARRAS_DPM = { ...SD15, _class_name: 'DPMSolverMultistepScheduler', use_karras_sigmas: true, solver_order: 2 };
/** LCM's own (LCM Dreamshaper v7). */
const LCM = {
  _class_name: 'LCMScheduler',
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  original_inference_steps: 50,
  clip_sample: false,
  set_alpha_to_one: true,
  steps_offset: 1,
  timestep_scaling: 10,
  prediction_type: 'epsilon',
  timestep_spacing: 'leading',
};
const DDPM = { ...SD15, _class_name: 'DDPMScheduler', clip_sample: false };
/** Zero terminal SNR (v_prediction, trailing: what Lin et al. prescribe). */
const ZERO_SNR = { ...SD2_V, rescale_betas_zero_snr: true, timestep_spacing: 'trailing' };
const SAMPLE_LINSPACE = { ...SD15, _class_name: 'DDIMScheduler', prediction_type: 'sample', timestep_spacing: 'linspace' };

const NAMED_CONFIGS: Record<string, Record<string, unknown>> = {
  sd15: SD15,
  'sd2-v': SD2_V,
  turbo: TURBO,
  'karras-euler': KARRAS_EULER,
  'karras-dpm': KARRAS_DPM,
  lcm: LCM,
  ddpm: DDPM,
  'zero-snr': ZERO_SNR,
  'sample-linspace': SAMPLE_LINSPACE,
};

let worst = 0;
let worstWhere = '';
/** The same over the NOISE_PREDICTION_TOLERANCE cases. */
let worstNoisePrediction = 0;
let stepsCompared = 0;

interface Trajectory {
  scaledInputs: Float32Array[];
  prevSamples: Float32Array[];
  predOriginals: (Float32Array | null)[];
  /** The step at which the run threw, with the message (null when it ran to the end). */
  error: { step: number; message: string } | null;
  generator: TorchGenerator;
}

interface RunSetup {
  timesteps: number[];
  initial: Float32Array;
}

/** setTimesteps, the img2img begin index, and the initial latents (the same for both runs). */
function setUp(scheduler: Scheduler, steps: number, img2img: boolean): RunSetup {
  scheduler.setTimesteps(steps);
  let timesteps = [...scheduler.timesteps];
  const init = new TorchGenerator(1234);
  if (!img2img) {
    const sigma = Math.fround(scheduler.initNoiseSigma);
    return { timesteps, initial: init.randn(NUMEL).map((v) => v * sigma) };
  }
  const tStart = steps - Math.min(Math.trunc(steps * STRENGTH), steps);
  timesteps = timesteps.slice(tStart * scheduler.order);
  scheduler.setBeginIndex?.(tStart * scheduler.order);
  const image = Float32Array.from({ length: NUMEL }, (_, k) => Math.cos(k));
  return { timesteps, initial: timesteps.length > 0 ? scheduler.addNoise(image, init.randn(NUMEL), timesteps[0]) : image };
}

function runStep(scheduler: Scheduler, setup: RunSetup, seed = 42): Trajectory {
  const generator = new TorchGenerator(seed);
  const out: Trajectory = { scaledInputs: [], prevSamples: [], predOriginals: [], error: null, generator };
  let x = setup.initial;
  for (let i = 0; i < setup.timesteps.length; i++) {
    const t = setup.timesteps[i];
    try {
      const input = scheduler.scaleModelInput(x, t);
      const result = scheduler.step(contractModel(input, t), t, x, generator);
      out.scaledInputs.push(input);
      out.prevSamples.push(result.prevSample);
      out.predOriginals.push(result.predOriginalSample);
      x = result.prevSample;
    } catch (err) {
      out.error = { step: i, message: (err as Error).message };
      break;
    }
  }
  return out;
}

function runLinear(scheduler: Scheduler, setup: RunSetup, timesteps = setup.timesteps, seed = 42): Trajectory {
  const linear = scheduler.linear!;
  const generator = new TorchGenerator(seed);
  const out: Trajectory = { scaledInputs: [], prevSamples: [], predOriginals: [], error: null, generator };
  let x = setup.initial;
  let registers: Float32Array[] = Array.from({ length: linear.registers }, () => new Float32Array(NUMEL));
  for (let i = 0; i < timesteps.length; i++) {
    const t = timesteps[i];
    try {
      const scale = linear.inputScale(t);
      const input = x.map((v) => v * scale);
      const model = contractModel(input, t);
      const step = linear.step(t);
      const noise = step.drawsNoise ? generator.randn(NUMEL) : undefined;
      expect(step.registers.length, 'LinearStep.registers.length').toBe(linear.registers);
      const result = applyLinearStep(step, { sample: x, model, noise, registers });
      out.scaledInputs.push(input);
      out.prevSamples.push(result.prevSample);
      out.predOriginals.push(result.predOriginalSample);
      registers = result.registers;
      x = result.prevSample;
    } catch (err) {
      out.error = { step: i, message: (err as Error).message };
      break;
    }
  }
  return out;
}

/** Runs A (step) and B (linear) over every step count, txt2img and img2img, and compares them step for step. */
function expectLinearMatchesStep(make: () => Scheduler, label: string, tolerance = TOLERANCE): number {
  let runs = 0;
  for (const steps of STEP_COUNTS) {
    for (const img2img of [false, true]) {
      const a = make();
      const b = make();
      expect(b.linear, `${label}: linear`).toBeDefined();
      expect(b.linear!.problem(), `${label}: linear.problem()`).toBeNull();
      if (a.stepsProblem(steps) !== null) continue;
      const setupA = setUp(a, steps, img2img);
      const setupB = setUp(b, steps, img2img);
      expect(setupB).toEqual(setupA);
      const where = `${label}, ${steps} steps${img2img ? ', img2img' : ''}`;
      const ra = runStep(a, setupA);
      const rb = runLinear(b, setupB);
      // a run step() refuses (a repeated Karras timestep at the top of a zero-SNR schedule) is refused alike
      expect(rb.error, `${where}: step() threw ${JSON.stringify(ra.error)}, linear ${JSON.stringify(rb.error)}`).toEqual(ra.error);
      for (let i = 0; i < ra.prevSamples.length; i++) {
        const errors = [relError(ra.scaledInputs[i], rb.scaledInputs[i]), relError(ra.prevSamples[i], rb.prevSamples[i])];
        const pa = ra.predOriginals[i];
        const pb = rb.predOriginals[i];
        expect(pb === null, `${where}, step ${i}: predOriginalSample null`).toBe(pa === null);
        if (pa && pb) errors.push(relError(pa, pb));
        for (const [k, e] of errors.entries()) {
          const what = ['scaled model input', 'prevSample', 'predOriginalSample'][k];
          expect(e, `${where}, step ${i} (t = ${setupA.timesteps[i]}): ${what} relative error`).toBeLessThanOrEqual(tolerance);
          if (tolerance !== TOLERANCE) worstNoisePrediction = Math.max(worstNoisePrediction, e);
          else if (e > worst) {
            worst = e;
            worstWhere = `${where}, step ${i}, ${what}`;
          }
        }
        stepsCompared++;
      }
      // the same number of draws: both generators are at the same place in the stream
      expect(Array.from(rb.generator.randn(4)), `${where}: noise draws`).toEqual(Array.from(ra.generator.randn(4)));
      runs++;
    }
  }
  return runs;
}

afterAll(() => {
  console.log(
    `linear form: ${stepsCompared} steps compared, max relative error ${worst.toExponential(3)} (${worstWhere}); ` +
      `DPM-Solver noise prediction fed v / x0: ${worstNoisePrediction.toExponential(3)}`,
  );
});

describe('linear form: every named scheduler × model configs', () => {
  const cases = SCHEDULER_NAMES.flatMap((name) => Object.keys(NAMED_CONFIGS).map((config) => [name, config] as const));
  it.each(cases)('%s with the %s config', (name, configName) => {
    const config = NAMED_CONFIGS[configName];
    let probe: Scheduler;
    try {
      probe = createScheduler(name, config);
    } catch (err) {
      // PNDM and Euler a have no 'sample' prediction (diffusers raises too)
      expect(err).toBeInstanceOf(SchedulerConfigError);
      expect((err as SchedulerConfigError).key).toBe('prediction_type');
      return;
    }
    expect(probe.linear?.problem()).toBeNull();
    expect(expectLinearMatchesStep(() => createScheduler(name, config), `${name} / ${configName}`)).toBeGreaterThan(0);
  });
});

describe('linear form: class options and configs', () => {
  const ddim: [string, () => Scheduler][] = [];
  for (const eta of [0, 0.5, 1]) {
    for (const useClippedModelOutput of [false, true]) {
      for (const prediction_type of ['epsilon', 'v_prediction', 'sample']) {
        ddim.push([
          `DDIM eta ${eta} ${prediction_type}${useClippedModelOutput ? ' use_clipped_model_output' : ''}`,
          () => new DDIMScheduler({ ...SD15, prediction_type }, { eta, useClippedModelOutput }),
        ]);
      }
    }
  }
  ddim.push([
    'DDIM set_alpha_to_one, trailing',
    () => new DDIMScheduler({ ...SD15, set_alpha_to_one: true, timestep_spacing: 'trailing', clip_sample: false }, { eta: 0.3 }),
  ]);

  const ddpm: [string, () => Scheduler][] = [];
  for (const variance_type of ['fixed_small', 'fixed_small_log', 'fixed_large']) {
    for (const prediction_type of ['epsilon', 'v_prediction', 'sample']) {
      ddpm.push([`DDPM ${variance_type} ${prediction_type}`, () => new DDPMScheduler({ ...DDPM, variance_type, prediction_type })]);
    }
  }
  ddpm.push([
    'DDPM sigmoid betas, zero SNR, v',
    () => new DDPMScheduler({ ...DDPM, beta_schedule: 'sigmoid', rescale_betas_zero_snr: true, prediction_type: 'v_prediction' }),
  ]);

  const pndm: [string, () => Scheduler][] = [];
  for (const skip_prk_steps of [true, false]) {
    for (const prediction_type of ['epsilon', 'v_prediction']) {
      for (const timestep_spacing of ['leading', 'trailing', 'linspace']) {
        pndm.push([
          `PNDM ${skip_prk_steps ? 'PLMS' : 'PRK warm-up'} ${prediction_type} ${timestep_spacing}`,
          () => new PNDMScheduler({ ...SD15, skip_prk_steps, prediction_type, timestep_spacing, steps_offset: timestep_spacing === 'leading' ? 1 : 0 }),
        ]);
      }
    }
  }

  const euler: [string, () => Scheduler][] = [];
  for (const prediction_type of ['epsilon', 'v_prediction', 'sample', 'original_sample']) {
    euler.push([`Euler ${prediction_type}`, () => new EulerDiscreteScheduler({ ...SD15, prediction_type })]);
  }
  euler.push(['Euler s_churn 1 (σ in [0.5, 8])', () => new EulerDiscreteScheduler(SD15, { sChurn: 1, sTmin: 0.5, sTmax: 8, sNoise: 1.003 })]);
  euler.push(['Euler s_churn 40, v', () => new EulerDiscreteScheduler({ ...SD15, prediction_type: 'v_prediction' }, { sChurn: 40 })]);
  euler.push(['Euler log_linear, leading', () => new EulerDiscreteScheduler({ ...SD15, interpolation_type: 'log_linear', timestep_spacing: 'leading' })]);
  euler.push(['Euler continuous v, zero SNR, Karras', () => new EulerDiscreteScheduler({ ...ZERO_SNR, timestep_type: 'continuous', use_karras_sigmas: true })]);
  euler.push(['Euler a v, leading', () => new EulerAncestralDiscreteScheduler({ ...SD2_V, timestep_spacing: 'leading' })]);
  euler.push(['Euler a zero SNR', () => new EulerAncestralDiscreteScheduler(ZERO_SNR)]);

  const dpm: [string, () => Scheduler][] = [];
  for (const algorithm_type of ['dpmsolver++', 'dpmsolver', 'sde-dpmsolver++', 'sde-dpmsolver']) {
    for (const solver_order of [1, 2, 3]) {
      if (algorithm_type.startsWith('sde-') && solver_order === 3) continue;
      for (const solver_type of ['midpoint', 'heun']) {
        for (const lower_order_final of [true, false]) {
          const final_sigmas_type = algorithm_type.endsWith('++') ? 'zero' : 'sigma_min';
          dpm.push([
            `DPM ${algorithm_type} order ${solver_order} ${solver_type}${lower_order_final ? ' lower_order_final' : ''}`,
            () => new DPMSolverMultistepScheduler({ ...SD15, algorithm_type, solver_order, solver_type, lower_order_final, final_sigmas_type }),
          ]);
        }
      }
    }
  }
  for (const prediction_type of ['v_prediction', 'sample']) {
    for (const algorithm_type of ['dpmsolver++', 'dpmsolver', 'sde-dpmsolver++', 'sde-dpmsolver']) {
      const solver_order = algorithm_type.startsWith('sde-') ? 2 : 3;
      dpm.push([
        `DPM ${algorithm_type} order ${solver_order} ${prediction_type}`,
        () => new DPMSolverMultistepScheduler({ ...SD15, algorithm_type, prediction_type, solver_order, final_sigmas_type: 'sigma_min' }),
      ]);
    }
  }
  dpm.push([
    'DPM euler_at_final, sigma_min',
    () => new DPMSolverMultistepScheduler({ ...SD15, euler_at_final: true, lower_order_final: false, final_sigmas_type: 'sigma_min' }),
  ]);
  dpm.push(['DPM Lu lambdas, order 3', () => new DPMSolverMultistepScheduler({ ...SD15, use_lu_lambdas: true, solver_order: 3 })]);
  dpm.push([
    'DPM Karras, trailing, SDE',
    () => new DPMSolverMultistepScheduler({ ...SD15, use_karras_sigmas: true, timestep_spacing: 'trailing', algorithm_type: 'sde-dpmsolver++' }),
  ]);
  dpm.push(['DPM lambda_min_clipped, zero SNR, v', () => new DPMSolverMultistepScheduler({ ...ZERO_SNR, lambda_min_clipped: -5.1 })]);

  const lcm: [string, () => Scheduler][] = [];
  for (const prediction_type of ['epsilon', 'v_prediction', 'sample']) {
    lcm.push([`LCM ${prediction_type}`, () => new LCMScheduler({ ...LCM, prediction_type })]);
  }
  lcm.push([
    'LCM set_alpha_to_one false, original_inference_steps 25',
    () => new LCMScheduler({ ...LCM, set_alpha_to_one: false, original_inference_steps: 25 }),
  ]);

  it.each([...ddim, ...ddpm, ...pndm, ...euler, ...dpm, ...lcm])('%s', (label, make) => {
    const noisePrediction = /^DPM (sde-)?dpmsolver .*(v_prediction|sample)/.test(label);
    expect(expectLinearMatchesStep(make, label, noisePrediction ? NOISE_PREDICTION_TOLERANCE : TOLERANCE)).toBeGreaterThan(0);
  });
});

describe('linear form: registers', () => {
  it('counts per scheduler: 0 single-step, PLMS 3 (PRK warm-up 5), DPM-Solver solver_order − 1', () => {
    const count = (s: Scheduler) => s.linear!.registers;
    expect(count(createScheduler('ddim', SD15))).toBe(0);
    expect(count(createScheduler('ddpm', SD15))).toBe(0);
    expect(count(createScheduler('pndm', SD15))).toBe(3);
    expect(count(new PNDMScheduler({ ...SD15, skip_prk_steps: false }))).toBe(5);
    expect(count(createScheduler('euler', SD15))).toBe(0);
    expect(count(createScheduler('euler-ancestral', SD15))).toBe(0);
    expect(count(createScheduler('dpmpp-2m', SD15))).toBe(1);
    expect(count(createScheduler('dpmpp-2m-karras', SD15))).toBe(1);
    expect(count(new DPMSolverMultistepScheduler({ ...SD15, solver_order: 1 }))).toBe(0);
    expect(count(new DPMSolverMultistepScheduler({ ...SD15, solver_order: 3 }))).toBe(2);
    expect(count(createScheduler('lcm', LCM))).toBe(0);
  });

  it('PLMS: the second call redoes the first step from the stored cur_sample (register), ignoring its sample', () => {
    const s = createScheduler('pndm', SD15);
    s.setTimesteps(10);
    const [t0, t1] = s.timesteps;
    expect(t1).toBe(s.timesteps[2]); // the repeated timestep
    const first = s.linear!.step(t0);
    expect(first.registers[1]).toEqual([['sample', 1]]);
    const second = s.linear!.step(t1);
    expect(second.prevSample.some(([buffer]) => buffer === 'sample')).toBe(false);
    expect(second.prevSample.some(([buffer]) => buffer === 'r1')).toBe(true);
  });
});

describe('linear form: configs without one', () => {
  it.each([['ddim'], ['ddpm'], ['lcm']] as const)('%s with clip_sample true: problem() names the key, and linear.step refuses', (name) => {
    const s = createScheduler(name, { ...(name === 'lcm' ? LCM : SD15), clip_sample: true });
    const problem = s.linear!.problem();
    expect(problem).toMatch(/clip_sample true/);
    s.setTimesteps(4);
    expect(() => s.linear!.step(s.timesteps[0])).toThrow(/clip_sample/);
  });

  it("DDPMScheduler's default clip_sample true has no linear form", () => {
    expect(new DDPMScheduler().linear!.problem()).toMatch(/clip_sample true \(the class default\)/);
    expect(new DDIMScheduler().linear!.problem()).toMatch(/clip_sample true/);
  });

  it('thresholding true: the classes that have the key refuse it at construction, naming it; the others have no such key', () => {
    for (const className of ['DDIMScheduler', 'DDPMScheduler', 'DPMSolverMultistepScheduler', 'LCMScheduler']) {
      let error: unknown;
      try {
        createSchedulerOfClass(className, { ...SD15, thresholding: true });
      } catch (err) {
        error = err;
      }
      expect(error, className).toBeInstanceOf(SchedulerConfigError);
      expect((error as SchedulerConfigError).key).toBe('thresholding');
      expect((error as Error).message).toMatch(/thresholding true/);
    }
    // diffusers' PNDM / Euler / Euler a have no thresholding: the key is kept and ignored
    for (const className of ['PNDMScheduler', 'EulerDiscreteScheduler', 'EulerAncestralDiscreteScheduler']) {
      expect(createSchedulerOfClass(className, { ...SD15, thresholding: true }).linear!.problem(), className).toBeNull();
    }
  });
});

describe('linear form: the contract test catches an off-by-one', () => {
  it.each(SCHEDULER_NAMES.map((n) => [n]))('%s driven one timestep late does not match', (name) => {
    const config = name === 'lcm' ? LCM : SD15;
    const a = createScheduler(name, config);
    const b = createScheduler(name, config);
    const setupA = setUp(a, 10, false);
    const setupB = setUp(b, 10, false);
    const ra = runStep(a, setupA);
    const rb = runLinear(b, setupB, setupB.timesteps.slice(1));
    let largest = 0;
    for (let i = 0; i < rb.prevSamples.length; i++) largest = Math.max(largest, relError(ra.prevSamples[i], rb.prevSamples[i]));
    expect(largest).toBeGreaterThan(1e-3);
  });
});

describe('applyLinearStep', () => {
  const x = Float32Array.from([1, 2, 3]);
  const m = Float32Array.from([10, 20, 30]);

  it('evaluates every output from the buffers as they were before the step (a register swap)', () => {
    const r0 = Float32Array.from([7, 8, 9]);
    const r1 = Float32Array.from([-1, -2, -3]);
    const step: LinearStep = {
      drawsNoise: false,
      prevSample: [['r0', 1]],
      predOriginalSample: null,
      registers: [[['r1', 1]], [['r0', 1]]],
    };
    const out = applyLinearStep(step, { sample: x, model: m, registers: [r0, r1] });
    expect(Array.from(out.prevSample)).toEqual([7, 8, 9]);
    expect(out.registers.map((r) => Array.from(r))).toEqual([
      [-1, -2, -3],
      [7, 8, 9],
    ]);
    expect(Array.from(r0)).toEqual([7, 8, 9]); // inputs untouched
  });

  it('accumulates in float64 and stores float32', () => {
    const big = Float32Array.from([1e4, 1e4, 1e4]); // float32 sums would lose 0.1 against it (ulp 1e-3)
    const step: LinearStep = {
      drawsNoise: false,
      prevSample: [
        ['sample', 1],
        ['model', 0.1],
        ['sample', -1],
      ],
      predOriginalSample: [['model', 1 / 3]],
      registers: [],
    };
    const out = applyLinearStep(step, { sample: big, model: Float32Array.from([1, 1, 1]), registers: [] });
    expect(out.prevSample[0]).toBe(Math.fround(0.1));
    expect(out.predOriginalSample![0]).toBe(Math.fround(1 / 3));
  });

  it('refuses noise it was not given, noise a step does not draw, and registers it does not have', () => {
    const reads = (terms: LinearStep['prevSample'], drawsNoise: boolean): LinearStep => ({
      drawsNoise,
      prevSample: terms,
      predOriginalSample: null,
      registers: [],
    });
    expect(() => applyLinearStep(reads([['noise', 1]], true), { sample: x, model: m, registers: [] })).toThrow(/noise/);
    expect(() => applyLinearStep(reads([['noise', 1]], false), { sample: x, model: m, noise: x, registers: [] })).toThrow(/drawsNoise false/);
    expect(() => applyLinearStep(reads([['r2', 1]], false), { sample: x, model: m, registers: [] })).toThrow(/r2/);
    expect(() => applyLinearStep(reads([['model', 1]], false), { sample: x, model: Float32Array.from([1]), registers: [] })).toThrow(/elements/);
  });

  it('combine merges buffers and drops exact zeros', () => {
    expect(
      combine(
        [2, [['sample', 1]]],
        [
          1,
          [
            ['model', 3],
            ['sample', -2],
          ],
        ],
        [0, [['noise', 1]]],
      ),
    ).toEqual([['model', 3]]);
  });
});
