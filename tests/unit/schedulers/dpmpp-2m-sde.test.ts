/**
 * "DPM++ 2M SDE Karras" — DPMSolverMultistepScheduler with DPMPP_2M_SDE_KARRAS_OVERRIDES
 * (sde-dpmsolver++, solver_order 2, midpoint, Karras sigmas) — against diffusers 0.27.2, per
 * step: tests/fixtures/schedulers/dpmpp2m_sde_karras.json comes from
 * training/schedulers/reference_heun_dpmsde.py, an independent torch transcription of
 * diffusers' class (SD 1.5's config, epsilon and v_prediction, 1, 2, 5, 10, 20 steps, a
 * 24-element latent for torch's vectorised randn, an img2img run), with the SDE noise drawn
 * as diffusers draws it: `randn_tensor(shape, generator)` once per step, the last included,
 * from the generator that made the initial latents. Then the linear-form contract of
 * linear-form.test.ts for this preset (step() vs linear.step + applyLinearStep within 1e-6,
 * the same draws).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { schedulerLabel } from '@/lib/diffusion/schedulers';
import { DPMPP_2M_SDE_KARRAS_OVERRIDES, DPMSolverMultistepScheduler } from '@/lib/diffusion/schedulers/dpmpp-2m';
import { applyLinearStep } from '@/lib/diffusion/schedulers/linear-apply';
import type { Scheduler } from '@/lib/diffusion/schedulers/types';
import type { NoiseSource } from '@/lib/random/noise-source';
import { TorchGenerator } from '@/lib/random/torch-generator';
import { contractModel, readFixture, type InputsFixture, type ReplayVariant } from './helpers';
import { relError } from '../../helpers/rel-error';

// --- the diffusers reference ------------------------------------------------------------

type Variant = ReplayVariant;

const fixture = readFixture<{ scheduler_class: string; variants: Variant[] }>('dpmpp2m_sde_karras');
const SD15: Record<string, unknown> = readFixture<InputsFixture>('inputs').sd15_config;
/** Against the float64-intermediate transcription (relative to max(1, |value|), as expectClose). */
const TOLERANCE = 1e-5;
/** Against diffusers' float32 run: reference.test.ts's tolerance. */
const FLOAT32_TOLERANCE = 1e-4;
/** Tables: Lantern's torch.linspace differs from torch's vectorised kernel by an ulp in places. */
const TABLE_TOLERANCE = 1e-6;
/** torch's vectorised randn (numel ≥ 16) uses float32 log/sin/cos (lib/random/torch-generator.ts). */
const RANDN_TOLERANCE = 3e-6;

const worst = { f64: 0, f64Where: '', f32: 0, f32Where: '', noise: 0 };
afterAll(() => {
  console.log(
    `DPM++ 2M SDE Karras vs diffusers 0.27.2: float64-intermediate transcription max ${worst.f64.toExponential(3)} (${worst.f64Where}); ` +
      `float32 diffusers max ${worst.f32.toExponential(3)} (${worst.f32Where}); noise draws max ${worst.noise.toExponential(3)}; ` +
      `linear form max ${worstLinear.toExponential(3)}`,
  );
});

/** max |a − b| / max(1, |b|), failing beyond `tol`. */
function maxError(actual: ArrayLike<number>, expected: ArrayLike<number>): { err: number; at: number } {
  let err = 0;
  let at = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(e <= err)) {
      err = e;
      at = i;
    }
  }
  return { err, at };
}

function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = TOLERANCE, kind: 'f64' | 'f32' | null = null): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const { err, at } = maxError(actual, expected);
  if (kind && err > worst[kind]) {
    worst[kind] = err;
    worst[`${kind}Where`] = what;
  }
  if (!(err <= tol)) expect.fail(`${what}: element ${at} is ${actual[at]}, expected ${expected[at]} (error ${err}, tolerance ${tol})`);
}

function compareBoth(actual: ArrayLike<number>, f64: ArrayLike<number>, f32: ArrayLike<number>, what: string): void {
  compare(actual, f64, `${what} (float64 transcription)`, TOLERANCE, 'f64');
  compare(actual, f32, `${what} (diffusers float32)`, FLOAT32_TOLERANCE, 'f32');
}

