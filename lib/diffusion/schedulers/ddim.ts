/**
 * DDIMScheduler (Song et al. 2020), transcribed from diffusers 0.27.2 `scheduling_ddim.py`.
 * `eta` is a `step` keyword in diffusers (the pipelines pass `eta=0.0` unless asked);
 * here it is a constructor option / public field because `step` has a fixed signature.
 */
import type { NoiseSource } from '../../random/noise-source';
import type { LinearForm, LinearStep, LinearTerms, Scheduler, SchedulerConfig, SchedulerStepOutput } from './types';
import { MODEL, NOISE, SAMPLE, combine } from './linear-apply';
import {
  PREDICTION_TYPES,
  TIMESTEP_SPACINGS,
  addNoiseVp,
  alphaProdAt,
  alphasCumprodOf,
  checkInferenceSteps,
  discreteScheduleProblem,
  checkSameLength,
  discreteTimesteps,
  drawNoise,
  expectBoolean,
  expectNumber,
  expectOneOf,
  makeBetas,
  range,
  rejectThresholding,
  rescaleZeroTerminalSnr,
  stepCountProblem,
  withDefaults,
  type PredictionType,
  type RawSchedulerConfig,
  type TimestepSpacing,
} from './common';

const CLASS = 'DDIMScheduler';

/** `DDIMScheduler.__init__` defaults in diffusers 0.27.2. */
export const DDIM_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  clip_sample: true,
  set_alpha_to_one: true,
  steps_offset: 0,
  prediction_type: 'epsilon',
  thresholding: false,
  dynamic_thresholding_ratio: 0.995,
  clip_sample_range: 1.0,
  sample_max_value: 1.0,
  timestep_spacing: 'leading',
  rescale_betas_zero_snr: false,
} as const;

export interface DDIMOptions {
  /** η of the DDIM paper: 0 is deterministic DDIM, 1 is DDPM-like. Default 0. */
  eta?: number;
  /** diffusers' `use_clipped_model_output`: recompute ε from the clipped x0. Default false. */
  useClippedModelOutput?: boolean;
}

export class DDIMScheduler implements Scheduler {
  readonly name = CLASS;
  readonly order = 1;
  readonly initNoiseSigma = 1.0;
  readonly config: Readonly<SchedulerConfig>;
  eta: number;
  useClippedModelOutput: boolean;
  /** Single-step: no registers; η and useClippedModelOutput are read at each step. */
  readonly linear: LinearForm;

  private readonly T: number;
  private readonly spacing: TimestepSpacing;
  private readonly stepsOffset: number;
  private readonly predictionType: PredictionType;
  private readonly clipSample: boolean;
  private readonly clipSampleRange: number;
  /** The training β table (after zero-SNR rescaling when configured), float32 values. */
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  private readonly finalAlphaCumprod: number;
  private numInferenceSteps: number | null = null;
  private _timesteps: number[];

  constructor(config: RawSchedulerConfig = {}, options: DDIMOptions = {}) {
    const c = withDefaults(CLASS, config, DDIM_DEFAULTS);
    this.config = c;
    this.T = expectNumber(CLASS, 'num_train_timesteps', c.num_train_timesteps, { integer: true, min: 1 });
    this.spacing = expectOneOf(CLASS, 'timestep_spacing', c.timestep_spacing, TIMESTEP_SPACINGS);
    this.stepsOffset = expectNumber(CLASS, 'steps_offset', c.steps_offset, { integer: true, min: 0 });
    this.predictionType = expectOneOf(CLASS, 'prediction_type', c.prediction_type, PREDICTION_TYPES);
    this.clipSample = expectBoolean(CLASS, 'clip_sample', c.clip_sample);
    this.clipSampleRange = expectNumber(CLASS, 'clip_sample_range', c.clip_sample_range);
    rejectThresholding(CLASS, c);

    let betas = makeBetas(CLASS, c);
    if (expectBoolean(CLASS, 'rescale_betas_zero_snr', c.rescale_betas_zero_snr)) betas = rescaleZeroTerminalSnr(betas);
    this.betas = betas;
    this.alphasCumprod = alphasCumprodOf(betas);
    // At the last step there is no previous ᾱ: SD uses ᾱ_0 (set_alpha_to_one=false), DDIM's paper 1.
    this.finalAlphaCumprod = expectBoolean(CLASS, 'set_alpha_to_one', c.set_alpha_to_one) ? 1.0 : this.alphasCumprod[0];
    this._timesteps = range(this.T).reverse();

    this.eta = options.eta ?? 0;
    this.useClippedModelOutput = options.useClippedModelOutput ?? false;
    this.linear = { problem: () => this.linearProblem(), registers: 0, inputScale: () => 1, step: (t) => this.linearStep(t) };
  }

  get timesteps(): readonly number[] {
    return this._timesteps;
  }

  setTimesteps(numInferenceSteps: number): void {
    checkInferenceSteps(CLASS, numInferenceSteps);
    if (numInferenceSteps > this.T) {
      throw new Error(`${CLASS}.setTimesteps: numInferenceSteps ${numInferenceSteps} cannot be larger than num_train_timesteps ${this.T}`);
    }
    this.numInferenceSteps = numInferenceSteps;
    this._timesteps = discreteTimesteps(this.spacing, this.T, numInferenceSteps, this.stepsOffset);
  }

