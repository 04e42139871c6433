/**
 * HeunDiscreteScheduler (Karras et al. 2022, Algorithm 1 with γ = 0), transcribed from
 * diffusers 0.27.2 `scheduling_heun_discrete.py` (tag v0.27.2, commit b69fd990ad80).
 *
 * diffusers runs each Heun step as two `step` calls, so `timesteps` has 2N − 1 entries
 * ([t0, t1, t1, t2, t2, …]) and `sigmas` 2N ([σ0, σ1, σ1, …, σ_{N−1}, σ_{N−1}, 0]). The
 * first call of a pair is an Euler step that stores its derivative, dt and sample; the
 * second evaluates the model at the Euler result and averages the two derivatives. The last
 * entry (σ_next = 0) is the Euler call alone: 2N − 1 model evaluations in all. `order` is 2,
 * as diffusers has it: img2img pipelines slice `timesteps[t_start * order:]` and call
 * `set_begin_index(t_start * order)`, which lands on the first call of a pair.
 *
 * Sigma-space like Euler (x / sqrt(σ² + 1) into the U-Net, x0 + σ·ε for img2img). Timesteps
 * are float32 as diffusers has them, except with Karras sigmas, where diffusers keeps
 * `_sigma_to_t`'s float64 values (EulerDiscrete casts them to float32; Heun does not).
 * Deterministic: `step` never draws noise.
 */
import type { LinearForm, LinearStep, LinearTerms, Scheduler, SchedulerConfig, SchedulerStepOutput } from './types';
import { MODEL, SAMPLE, ZERO, combine, register } from './linear-apply';
import {
  BETA_SCHEDULES,
  PREDICTION_TYPES,
  TIMESTEP_SPACINGS,
  alphasCumprodOf,
  checkInferenceSteps,
  checkSameLength,
  eulerTimesteps,
  expectBoolean,
  expectNumber,
  expectOneOf,
  f32,
  indexForTimestep,
  karrasSigmas,
  makeBetas,
  npInterp,
  range,
  sigmaToT,
  sigmasFromAlphasCumprod,
  stepCountProblem,
  withDefaults,
  type PredictionType,
  type RawSchedulerConfig,
  type TimestepSpacing,
} from './common';

const CLASS = 'HeunDiscreteScheduler';

/** `HeunDiscreteScheduler.__init__` defaults in diffusers 0.27.2 (its betas default to SD's range, linear). */
export const HEUN_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'linear',
  trained_betas: null,
  prediction_type: 'epsilon',
  use_karras_sigmas: false,
  clip_sample: false,
  clip_sample_range: 1.0,
  timestep_spacing: 'linspace',
  steps_offset: 0,
} as const;

/** Heun's beta schedules: the shared three and `betas_for_alpha_bar(alpha_transform_type="exp")`. */
export const HEUN_BETA_SCHEDULES = [...BETA_SCHEDULES, 'exp'] as const;

/** `betas_for_alpha_bar(T, alpha_transform_type="exp")`: ᾱ(t) = exp(−12t), Python floats, then float32. */
function expBetas(T: number, maxBeta = 0.999): Float64Array {
  const alphaBar = (t: number) => Math.exp(t * -12.0);
  const out = new Float64Array(T);
  for (let i = 0; i < T; i++) out[i] = f32(Math.min(1 - alphaBar((i + 1) / T) / alphaBar(i / T), maxBeta));
  return out;
}

/** The scalars of one `step` call, shared by step() and the linear form. */
interface StepScalars {
  idx: number;
  firstOrder: boolean;
  /** σ̂ on the first call, σ_next on the second: what x0 is computed with and the derivative divides by. */
  sigma: number;
  /** σ_next − σ̂ (first call); the stored one on the second. */
  dt: number;
}

export class HeunDiscreteScheduler implements Scheduler {
  readonly name = CLASS;
  readonly order = 2;
  readonly config: Readonly<SchedulerConfig>;
  /**
   * Two registers between the calls of a pair: r0 the first call's derivative, r1 its sample
   * (diffusers' `prev_derivative` and `sample`; dt is a scalar the scheduler keeps).
   */
  readonly linear: LinearForm;