/** The reference's fake model: f32(x·f32(0.1)) + f32(f32(0.01·t/1000) + f32(0.05·cos k)). */
function referenceModel(xIn: Float32Array, t: number): Float32Array {
  const f = Math.fround;
  const biasT = f((0.01 * t) / 1000);
  return Float32Array.from(xIn, (x, k) => f(f(x * f(0.1)) + f(biasT + f(0.05 * Math.cos(k)))));
}

/** The loop's generator, keeping what each draw returned. */
class RecordingGenerator implements NoiseSource {
  readonly draws: Float32Array[] = [];
  private readonly generator: TorchGenerator;
  constructor(seed: number) {
    this.generator = new TorchGenerator(seed);
  }
  randn(n: number): Float32Array {
    const z = this.generator.randn(n);
    this.draws.push(z);
    return z;
  }
}

describe('the preset', () => {
  it("is what index.ts's 'dpmpp-2m-karras' sets, with the SDE algorithm", () => {
    expect(DPMPP_2M_SDE_KARRAS_OVERRIDES).toEqual({ algorithm_type: 'sde-dpmsolver++', solver_order: 2, solver_type: 'midpoint', use_karras_sigmas: true });
    const s = new DPMSolverMultistepScheduler({ ...SD15, ...DPMPP_2M_SDE_KARRAS_OVERRIDES });
    expect(schedulerLabel(s)).toBe('DPM++ 2M SDE Karras');
  });
});

describe.each(fixture.variants.map((v) => [v.label, v] as const))('diffusers reference: DPM++ 2M SDE Karras, %s', (_label, variant) => {
  const make = () => new DPMSolverMultistepScheduler({ ...SD15, ...variant.config, ...DPMPP_2M_SDE_KARRAS_OVERRIDES });

  it('resolves the config as from_config does (DPMSolverMultistep defaults for the keys SD 1.5 lacks)', () => {
    const s = make();
    for (const [key, value] of Object.entries(variant.resolved)) expect(s.config[key], key).toEqual(value);
  });

  describe.each(variant.runs.map((r) => [`${r.num_inference_steps} steps, ${r.shape.join('×')}${r.img2img ? ', img2img' : ''}`, r] as const))(
    '%s',
    (where, run) => {
      const label = `${variant.label}, ${where}`;
      const numel = run.shape.reduce((a, b) => a * b, 1);
      const randnTol = numel >= 16 ? RANDN_TOLERANCE : 0;

      it('has the same timesteps, sigmas and init_noise_sigma', () => {
        const s = make();
        s.setTimesteps(run.num_inference_steps);
        expect([...s.timesteps]).toEqual(run.all_timesteps);
        compare(s.sigmas, run.sigmas, `${label}: sigmas`, TABLE_TOLERANCE);
        expect(s.initNoiseSigma).toBe(run.init_noise_sigma);
      });

      it('draws the same noise, once per step (the last too), and matches every step', () => {
        const s = make();
        s.setTimesteps(run.num_inference_steps);
        const g = new RecordingGenerator(run.seed);
        let timesteps = [...s.timesteps];
        let x: Float32Array;
        if (run.img2img) {
          const { t_start: tStart, begin_index: beginIndex } = run.img2img;
          expect(tStart * s.order).toBe(beginIndex);
          timesteps = timesteps.slice(tStart * s.order);
          s.setBeginIndex(tStart * s.order);
          const noise = g.randn(numel);
          compare(noise, run.img2img.noise, `${label}: img2img noise`, randnTol);
          x = s.addNoise(Float32Array.from(run.img2img.image), noise, timesteps[0]);
        } else {
          x = g.randn(numel).map((v) => v * Math.fround(s.initNoiseSigma));
        }
        compareBoth(x, run.x_initial_f64, run.x_initial, `${label}: initial latents`);
        expect(timesteps.length).toBe(run.steps.length);
        timesteps.forEach((t, i) => {
          const ref = run.steps[i];
          const ref64 = run.steps_f64[i];
          const at = `${label}, step ${i} (t = ${t})`;
          expect(t, `${at}: t`).toBe(ref.t);
          const before = g.draws.length;
          const xIn = s.scaleModelInput(x);
          compareBoth(xIn, ref64.scaled_input, ref.scaled_input, `${at}: scaled_input`);
          compare(referenceModel(Float32Array.from(ref.scaled_input), ref.t), ref.model_output, `${at}: fake model`, 0);
          const result = s.step(referenceModel(xIn, t), t, x, g);
          expect(g.draws.length - before, `${at}: draws`).toBe(1);
          compare(g.draws[before], ref.noise as number[], `${at}: noise`, randnTol);
          worst.noise = Math.max(worst.noise, maxError(g.draws[before], ref.noise as number[]).err);
          compareBoth(result.prevSample, ref64.prev_sample, ref.prev_sample, `${at}: prev_sample`);
          compareBoth(result.predOriginalSample as Float32Array, ref64.pred_original_sample, ref.pred_original_sample, `${at}: pred_original_sample (x0)`);
          x = result.prevSample;
        });
        compareBoth(x, run.final_f64, run.final, `${label}: final`);
        // final_sigmas_type "zero": diffusers' last step is first order and lands on its x0 exactly
        const last = run.steps[run.steps.length - 1];
        expect(last.prev_sample).toEqual(last.pred_original_sample);
      });
    },
  );
});