  stepsProblem(numInferenceSteps: number): string | null {
    const n = numInferenceSteps;
    return (
      stepCountProblem(n, this.T) ??
      discreteScheduleProblem(discreteTimesteps(this.spacing, this.T, n, this.stepsOffset), n, this.T, this.spacing, this.stepsOffset)
    );
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  /** σ_t² of eq. (16) without η. */
  private variance(timestep: number, prevTimestep: number): number {
    const alphaProdT = alphaProdAt(CLASS, this.alphasCumprod, timestep);
    const alphaProdTPrev = prevTimestep >= 0 ? alphaProdAt(CLASS, this.alphasCumprod, prevTimestep) : this.finalAlphaCumprod;
    const betaProdT = 1 - alphaProdT;
    const betaProdTPrev = 1 - alphaProdTPrev;
    return (betaProdTPrev / betaProdT) * (1 - alphaProdT / alphaProdTPrev);
  }

  /** The per-step scalars of `step` (shared with the linear form, so they have one home). */
  private stepScalars(timestep: number): { sqrtA: number; sqrtB: number; sqrtAPrev: number; dirCoeff: number; stdDevT: number } {
    if (this.numInferenceSteps === null) {
      throw new Error(`${CLASS}.step: call setTimesteps before step`);
    }
    // diffusers assumes even spacing for the previous timestep, whatever timestep_spacing is
    const prevTimestep = timestep - Math.floor(this.T / this.numInferenceSteps);
    const alphaProdT = alphaProdAt(CLASS, this.alphasCumprod, timestep);
    const alphaProdTPrev = prevTimestep >= 0 ? alphaProdAt(CLASS, this.alphasCumprod, prevTimestep) : this.finalAlphaCumprod;
    const betaProdT = 1 - alphaProdT;
    const variance = this.variance(timestep, prevTimestep);
    const stdDevT = this.eta * Math.sqrt(variance);
    return {
      sqrtA: Math.sqrt(alphaProdT),
      sqrtB: Math.sqrt(betaProdT),
      sqrtAPrev: Math.sqrt(alphaProdTPrev),
      dirCoeff: Math.sqrt(1 - alphaProdTPrev - stdDevT * stdDevT),
      stdDevT,
    };
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): SchedulerStepOutput {
    const { sqrtA, sqrtB, sqrtAPrev, dirCoeff, stdDevT } = this.stepScalars(timestep);
    checkSameLength(CLASS, modelOutput, sample);
    const lo = -this.clipSampleRange;
    const hi = this.clipSampleRange;

    const n = sample.length;
    const predOriginal = new Float32Array(n);
    const prev = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = sample[i];
      const m = modelOutput[i];
      let x0: number;
      let eps: number;
      if (this.predictionType === 'epsilon') {
        x0 = (x - sqrtB * m) / sqrtA;
        eps = m;
      } else if (this.predictionType === 'sample') {
        x0 = m;
        eps = (x - sqrtA * x0) / sqrtB;
      } else {
        x0 = sqrtA * x - sqrtB * m;
        eps = sqrtA * m + sqrtB * x;
      }
      if (this.clipSample) x0 = Math.min(Math.max(x0, lo), hi);
      if (this.useClippedModelOutput) eps = (x - sqrtA * x0) / sqrtB;
      predOriginal[i] = x0;
      prev[i] = sqrtAPrev * x0 + dirCoeff * eps;
    }
    if (this.eta > 0) {
      const z = drawNoise(CLASS, noise, n);
      for (let i = 0; i < n; i++) prev[i] += stdDevT * z[i];
    }
    return { prevSample: prev, predOriginalSample: predOriginal };
  }

  /** clip_sample clamps x0 elementwise; everything else DDIM does is linear. */
  private linearProblem(): string | null {
    if (this.clipSample) {
      return `${CLASS}: clip_sample true clamps x0 to ±clip_sample_range ${this.clipSampleRange}, which is not linear; set clip_sample false`;
    }
    return null;
  }

  /** `step` as coefficients: x0 and ε in x and the model output, then eq. (12) plus σ_t·z when η > 0. */
  private linearStep(timestep: number): LinearStep {
    const problem = this.linearProblem();
    if (problem) throw new Error(`${CLASS}.linear.step: ${problem}`);
    const { sqrtA, sqrtB, sqrtAPrev, dirCoeff, stdDevT } = this.stepScalars(timestep);
    let x0: LinearTerms;
    let eps: LinearTerms;
    if (this.predictionType === 'epsilon') {
      x0 = combine([1 / sqrtA, SAMPLE], [-sqrtB / sqrtA, MODEL]);
      eps = MODEL;
    } else if (this.predictionType === 'sample') {
      x0 = MODEL;
      eps = combine([1 / sqrtB, SAMPLE], [-sqrtA / sqrtB, x0]);
    } else {
      x0 = combine([sqrtA, SAMPLE], [-sqrtB, MODEL]);
      eps = combine([sqrtA, MODEL], [sqrtB, SAMPLE]);
    }
    if (this.useClippedModelOutput) eps = combine([1 / sqrtB, SAMPLE], [-sqrtA / sqrtB, x0]);
    const drawsNoise = this.eta > 0;
    const prevSample = combine([sqrtAPrev, x0], [dirCoeff, eps], [drawsNoise ? stdDevT : 0, NOISE]);
    return { drawsNoise, prevSample, predOriginalSample: x0, registers: [] };
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addNoiseVp(original, noise, alphaProdAt(CLASS, this.alphasCumprod, timestep));
  }
}
