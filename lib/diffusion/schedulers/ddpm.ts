/**
 * DDPMScheduler (Ho et al. 2020), transcribed from diffusers 0.27.2 `scheduling_ddpm.py`.
 * Ancestral: every step with t > 0 draws one noise tensor.
 * Not ported: custom timestep lists, learned variances (the model would return 2×C
 * channels), and `fixed_large_log` (diffusers takes the square root of a log there and
 * produces NaN).
 */
import type { NoiseSource } from '../../random/noise-source';
import type { LinearForm, LinearStep, Scheduler, SchedulerConfig, SchedulerStepOutput } from './types';
import { MODEL, NOISE, SAMPLE, combine } from './linear-apply';
import {
  DDPM_BETA_SCHEDULES,
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

const CLASS = 'DDPMScheduler';

/** `DDPMScheduler.__init__` defaults in diffusers 0.27.2. */
export const DDPM_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  variance_type: 'fixed_small',
  clip_sample: true,
  prediction_type: 'epsilon',
  thresholding: false,
  dynamic_thresholding_ratio: 0.995,
  clip_sample_range: 1.0,
  sample_max_value: 1.0,
  timestep_spacing: 'leading',
  steps_offset: 0,
  rescale_betas_zero_snr: false,
} as const;

const VARIANCE_TYPES = ['fixed_small', 'fixed_small_log', 'fixed_large'] as const;
type VarianceType = (typeof VARIANCE_TYPES)[number];

export class DDPMScheduler implements Scheduler {
  readonly name = CLASS;
  readonly order = 1;
  readonly initNoiseSigma = 1.0;
  readonly config: Readonly<SchedulerConfig>;
  /** Single-step: no registers. */
  readonly linear: LinearForm;

  private readonly T: number;
  private readonly spacing: TimestepSpacing;
  private readonly stepsOffset: number;
  private readonly predictionType: PredictionType;
  private readonly varianceType: VarianceType;
  private readonly clipSample: boolean;
  private readonly clipSampleRange: number;
  /** The training β table (after zero-SNR rescaling when configured), float32 values. */
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  /** null until setTimesteps: then `step` walks all T train timesteps, as in diffusers. */
  private numInferenceSteps: number | null = null;
  private _timesteps: number[];