  private readonly T: number;
  private readonly spacing: TimestepSpacing;
  private readonly stepsOffset: number;
  private readonly predictionType: PredictionType;
  private readonly useKarras: boolean;
  private readonly clipSample: boolean;
  private readonly clipSampleRange: number;
  /** The training β table, float32 values. */
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  /** σ of every train timestep, ascending (float32 values). */
  private readonly trainSigmas: Float64Array;
  private readonly trainLogSigmas: Float64Array;

  private _timesteps: number[];
  /** float32 values, 2N of them (see the file comment). */
  private _sigmas: number[];
  private stepIndex: number | null = null;
  private beginIndex: number | null = null;
  /** diffusers' `self.dt`: null in "first order" state, set between the two calls of a pair. */
  private dt: number | null = null;
  private prevDerivative: Float32Array | null = null;
  private storedSample: Float32Array | null = null;

  constructor(config: RawSchedulerConfig = {}) {
    const c = withDefaults(CLASS, config, HEUN_DEFAULTS);
    this.config = c;
    this.T = expectNumber(CLASS, 'num_train_timesteps', c.num_train_timesteps, { integer: true, min: 2 });
    this.spacing = expectOneOf(CLASS, 'timestep_spacing', c.timestep_spacing, TIMESTEP_SPACINGS);
    this.stepsOffset = expectNumber(CLASS, 'steps_offset', c.steps_offset, { integer: true, min: 0 });
    this.predictionType = expectOneOf(CLASS, 'prediction_type', c.prediction_type, PREDICTION_TYPES);
    this.useKarras = expectBoolean(CLASS, 'use_karras_sigmas', c.use_karras_sigmas);
    this.clipSample = expectBoolean(CLASS, 'clip_sample', c.clip_sample);
    this.clipSampleRange = expectNumber(CLASS, 'clip_sample_range', c.clip_sample_range);
    // diffusers' `_convert_to_karras` reads sigma_min / sigma_max when a config carries them
    // (from_config hands over an Euler config's keys); null means "the schedule's own ends"
    for (const key of ['sigma_min', 'sigma_max'] as const) {
      if (c[key] !== undefined && c[key] !== null) expectNumber(CLASS, key, c[key], { minExclusive: 0 });
    }

    // trained_betas replaces the schedule (beta_schedule is then unused, as in diffusers)
    const schedule = c.trained_betas == null ? expectOneOf(CLASS, 'beta_schedule', c.beta_schedule, HEUN_BETA_SCHEDULES) : null;
    this.betas = schedule === 'exp' ? expBetas(this.T) : makeBetas(CLASS, c, BETA_SCHEDULES);
    this.alphasCumprod = alphasCumprodOf(this.betas);
    this.trainSigmas = sigmasFromAlphasCumprod(this.alphasCumprod);
    this.trainLogSigmas = this.trainSigmas.map((s) => f32(Math.log(s)));

    // diffusers' __init__ runs set_timesteps(num_train_timesteps)
    const { timesteps, sigmas } = this.schedule(this.T);
    this._timesteps = timesteps;
    this._sigmas = sigmas;
    this.linear = { problem: () => this.linearProblem(), registers: 2, inputScale: (t) => 1 / this.inputDivisor(t), step: (t) => this.linearStep(t) };
  }

  get timesteps(): readonly number[] {
    return this._timesteps;
  }

  get sigmas(): readonly number[] {
    return this._sigmas;
  }

  /** Leading spacing starts below σ_max, so the initial latent is scaled by sqrt(σ²+1). */
  get initNoiseSigma(): number {
    const maxSigma = this._sigmas.reduce((m, s) => Math.max(m, s), 0);
    if (this.spacing === 'linspace' || this.spacing === 'trailing') return maxSigma;
    return f32(Math.sqrt(f32(f32(maxSigma * maxSigma) + 1)));
  }

  /** img2img: start at this index (diffusers' `set_begin_index`; pipelines pass t_start · order). */
  setBeginIndex(beginIndex: number): void {
    this.beginIndex = beginIndex;
  }

  /**
   * diffusers' ≤ num_train_timesteps. Sigmas are interpolated (clamped) and every divisor is a
   * schedule σ > 0 (the σ = 0 entry is only ever σ_next of the final Euler call), so any count runs.
   */
  stepsProblem(numInferenceSteps: number): string | null {
    return stepCountProblem(numInferenceSteps, this.T);
  }

