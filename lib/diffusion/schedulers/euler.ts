/**
 * EulerDiscreteScheduler (Karras et al. 2022, Algorithm 2), transcribed from diffusers
 * 0.27.2 `scheduling_euler_discrete.py`.
 *
 * Sigma-space: x is scaled by 1/sqrt(σ²+1) before the U-Net, and the step is an Euler
 * step of dx/dσ = (x − x0)/σ. Timesteps stay float32 (fractional for linspace spacing or
 * Karras sigmas), as diffusers has them. `step` draws one noise tensor every call, even
 * when s_churn = 0 multiplies it by zero, so the noise stream stays aligned with
 * diffusers' generator (with no NoiseSource and no churn the draw is skipped).
 */
import type { NoiseSource } from '../../random/noise-source';
import type { LinearForm, LinearStep, Scheduler, SchedulerConfig, SchedulerStepOutput } from './types';
import { MODEL, NOISE, SAMPLE, combine } from './linear-apply';
import {
  PREDICTION_TYPES,
  TIMESTEP_SPACINGS,
  alphasCumprodOf,
  checkInferenceSteps,
  checkSameLength,
  drawNoise,
  eulerTimesteps,
  expectBoolean,
  expectNumber,
  expectOneOf,
  f32,
  indexForTimestep,
  karrasSigmas,
  makeBetas,
  npInterp,
  npLinspace,
  range,
  rescaleZeroTerminalSnr,
  sigmaToT,
  sigmasFromAlphasCumprod,
  torchLinspaceF32,
  stepCountProblem,
  withDefaults,
  type PredictionType,
  type RawSchedulerConfig,
  type TimestepSpacing,
} from './common';

const CLASS = 'EulerDiscreteScheduler';

/** `EulerDiscreteScheduler.__init__` defaults in diffusers 0.27.2. */
export const EULER_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  prediction_type: 'epsilon',
  interpolation_type: 'linear',
  use_karras_sigmas: false,
  sigma_min: null,
  sigma_max: null,
  timestep_spacing: 'linspace',
  timestep_type: 'discrete',
  steps_offset: 0,
  rescale_betas_zero_snr: false,
} as const;

/** `step` keywords of diffusers' EulerDiscreteScheduler (the pipelines leave them at default). */
export interface EulerOptions {
  sChurn?: number;
  sTmin?: number;
  sTmax?: number;
  sNoise?: number;
}

export class EulerDiscreteScheduler implements Scheduler {
  readonly name = CLASS;
  readonly order = 1;
  readonly config: Readonly<SchedulerConfig>;
  sChurn: number;
  sTmin: number;
  sTmax: number;
  sNoise: number;
  /** Single-step, every config linear (s_churn included: the churn noise enters linearly). */
  readonly linear: LinearForm;

  private readonly T: number;
  private readonly spacing: TimestepSpacing;
  private readonly stepsOffset: number;
  private readonly predictionType: PredictionType;
  private readonly interpolationType: 'linear' | 'log_linear';
  private readonly useKarras: boolean;
  private readonly continuousV: boolean;
  /** The training β table (after zero-SNR rescaling when configured), float32 values. */
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  /** σ of every train timestep, ascending (float32 values). */
  private readonly trainSigmas: Float64Array;
  private readonly trainLogSigmas: Float64Array;

  /** float32 values; the schedule's σ followed by a final 0. */
  private _sigmas: number[];
  private _timesteps: number[];
  private stepIndex: number | null = null;
  private beginIndex: number | null = null;