// --- the step structure diffusers has for this configuration ----------------------------

describe('DPM++ 2M SDE Karras: order and noise per step', () => {
  const terms = (s: DPMSolverMultistepScheduler, t: number) => {
    const step = s.linear.step(t);
    return { draws: step.drawsNoise, buffers: new Set(step.prevSample.map(([b]) => b)) };
  };

  it('first step first order, then second order, the last first order with a zero noise coefficient (but a draw)', () => {
    for (const n of [2, 5, 14, 15, 30]) {
      const s = new DPMSolverMultistepScheduler({ ...SD15, ...DPMPP_2M_SDE_KARRAS_OVERRIDES });
      s.setTimesteps(n);
      const steps = s.timesteps.map((t) => terms(s, t));
      expect(steps.every((st) => st.draws)).toBe(true);
      steps.forEach((st, i) => {
        const last = i === n - 1;
        // r0 is the previous x0: read by the second-order updates only
        expect(st.buffers.has('r0'), `${n} steps, step ${i}: second order`).toBe(i > 0 && !last);
        expect(st.buffers.has('noise'), `${n} steps, step ${i}: noise term`).toBe(!last);
      });
    }
  });

  it('the last step returns x0 exactly (σ_next = 0: α_t = 1, σ_t = 0)', () => {
    const s = new DPMSolverMultistepScheduler({ ...SD15, ...DPMPP_2M_SDE_KARRAS_OVERRIDES });
    s.setTimesteps(3);
    const g = new TorchGenerator(5);
    let x = g.randn(8);
    let out = null as ReturnType<typeof s.step> | null;
    for (const t of s.timesteps) {
      out = s.step(referenceModel(x, t), t, x, g);
      x = out.prevSample;
    }
    expect(Array.from(out!.prevSample)).toEqual(Array.from(out!.predOriginalSample as Float32Array));
  });

  it('refuses a step without a NoiseSource (diffusers draws from the generator every step)', () => {
    const s = new DPMSolverMultistepScheduler({ ...SD15, ...DPMPP_2M_SDE_KARRAS_OVERRIDES });
    s.setTimesteps(3);
    expect(() => s.step(Float32Array.from([0]), s.timesteps[0], Float32Array.from([1]))).toThrow(/NoiseSource/);
  });
});

// --- the linear form (linear-form.test.ts's contract) -----------------------------------

const NUMEL = 64;
const STEP_COUNTS = [1, 2, 3, 4, 10, 25];
const LINEAR_TOLERANCE = 1e-6;
const STRENGTH = 0.6;
let worstLinear = 0;

interface Trajectory {
  inputs: Float32Array[];
  prev: Float32Array[];
  pred: (Float32Array | null)[];
  draws: Float32Array[];
}

function setUp(s: Scheduler, steps: number, img2img: boolean): { timesteps: number[]; initial: Float32Array } {
  s.setTimesteps(steps);
  let timesteps = [...s.timesteps];
  const init = new TorchGenerator(1234);
  if (!img2img) return { timesteps, initial: init.randn(NUMEL).map((v) => v * Math.fround(s.initNoiseSigma)) };
  const tStart = steps - Math.min(Math.trunc(steps * STRENGTH), steps);
  timesteps = timesteps.slice(tStart * s.order);
  s.setBeginIndex?.(tStart * s.order);
  const image = Float32Array.from({ length: NUMEL }, (_, k) => Math.cos(k));
  return { timesteps, initial: s.addNoise(image, init.randn(NUMEL), timesteps[0]) };
}