  constructor(config: RawSchedulerConfig = {}) {
    const c = withDefaults(CLASS, config, DDPM_DEFAULTS);
    this.config = c;
    this.T = expectNumber(CLASS, 'num_train_timesteps', c.num_train_timesteps, { integer: true, min: 1 });
    this.spacing = expectOneOf(CLASS, 'timestep_spacing', c.timestep_spacing, TIMESTEP_SPACINGS);
    this.stepsOffset = expectNumber(CLASS, 'steps_offset', c.steps_offset, { integer: true, min: 0 });
    this.predictionType = expectOneOf(CLASS, 'prediction_type', c.prediction_type, PREDICTION_TYPES);
    this.varianceType = expectOneOf(CLASS, 'variance_type', c.variance_type, VARIANCE_TYPES);
    this.clipSample = expectBoolean(CLASS, 'clip_sample', c.clip_sample);
    this.clipSampleRange = expectNumber(CLASS, 'clip_sample_range', c.clip_sample_range);
    rejectThresholding(CLASS, c);

    let betas = makeBetas(CLASS, c, DDPM_BETA_SCHEDULES);
    if (expectBoolean(CLASS, 'rescale_betas_zero_snr', c.rescale_betas_zero_snr)) betas = rescaleZeroTerminalSnr(betas);
    this.betas = betas;
    this.alphasCumprod = alphasCumprodOf(betas);
    this._timesteps = range(this.T).reverse();
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

  private previousTimestep(t: number): number {
    return t - Math.floor(this.T / (this.numInferenceSteps ?? this.T));
  }

  /** `_get_variance` for the fixed variance types: the value multiplied into the noise. */
  private noiseScale(t: number): number {
    const prevT = this.previousTimestep(t);
    const alphaProdT = alphaProdAt(CLASS, this.alphasCumprod, t);
    const alphaProdTPrev = prevT >= 0 ? alphaProdAt(CLASS, this.alphasCumprod, prevT) : 1.0;
    const currentBetaT = 1 - alphaProdT / alphaProdTPrev;
    // β̃_t of eq. (7), clamped so that the log of fixed_small_log stays finite
    const variance = Math.max(((1 - alphaProdTPrev) / (1 - alphaProdT)) * currentBetaT, 1e-20);
    switch (this.varianceType) {
      case 'fixed_small':
        return Math.sqrt(variance);
      case 'fixed_small_log':
        // diffusers returns exp(0.5·log σ²) and multiplies it in without a further sqrt
        return Math.exp(0.5 * Math.log(variance));
      case 'fixed_large':
        return Math.sqrt(currentBetaT);
    }
  }

  /** The per-step scalars of `step` (shared with the linear form, so they have one home). */
  private stepScalars(t: number): { sqrtA: number; sqrtB: number; predOriginalCoeff: number; currentSampleCoeff: number } {
    const prevT = this.previousTimestep(t);
    const alphaProdT = alphaProdAt(CLASS, this.alphasCumprod, t);
    const alphaProdTPrev = prevT >= 0 ? alphaProdAt(CLASS, this.alphasCumprod, prevT) : 1.0;
    const betaProdT = 1 - alphaProdT;
    const betaProdTPrev = 1 - alphaProdTPrev;
    const currentAlphaT = alphaProdT / alphaProdTPrev;
    const currentBetaT = 1 - currentAlphaT;
    return {
      sqrtA: Math.sqrt(alphaProdT),
      sqrtB: Math.sqrt(betaProdT),
      // eq. (7): μ̃_t = c0·x0 + ct·x_t
      predOriginalCoeff: (Math.sqrt(alphaProdTPrev) * currentBetaT) / betaProdT,
      currentSampleCoeff: (Math.sqrt(currentAlphaT) * betaProdTPrev) / betaProdT,
    };
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): SchedulerStepOutput {
    checkSameLength(CLASS, modelOutput, sample);
    const t = timestep;
    const { sqrtA, sqrtB, predOriginalCoeff, currentSampleCoeff } = this.stepScalars(t);
    const lo = -this.clipSampleRange;
    const hi = this.clipSampleRange;

    const n = sample.length;
    const predOriginal = new Float32Array(n);
    const prev = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = sample[i];
      const m = modelOutput[i];
      let x0 = this.predictionType === 'epsilon' ? (x - sqrtB * m) / sqrtA : this.predictionType === 'sample' ? m : sqrtA * x - sqrtB * m;
      if (this.clipSample) x0 = Math.min(Math.max(x0, lo), hi);
      predOriginal[i] = x0;
      prev[i] = predOriginalCoeff * x0 + currentSampleCoeff * x;
    }
    if (t > 0) {
      const z = drawNoise(CLASS, noise, n);
      const s = this.noiseScale(t);
      for (let i = 0; i < n; i++) prev[i] += s * z[i];
    }
    return { prevSample: prev, predOriginalSample: predOriginal };
  }

  /** clip_sample (on by default in DDPMScheduler) clamps x0 elementwise; the rest is linear. */
  private linearProblem(): string | null {
    if (this.clipSample) {
      return `${CLASS}: clip_sample true (the class default) clamps x0 to ±clip_sample_range ${this.clipSampleRange}, which is not linear; set clip_sample false`;
    }
    return null;
  }

  /** `step` as coefficients: μ̃_t of eq. (7) in x and the model output, plus the fixed-variance noise for t > 0. */
  private linearStep(t: number): LinearStep {
    const problem = this.linearProblem();
    if (problem) throw new Error(`${CLASS}.linear.step: ${problem}`);
    const { sqrtA, sqrtB, predOriginalCoeff, currentSampleCoeff } = this.stepScalars(t);
    const x0 =
      this.predictionType === 'epsilon'
        ? combine([1 / sqrtA, SAMPLE], [-sqrtB / sqrtA, MODEL])
        : this.predictionType === 'sample'
          ? MODEL
          : combine([sqrtA, SAMPLE], [-sqrtB, MODEL]);
    const drawsNoise = t > 0;
    const prevSample = combine([predOriginalCoeff, x0], [currentSampleCoeff, SAMPLE], [drawsNoise ? this.noiseScale(t) : 0, NOISE]);
    return { drawsNoise, prevSample, predOriginalSample: x0, registers: [] };
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addNoiseVp(original, noise, alphaProdAt(CLASS, this.alphasCumprod, timestep));
  }
}