  /** diffusers' set_timesteps: N timesteps and N + 1 sigmas, then the interior ones doubled. */
  private schedule(n: number): { timesteps: number[]; sigmas: number[] } {
    let timesteps = eulerTimesteps(this.spacing, this.T, n, this.stepsOffset);
    const xp = range(this.trainSigmas.length);
    let sigmas = timesteps.map((t) => npInterp(t, xp, this.trainSigmas));
    if (this.useKarras) {
      // Karras between the ends of the interpolated schedule (so it depends on the spacing)
      const sigmaMin = typeof this.config.sigma_min === 'number' ? this.config.sigma_min : sigmas[sigmas.length - 1];
      const sigmaMax = typeof this.config.sigma_max === 'number' ? this.config.sigma_max : sigmas[0];
      sigmas = karrasSigmas(sigmaMin, sigmaMax, n);
      // float64, not rounded to float32 (torch.from_numpy of a float64 array)
      timesteps = sigmas.map((s) => sigmaToT(s, this.trainLogSigmas));
    }
    const s32 = [...sigmas, 0].map(f32);
    // cat([σ[:1], σ[1:-1].repeat_interleave(2), σ[-1:]]) and cat([t[:1], t[1:].repeat_interleave(2)])
    const doubledSigmas = [s32[0], ...s32.slice(1, -1).flatMap((s) => [s, s]), s32[s32.length - 1]];
    const doubledTimesteps = [timesteps[0], ...timesteps.slice(1).flatMap((t) => [t, t])];
    return { timesteps: doubledTimesteps, sigmas: doubledSigmas };
  }

  setTimesteps(numInferenceSteps: number): void {
    checkInferenceSteps(CLASS, numInferenceSteps);
    const { timesteps, sigmas } = this.schedule(numInferenceSteps);
    this._timesteps = timesteps;
    this._sigmas = sigmas;
    this.dt = null;
    this.prevDerivative = null;
    this.storedSample = null;
    this.stepIndex = null;
    this.beginIndex = null;
  }

  private initStepIndex(timestep: number): void {
    // float32 schedules compare as torch compares them with a Python float; Karras' are float64
    this.stepIndex = this.beginIndex === null ? indexForTimestep(CLASS, this._timesteps, timestep, { float32: !this.useKarras }) : this.beginIndex;
  }

  /** sqrt(σ² + 1) at the current step index (σ_next on a pair's second call); starts the index as diffusers does. */
  private inputDivisor(timestep: number): number {
    if (this.stepIndex === null) this.initStepIndex(timestep);
    const sigma = this._sigmas[this.stepIndex as number];
    return Math.sqrt(sigma * sigma + 1);
  }

  scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    const scale = this.inputDivisor(timestep);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) out[i] = sample[i] / scale;
    return out;
  }

  private stepScalars(timestep: number): StepScalars {
    if (this.stepIndex === null) this.initStepIndex(timestep);
    const idx = this.stepIndex as number;
    if (idx >= this._timesteps.length) {
      throw new Error(`${CLASS}.step: called more times than there are timesteps (${this._timesteps.length})`);
    }
    if (this.dt === null) {
      // γ = 0 (diffusers supports no churn here), so σ̂ = σ
      const sigmaHat = this._sigmas[idx];
      return { idx, firstOrder: true, sigma: sigmaHat, dt: this._sigmas[idx + 1] - sigmaHat };
    }
    return { idx, firstOrder: false, sigma: this._sigmas[idx], dt: this.dt };
  }

  /** x0 from x and the model output at σ (clip_sample clamps it). */
  private predictX0(x: number, m: number, sigma: number): number {
    let x0: number;
    if (this.predictionType === 'epsilon') x0 = x - sigma * m;
    else if (this.predictionType === 'v_prediction') x0 = m * (-sigma / Math.sqrt(sigma * sigma + 1)) + x / (sigma * sigma + 1);
    else x0 = m;
    if (this.clipSample) x0 = Math.min(Math.max(x0, -this.clipSampleRange), this.clipSampleRange);
    return x0;
  }

  /** Draws no noise (a NoiseSource passed as the 4th argument is not read). */
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): SchedulerStepOutput {
    checkSameLength(CLASS, modelOutput, sample);
    const { idx, firstOrder, sigma, dt } = this.stepScalars(timestep);
    const n = sample.length;
    const predOriginal = new Float32Array(n);
    // the first call's derivative is kept as float32, as diffusers' tensor (and register r0) is
    const firstDerivative = firstOrder ? new Float32Array(n) : null;
    const prev = new Float32Array(n);
    const base = firstOrder ? sample : (this.storedSample as Float32Array);
    const prevDerivative = this.prevDerivative as Float32Array;
    if (!firstOrder && base.length !== n) {
      throw new Error(`${CLASS}.step: the sample has ${n} elements but the first call of this step had ${base.length}`);
    }
    for (let i = 0; i < n; i++) {
      const x0 = this.predictX0(sample[i], modelOutput[i], sigma);
      predOriginal[i] = x0;
      const d = (sample[i] - x0) / sigma;
      if (firstDerivative) firstDerivative[i] = d;
      prev[i] = base[i] + (firstOrder ? d : (prevDerivative[i] + d) / 2) * dt;
    }
    this.endStep(idx, firstOrder, dt, firstDerivative, sample);
    return { prevSample: prev, predOriginalSample: predOriginal };
  }

  /** The state change of a call: store (first call) or free (second) diffusers' dt, derivative and sample. */
  private endStep(idx: number, firstOrder: boolean, dt: number, derivative: Float32Array | null, sample: Float32Array | null): void {
    if (firstOrder) {
      this.dt = dt;
      this.prevDerivative = derivative;
      // a copy: the caller may reuse its latent buffer before the second call
      this.storedSample = sample && sample.slice();
    } else {
      this.dt = null;
      this.prevDerivative = null;
      this.storedSample = null;
    }
    this.stepIndex = idx + 1;
  }

  /** clip_sample clamps x0 elementwise; everything else Heun does is linear. */
  private linearProblem(): string | null {
    if (this.clipSample) {
      return `${CLASS}: clip_sample true clamps x0 to ±clip_sample_range ${this.clipSampleRange}, which is not linear; set clip_sample false`;
    }
    return null;
  }

  /** predictX0 as coefficients (without clipping: linearProblem refuses it). */
  private linearX0(sigma: number): LinearTerms {
    if (this.predictionType === 'epsilon') return combine([1, SAMPLE], [-sigma, MODEL]);
    if (this.predictionType === 'v_prediction') return combine([-sigma / Math.sqrt(sigma * sigma + 1), MODEL], [1 / (sigma * sigma + 1), SAMPLE]);
    return MODEL;
  }

  /**
   * `step` as coefficients. First call: d = (x − x0)/σ, x + dt·d, and r0 = d, r1 = x for the
   * second. Second call: x' + dt·(r0 + d')/2 taken from r1, with d' = (x' − x0')/σ_next; the
   * registers are then free (the next first call overwrites them without reading).
   */
  private linearStep(timestep: number): LinearStep {
    const problem = this.linearProblem();
    if (problem) throw new Error(`${CLASS}.linear.step: ${problem}`);
    const { idx, firstOrder, sigma, dt } = this.stepScalars(timestep);
    const x0 = this.linearX0(sigma);
    const d = combine([1 / sigma, SAMPLE], [-1 / sigma, x0]);
    let step: LinearStep;
    if (firstOrder) {
      step = { drawsNoise: false, prevSample: combine([1, SAMPLE], [dt, d]), predOriginalSample: x0, registers: [d, SAMPLE] };
    } else {
      const average = combine([0.5, register(0)], [0.5, d]);
      step = { drawsNoise: false, prevSample: combine([1, register(1)], [dt, average]), predOriginalSample: x0, registers: [ZERO, ZERO] };
    }
    this.endStep(idx, firstOrder, dt, null, null);
    return step;
  }

  /** x0 + σ·ε at the timestep's σ (begin index when img2img set one). */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    if (original.length !== noise.length) {
      throw new Error(`${CLASS}.addNoise: original has ${original.length} elements but noise has ${noise.length}`);
    }
    const index =
      this.beginIndex === null ? indexForTimestep(CLASS, this._timesteps, timestep, { float32: !this.useKarras }) : (this.stepIndex ?? this.beginIndex);
    const sigma = this._sigmas[index];
    const out = new Float32Array(original.length);
    for (let i = 0; i < out.length; i++) out[i] = original[i] + noise[i] * sigma;
    return out;
  }
}