function runStep(s: Scheduler, timesteps: number[], initial: Float32Array): Trajectory {
  const g = new RecordingGenerator(42);
  const out: Trajectory = { inputs: [], prev: [], pred: [], draws: g.draws };
  let x = initial;
  for (const t of timesteps) {
    const input = s.scaleModelInput(x, t);
    const r = s.step(contractModel(input, t), t, x, g);
    out.inputs.push(input);
    out.prev.push(r.prevSample);
    out.pred.push(r.predOriginalSample);
    x = r.prevSample;
  }
  return out;
}

function runLinear(s: Scheduler, timesteps: number[], initial: Float32Array): Trajectory {
  const linear = s.linear!;
  const g = new RecordingGenerator(42);
  const out: Trajectory = { inputs: [], prev: [], pred: [], draws: g.draws };
  let x = initial;
  let registers: Float32Array[] = Array.from({ length: linear.registers }, () => new Float32Array(NUMEL));
  for (const t of timesteps) {
    const scale = linear.inputScale(t);
    const input = x.map((v) => v * scale);
    const model = contractModel(input, t);
    const step = linear.step(t);
    expect(step.registers.length).toBe(linear.registers);
    const r = applyLinearStep(step, { sample: x, model, noise: step.drawsNoise ? g.randn(NUMEL) : undefined, registers });
    out.inputs.push(input);
    out.prev.push(r.prevSample);
    out.pred.push(r.predOriginalSample);
    registers = r.registers;
    x = r.prevSample;
  }
  return out;
}

function expectLinearMatchesStep(make: () => Scheduler, label: string): number {
  let compared = 0;
  for (const steps of STEP_COUNTS) {
    for (const img2img of [false, true]) {
      const a = make();
      const b = make();
      expect(b.linear!.problem(), `${label}: linear.problem()`).toBeNull();
      const setupA = setUp(a, steps, img2img);
      const setupB = setUp(b, steps, img2img);
      expect(setupB).toEqual(setupA);
      const ra = runStep(a, setupA.timesteps, setupA.initial);
      const rb = runLinear(b, setupB.timesteps, setupB.initial);
      const where = `${label}, ${steps} steps${img2img ? ', img2img' : ''}`;
      // the same draws: one per step, from the same stream
      expect(rb.draws.length, `${where}: noise draws`).toBe(ra.draws.length);
      expect(ra.draws.length, `${where}: one draw per step`).toBe(setupA.timesteps.length);
      expect(rb.prev.length).toBe(ra.prev.length);
      compared += ra.prev.length;
      for (let i = 0; i < ra.prev.length; i++) {
        expect(Array.from(rb.draws[i]), `${where}, step ${i}: the same draw`).toEqual(Array.from(ra.draws[i]));
        const errors = [relError(ra.inputs[i], rb.inputs[i]), relError(ra.prev[i], rb.prev[i])];
        expect(rb.pred[i] === null, `${where}, step ${i}: predOriginalSample presence`).toBe(ra.pred[i] === null);
        if (ra.pred[i] && rb.pred[i]) errors.push(relError(ra.pred[i]!, rb.pred[i]!));
        const err = Math.max(...errors);
        worstLinear = Math.max(worstLinear, err);
        expect(err, `${where}, step ${i}`).toBeLessThanOrEqual(LINEAR_TOLERANCE);
      }
    }
  }
  return compared;
}

describe('DPM++ 2M SDE Karras linear form: step() vs linear.step + applyLinearStep', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['SD 1.5 (linspace, epsilon)', {}],
    ['v_prediction', { prediction_type: 'v_prediction' }],
    ['sample', { prediction_type: 'sample' }],
    ['leading, steps_offset 1', { timestep_spacing: 'leading' }],
    ['trailing', { timestep_spacing: 'trailing', steps_offset: 0 }],
    ['final_sigmas_type sigma_min', { final_sigmas_type: 'sigma_min' }],
    ['euler_at_final, lower_order_final false', { euler_at_final: true, lower_order_final: false }],
  ];
  it.each(cases)('%s', (label, extra) => {
    const make = () => new DPMSolverMultistepScheduler({ ...SD15, ...extra, ...DPMPP_2M_SDE_KARRAS_OVERRIDES });
    expect(make().linear.registers).toBe(1);
    expect(expectLinearMatchesStep(make, label)).toBeGreaterThan(0);
  });
});
