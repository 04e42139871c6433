/**
 * EulerAncestralDiscreteScheduler ("Euler a"), transcribed from diffusers 0.27.2
 * `scheduling_euler_ancestral_discrete.py`: an Euler step down to σ_down followed by fresh
 * noise of size σ_up, with σ_down² + σ_up² = σ_next². One noise draw per step, the last
 * step included (where σ_up = 0).
 */
import type { NoiseSource } from '../../random/noise-source';
import type { LinearForm, LinearStep, Scheduler, SchedulerConfig, SchedulerStepOutput } from './types';
import { MODEL, NOISE, SAMPLE, combine } from './linear-apply';
import {
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
  makeBetas,
  npInterp,
  npLinspace,
  range,
  rescaleZeroTerminalSnr,
  sigmasFromAlphasCumprod,
  stepCountProblem,
  withDefaults,
  type RawSchedulerConfig,
  type TimestepSpacing,
} from './common';

const CLASS = 'EulerAncestralDiscreteScheduler';

/** `EulerAncestralDiscreteScheduler.__init__` defaults in diffusers 0.27.2 (no Karras option there). */
export const EULER_ANCESTRAL_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  prediction_type: 'epsilon',
  timestep_spacing: 'linspace',
  steps_offset: 0,
  rescale_betas_zero_snr: false,
} as const;

export class EulerAncestralDiscreteScheduler implements Scheduler {
  readonly name = CLASS;
  readonly order = 1;
  readonly config: Readonly<SchedulerConfig>;

  private readonly T: number;
  private readonly spacing: TimestepSpacing;
  private readonly stepsOffset: number;
  private readonly predictionType: 'epsilon' | 'v_prediction';
  /** The training β table (after zero-SNR rescaling when configured), float32 values. */
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  private readonly trainSigmas: Float64Array;

  private _sigmas: number[];
  private _timesteps: number[];
  private stepIndex: number | null = null;
  private beginIndex: number | null = null;
  /** Single-step, every config linear. */
  readonly linear: LinearForm;

  constructor(config: RawSchedulerConfig = {}) {
    const c = withDefaults(CLASS, config, EULER_ANCESTRAL_DEFAULTS);
    this.config = c;
    this.T = expectNumber(CLASS, 'num_train_timesteps', c.num_train_timesteps, { integer: true, min: 2 });
    this.spacing = expectOneOf(CLASS, 'timestep_spacing', c.timestep_spacing, TIMESTEP_SPACINGS);
    this.stepsOffset = expectNumber(CLASS, 'steps_offset', c.steps_offset, { integer: true, min: 0 });
    // diffusers raises NotImplementedError("prediction_type not implemented yet: sample")
    this.predictionType = expectOneOf(CLASS, 'prediction_type', c.prediction_type, ['epsilon', 'v_prediction'] as const);

    let betas = makeBetas(CLASS, c);
    const rescale = expectBoolean(CLASS, 'rescale_betas_zero_snr', c.rescale_betas_zero_snr);
    if (rescale) betas = rescaleZeroTerminalSnr(betas);
    this.betas = betas;
    this.alphasCumprod = alphasCumprodOf(betas);
    if (rescale) this.alphasCumprod[this.alphasCumprod.length - 1] = 2 ** -24;
    this.trainSigmas = sigmasFromAlphasCumprod(this.alphasCumprod);

    this._sigmas = [...Array.from(this.trainSigmas).reverse(), 0];
    this._timesteps = npLinspace(0, this.T - 1, this.T).reverse();
    this.linear = { problem: () => null, registers: 0, inputScale: (t) => 1 / this.inputDivisor(t), step: (t) => this.linearStep(t) };
  }

  get timesteps(): readonly number[] {
    return this._timesteps;
  }

  get sigmas(): readonly number[] {
    return this._sigmas;
  }

  get initNoiseSigma(): number {
    const maxSigma = this._sigmas.reduce((m, s) => Math.max(m, s), 0);
    if (this.spacing === 'linspace' || this.spacing === 'trailing') return maxSigma;
    return f32(Math.sqrt(f32(f32(maxSigma * maxSigma) + 1)));
  }

  setBeginIndex(beginIndex: number): void {
    this.beginIndex = beginIndex;
  }

  /** diffusers' ≤ num_train_timesteps; sigmas are interpolated (clamped), so any timestep runs. */
  stepsProblem(numInferenceSteps: number): string | null {
    return stepCountProblem(numInferenceSteps, this.T);
  }

  setTimesteps(numInferenceSteps: number): void {
    checkInferenceSteps(CLASS, numInferenceSteps);
    const timesteps = eulerTimesteps(this.spacing, this.T, numInferenceSteps, this.stepsOffset);
    const xp = range(this.trainSigmas.length);
    this._sigmas = [...timesteps.map((t) => f32(npInterp(t, xp, this.trainSigmas))), 0];
    this._timesteps = timesteps;
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
  private stepScalars(timestep: number): { idx: number; sigma: number; sigmaUp: number; dt: number; vScale: number; vSampleScale: number } {
    if (this.stepIndex === null) this.initStepIndex(timestep);
    const idx = this.stepIndex as number;
    if (idx + 1 >= this._sigmas.length) {
      throw new Error(`${CLASS}.step: called more times than there are timesteps (${this._timesteps.length})`);
    }
    const sigma = this._sigmas[idx];
    const sigmaTo = this._sigmas[idx + 1];
    const sigmaUp = Math.sqrt((sigmaTo * sigmaTo * (sigma * sigma - sigmaTo * sigmaTo)) / (sigma * sigma));
    const sigmaDown = Math.sqrt(sigmaTo * sigmaTo - sigmaUp * sigmaUp);
    return {
      idx,
      sigma,
      sigmaUp,
      dt: sigmaDown - sigma,
      vScale: -sigma / Math.sqrt(sigma * sigma + 1),
      vSampleScale: 1 / (sigma * sigma + 1),
    };
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): SchedulerStepOutput {
    checkSameLength(CLASS, modelOutput, sample);
    const { idx, sigma, sigmaUp, dt, vScale, vSampleScale } = this.stepScalars(timestep);

    const n = sample.length;
    const z = drawNoise(CLASS, noise, n);
    const predOriginal = new Float32Array(n);
    const prev = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = sample[i];
      const m = modelOutput[i];
      const x0 = this.predictionType === 'epsilon' ? x - sigma * m : m * vScale + x * vSampleScale;
      const derivative = (x - x0) / sigma;
      predOriginal[i] = x0;
      prev[i] = x + derivative * dt + z[i] * sigmaUp;
    }
    this.stepIndex = idx + 1;
    return { prevSample: prev, predOriginalSample: predOriginal };
  }

  /** `step` as coefficients: the Euler step to σ_down plus σ_up·z (drawn on every step, the last one too). */
  private linearStep(timestep: number): LinearStep {
    const { idx, sigma, sigmaUp, dt, vScale, vSampleScale } = this.stepScalars(timestep);
    const x0 = this.predictionType === 'epsilon' ? combine([1, SAMPLE], [-sigma, MODEL]) : combine([vScale, MODEL], [vSampleScale, SAMPLE]);
    const derivative = combine([1 / sigma, SAMPLE], [-1 / sigma, x0]);
    this.stepIndex = idx + 1;
    return { drawsNoise: true, prevSample: combine([1, SAMPLE], [dt, derivative], [sigmaUp, NOISE]), predOriginalSample: x0, registers: [] };
  }

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