  constructor(config: RawSchedulerConfig = {}, options: EulerOptions = {}) {
    const c = withDefaults(CLASS, config, EULER_DEFAULTS);
    this.config = c;
    this.T = expectNumber(CLASS, 'num_train_timesteps', c.num_train_timesteps, { integer: true, min: 2 });
    this.spacing = expectOneOf(CLASS, 'timestep_spacing', c.timestep_spacing, TIMESTEP_SPACINGS);
    this.stepsOffset = expectNumber(CLASS, 'steps_offset', c.steps_offset, { integer: true, min: 0 });
    // 'original_sample' is Euler's older spelling of 'sample'
    const pt = expectOneOf(CLASS, 'prediction_type', c.prediction_type, [...PREDICTION_TYPES, 'original_sample'] as const);
    this.predictionType = pt === 'original_sample' ? 'sample' : pt;
    this.interpolationType = expectOneOf(CLASS, 'interpolation_type', c.interpolation_type, ['linear', 'log_linear'] as const);
    this.useKarras = expectBoolean(CLASS, 'use_karras_sigmas', c.use_karras_sigmas);
    const timestepType = expectOneOf(CLASS, 'timestep_type', c.timestep_type, ['discrete', 'continuous'] as const);
    this.continuousV = timestepType === 'continuous' && this.predictionType === 'v_prediction';
    if (c.sigma_min !== null) expectNumber(CLASS, 'sigma_min', c.sigma_min, { minExclusive: 0 });
    if (c.sigma_max !== null) expectNumber(CLASS, 'sigma_max', c.sigma_max, { minExclusive: 0 });

    let betas = makeBetas(CLASS, c);
    const rescale = expectBoolean(CLASS, 'rescale_betas_zero_snr', c.rescale_betas_zero_snr);
    if (rescale) betas = rescaleZeroTerminalSnr(betas);
    this.betas = betas;
    this.alphasCumprod = alphasCumprodOf(betas);
    // zero terminal SNR would make σ_T infinite; diffusers pins ᾱ_T to 2^-24
    if (rescale) this.alphasCumprod[this.alphasCumprod.length - 1] = 2 ** -24;
    this.trainSigmas = sigmasFromAlphasCumprod(this.alphasCumprod);
    this.trainLogSigmas = this.trainSigmas.map((s) => f32(Math.log(s)));

    // before setTimesteps: the full train schedule, as diffusers' __init__ leaves it
    const desc = Array.from(this.trainSigmas).reverse();
    this._timesteps = this.continuousV
      ? desc.map((s) => f32(0.25 * Math.log(s)))
      : npLinspace(0, this.T - 1, this.T)
          .reverse()
          .map(f32);
    this._sigmas = [...desc, 0];

    this.sChurn = options.sChurn ?? 0;
    this.sTmin = options.sTmin ?? 0;
    this.sTmax = options.sTmax ?? Infinity;
    this.sNoise = options.sNoise ?? 1;
    this.linear = { problem: () => null, registers: 0, inputScale: (t) => 1 / this.inputDivisor(t), step: (t) => this.linearStep(t) };
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

  /** img2img: start at this index (diffusers' `set_begin_index`). */
  setBeginIndex(beginIndex: number): void {
    this.beginIndex = beginIndex;
  }

  /** diffusers' ≤ num_train_timesteps; sigmas are interpolated (clamped), so any timestep runs. */
  stepsProblem(numInferenceSteps: number): string | null {
    return stepCountProblem(numInferenceSteps, this.T);
  }

  setTimesteps(numInferenceSteps: number): void {
    checkInferenceSteps(CLASS, numInferenceSteps);
    const n = numInferenceSteps;
    let timesteps: number[] = eulerTimesteps(this.spacing, this.T, n, this.stepsOffset);

    let sigmas: number[];
    if (this.interpolationType === 'linear') {
      const xp = range(this.trainSigmas.length);
      sigmas = timesteps.map((t) => npInterp(t, xp, this.trainSigmas));
    } else {
      // torch.linspace(log σ[-1], log σ[0], n+1).exp(): n+1 sigmas, as diffusers has it
      const s = this.trainSigmas;
      sigmas = Array.from(torchLinspaceF32(Math.log(s[s.length - 1]), Math.log(s[0]), n + 1), (v) => f32(Math.exp(v)));
    }
    if (this.useKarras) {
      // Karras between the ends of the interpolated schedule (so it depends on the spacing)
      const sigmaMin = (this.config.sigma_min as number | null) ?? sigmas[sigmas.length - 1];
      const sigmaMax = (this.config.sigma_max as number | null) ?? sigmas[0];
      sigmas = karrasSigmas(sigmaMin, sigmaMax, n);
      timesteps = sigmas.map((s) => f32(sigmaToT(s, this.trainLogSigmas)));
    }
    const sigmas32 = sigmas.map(f32);
    this._timesteps = this.continuousV ? sigmas32.map((s) => f32(0.25 * Math.log(s))) : timesteps;
    this._sigmas = [...sigmas32, 0];
    this.stepIndex = null;
    this.beginIndex = null;
  }

  private initStepIndex(timestep: number): void {
    this.stepIndex = this.beginIndex === null ? indexForTimestep(CLASS, this._timesteps, timestep, { float32: true }) : this.beginIndex;
  }

  /** sqrt(σ² + 1) at the current step (the U-Net input is x / this); starts the step index as diffusers does. */
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

  /** The per-step scalars of `step` (shared with the linear form, so they have one home). */
  private stepScalars(timestep: number): {
    idx: number;
    gamma: number;
    sigmaHat: number;
    churn: number;
    dt: number;
    vScale: number;
    vSampleScale: number;
  } {
    if (this.stepIndex === null) this.initStepIndex(timestep);
    const idx = this.stepIndex as number;
    if (idx + 1 >= this._sigmas.length) {
      throw new Error(`${CLASS}.step: called more times than there are timesteps (${this._timesteps.length})`);
    }
    const sigma = this._sigmas[idx];
    const gamma = this.sTmin <= sigma && sigma <= this.sTmax ? Math.min(this.sChurn / (this._sigmas.length - 1), 2 ** 0.5 - 1) : 0;
    const sigmaHat = sigma * (gamma + 1);
    return {
      idx,
      gamma,
      sigmaHat,
      churn: gamma > 0 ? Math.sqrt(sigmaHat * sigmaHat - sigma * sigma) * this.sNoise : 0,
      dt: this._sigmas[idx + 1] - sigmaHat,
      vScale: -sigma / Math.sqrt(sigma * sigma + 1),
      vSampleScale: 1 / (sigma * sigma + 1),
    };
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): SchedulerStepOutput {
    checkSameLength(CLASS, modelOutput, sample);
    const { idx, gamma, sigmaHat, churn, dt, vScale, vSampleScale } = this.stepScalars(timestep);
    // diffusers draws this noise on every step; skip only when it cannot matter and no source is given
    const z = gamma > 0 || noise ? drawNoise(CLASS, noise, sample.length) : null;

    const n = sample.length;
    const predOriginal = new Float32Array(n);
    const prev = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = gamma > 0 ? sample[i] + (z as Float32Array)[i] * churn : sample[i];
      const m = modelOutput[i];
      const x0 = this.predictionType === 'epsilon' ? x - sigmaHat * m : this.predictionType === 'v_prediction' ? m * vScale + x * vSampleScale : m;
      const derivative = (x - x0) / sigmaHat;
      predOriginal[i] = x0;
      prev[i] = x + derivative * dt;
    }
    this.stepIndex = idx + 1;
    return { prevSample: prev, predOriginalSample: predOriginal };
  }

  /**
   * `step` as coefficients: the churned x̂ = x + churn·z, x0 from x̂ and the model output, and
   * the Euler step x̂ + dt·(x̂ − x0)/σ̂. It draws noise on every step, as step() does when given
   * a NoiseSource (the pipeline always gives one), with coefficient 0 when γ = 0.
   */
  private linearStep(timestep: number): LinearStep {
    const { idx, gamma, sigmaHat, churn, dt, vScale, vSampleScale } = this.stepScalars(timestep);
    const x = gamma > 0 ? combine([1, SAMPLE], [churn, NOISE]) : SAMPLE;
    const x0 =
      this.predictionType === 'epsilon'
        ? combine([1, x], [-sigmaHat, MODEL])
        : this.predictionType === 'v_prediction'
          ? combine([vScale, MODEL], [vSampleScale, x])
          : MODEL;
    const derivative = combine([1 / sigmaHat, x], [-1 / sigmaHat, x0]);
    this.stepIndex = idx + 1;
    return { drawsNoise: true, prevSample: combine([1, x], [dt, derivative]), predOriginalSample: x0, registers: [] };
  }

  /** x0 + σ·ε at the timestep's σ (begin index when img2img set one). */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    if (original.length !== noise.length) {
      throw new Error(`${CLASS}.addNoise: original has ${original.length} elements but noise has ${noise.length}`);
    }
    const index = this.beginIndex === null ? indexForTimestep(CLASS, this._timesteps, timestep, { float32: true }) : (this.stepIndex ?? this.beginIndex);
    const sigma = this._sigmas[index];
    const out = new Float32Array(original.length);
    for (let i = 0; i < out.length; i++) out[i] = original[i] + noise[i] * sigma;
    return out;
  }
}
