/**
 * LCMScheduler (Luo et al. 2023, latent consistency models), transcribed from diffusers
 * 0.27.2 `scheduling_lcm.py`.
 *
 * Timesteps are a subset of the distillation schedule `[k−1, 2k−1, …, T−1]` with
 * k = T / original_inference_steps (timestep_spacing and steps_offset play no part).
 * Each step maps x_t to the consistency function's output `denoised = c_skip·x + c_out·x0`
 * and, on all but the last step, re-noises it to the next timestep with one noise draw.
 * `predOriginalSample` is that `denoised` (what the LCM pipeline decodes at the end).
 */
import type { NoiseSource } from '../../random/noise-source';
import type { LinearForm, LinearStep, Scheduler, SchedulerConfig, SchedulerStepOutput } from './types';
import { MODEL, NOISE, SAMPLE, combine } from './linear-apply';
import {
  PREDICTION_TYPES,
  addNoiseVp,
  alphaProdAt,
  alphasCumprodOf,
  checkInferenceSteps,
  checkSameLength,
  drawNoise,
  expectBoolean,
  expectNumber,
  expectOneOf,
  indexForTimestep,
  makeBetas,
  npLinspace,
  range,
  rejectThresholding,
  rescaleZeroTerminalSnr,
  stepCountProblem,
  withDefaults,
  type PredictionType,
  type RawSchedulerConfig,
} from './common';

const CLASS = 'LCMScheduler';

/** `LCMScheduler.__init__` defaults in diffusers 0.27.2. */
export const LCM_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  trained_betas: null,
  original_inference_steps: 50,
  clip_sample: false,
  clip_sample_range: 1.0,
  set_alpha_to_one: true,
  steps_offset: 0,
  prediction_type: 'epsilon',
  thresholding: false,
  dynamic_thresholding_ratio: 0.995,
  sample_max_value: 1.0,
  timestep_spacing: 'leading',
  timestep_scaling: 10.0,
  rescale_betas_zero_snr: false,
} as const;

export interface LCMTimestepOptions {
  /** Overrides config.original_inference_steps (the distillation schedule length). */
  originalInferenceSteps?: number;
  /** img2img strength: only the first `strength` fraction of the distillation schedule is used. */
  strength?: number;
}

/** Consistency-model boundary condition; σ_data = 0.5 as in the LCM paper. */
const SIGMA_DATA = 0.5;

export class LCMScheduler implements Scheduler {
  readonly name = CLASS;
  readonly order = 1;
  readonly initNoiseSigma = 1.0;
  readonly config: Readonly<SchedulerConfig>;

  private readonly T: number;
  private readonly originalInferenceSteps: number;
  private readonly predictionType: PredictionType;
  private readonly clipSample: boolean;
  private readonly clipSampleRange: number;
  private readonly timestepScaling: number;
  /** The training β table (after zero-SNR rescaling when configured), float32 values. */
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  private readonly finalAlphaCumprod: number;

  private numInferenceSteps: number | null = null;
  private _timesteps: number[];
  private stepIndex: number | null = null;
  private beginIndex: number | null = null;
  /** Single-step: no registers. */
  readonly linear: LinearForm;

  constructor(config: RawSchedulerConfig = {}) {
    const c = withDefaults(CLASS, config, LCM_DEFAULTS);
    this.config = c;
    this.T = expectNumber(CLASS, 'num_train_timesteps', c.num_train_timesteps, { integer: true, min: 1 });
    // diffusers checks this in set_timesteps; it is a property of the config, so here
    this.originalInferenceSteps = expectNumber(CLASS, 'original_inference_steps', c.original_inference_steps, {
      integer: true,
      min: 1,
      max: this.T,
    });
    this.predictionType = expectOneOf(CLASS, 'prediction_type', c.prediction_type, PREDICTION_TYPES);
    this.clipSample = expectBoolean(CLASS, 'clip_sample', c.clip_sample);
    this.clipSampleRange = expectNumber(CLASS, 'clip_sample_range', c.clip_sample_range);
    this.timestepScaling = expectNumber(CLASS, 'timestep_scaling', c.timestep_scaling);
    rejectThresholding(CLASS, c);

    let betas = makeBetas(CLASS, c);
    if (expectBoolean(CLASS, 'rescale_betas_zero_snr', c.rescale_betas_zero_snr)) betas = rescaleZeroTerminalSnr(betas);
    this.betas = betas;
    this.alphasCumprod = alphasCumprodOf(betas);
    this.finalAlphaCumprod = expectBoolean(CLASS, 'set_alpha_to_one', c.set_alpha_to_one) ? 1.0 : this.alphasCumprod[0];
    this._timesteps = range(this.T).reverse();
    this.linear = { problem: () => this.linearProblem(), registers: 0, inputScale: () => 1, step: (t) => this.linearStep(t) };
  }

  get timesteps(): readonly number[] {
    return this._timesteps;
  }

  setBeginIndex(beginIndex: number): void {
    this.beginIndex = beginIndex;
  }

  /** diffusers' ≤ num_train_timesteps and ≤ original_inference_steps (the distillation schedule it picks from). */
  stepsProblem(numInferenceSteps: number): string | null {
    const n = numInferenceSteps;
    const count = stepCountProblem(n, this.T);
    if (count) return count;
    return n > this.originalInferenceSteps ? `${n} is more than original_inference_steps ${this.originalInferenceSteps}` : null;
  }

  setTimesteps(numInferenceSteps: number, options: LCMTimestepOptions = {}): void {
    checkInferenceSteps(CLASS, numInferenceSteps);
    const n = numInferenceSteps;
    const originalSteps = options.originalInferenceSteps ?? this.originalInferenceSteps;
    const strength = options.strength ?? 1.0;
    if (originalSteps > this.T) {
      throw new Error(`${CLASS}.setTimesteps: original_inference_steps ${originalSteps} cannot be larger than num_train_timesteps ${this.T}`);
    }
    if (n > this.T) {
      throw new Error(`${CLASS}.setTimesteps: numInferenceSteps ${n} cannot be larger than num_train_timesteps ${this.T}`);
    }
    // the distillation schedule: [k−1, 2k−1, …] up to original_steps·strength entries
    const k = Math.floor(this.T / originalSteps);
    const origin = range(Math.trunc(originalSteps * strength)).map((i) => (i + 1) * k - 1);
    if (Math.floor(origin.length / n) < 1) {
      throw new Error(`${CLASS}.setTimesteps: original_inference_steps × strength = ${originalSteps} × ${strength} is smaller than numInferenceSteps ${n}`);
    }
    if (n > originalSteps) {
      throw new Error(`${CLASS}.setTimesteps: numInferenceSteps ${n} cannot be larger than original_inference_steps ${originalSteps}`);
    }
    origin.reverse();
    const indices = npLinspace(0, origin.length, n, /* endpoint */ false).map(Math.floor);
    this._timesteps = indices.map((i) => origin[i]);
    this.numInferenceSteps = n;
    this.stepIndex = null;
    this.beginIndex = null;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  /** The per-step scalars of `step` (shared with the linear form, so they have one home); starts the step index. */
  private stepScalars(timestep: number): {
    idx: number;
    last: boolean;
    sqrtA: number;
    sqrtB: number;
    cSkip: number;
    cOut: number;
    /** Re-noising to the next timestep: a·denoised + b·z (not on the last step). */
    a: number;
    b: number;
  } {
    if (this.numInferenceSteps === null) {
      throw new Error(`${CLASS}.step: call setTimesteps before step`);
    }
    if (this.stepIndex === null) {
      this.stepIndex = this.beginIndex ?? indexForTimestep(CLASS, this._timesteps, timestep);
    }
    const idx = this.stepIndex;
    const prevStepIndex = idx + 1;
    const prevTimestep = prevStepIndex < this._timesteps.length ? this._timesteps[prevStepIndex] : timestep;

    const alphaProdT = alphaProdAt(CLASS, this.alphasCumprod, timestep);
    const alphaProdTPrev = prevTimestep >= 0 ? alphaProdAt(CLASS, this.alphasCumprod, prevTimestep) : this.finalAlphaCumprod;

    // get_scalings_for_boundary_condition_discrete
    const scaled = timestep * this.timestepScaling;
    return {
      idx,
      last: idx === this.numInferenceSteps - 1,
      sqrtA: Math.sqrt(alphaProdT),
      sqrtB: Math.sqrt(1 - alphaProdT),
      cSkip: SIGMA_DATA ** 2 / (scaled * scaled + SIGMA_DATA ** 2),
      cOut: scaled / Math.sqrt(scaled * scaled + SIGMA_DATA ** 2),
      a: Math.sqrt(alphaProdTPrev),
      b: Math.sqrt(1 - alphaProdTPrev),
    };
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): SchedulerStepOutput {
    checkSameLength(CLASS, modelOutput, sample);
    const { idx, last, sqrtA, sqrtB, cSkip, cOut, a, b } = this.stepScalars(timestep);
    const lo = -this.clipSampleRange;
    const hi = this.clipSampleRange;

    const n = sample.length;
    const denoised = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = sample[i];
      const m = modelOutput[i];
      let x0 = this.predictionType === 'epsilon' ? (x - sqrtB * m) / sqrtA : this.predictionType === 'sample' ? m : sqrtA * x - sqrtB * m;
      if (this.clipSample) x0 = Math.min(Math.max(x0, lo), hi);
      denoised[i] = cOut * x0 + cSkip * x;
    }

    let prev: Float32Array;
    if (!last) {
      // multistep consistency sampling: re-noise the estimate to the next timestep
      const z = drawNoise(CLASS, noise, n);
      prev = new Float32Array(n);
      for (let i = 0; i < n; i++) prev[i] = a * denoised[i] + b * z[i];
    } else {
      prev = denoised.slice(); // its own buffer, so callers may write to either
    }
    this.stepIndex = idx + 1;
    return { prevSample: prev, predOriginalSample: denoised };
  }

  /** clip_sample clamps x0 elementwise; the rest of LCM is linear. */
  private linearProblem(): string | null {
    if (this.clipSample) {
      return `${CLASS}: clip_sample true clamps x0 to ±clip_sample_range ${this.clipSampleRange}, which is not linear; set clip_sample false`;
    }
    return null;
  }

  /** `step` as coefficients: denoised = c_skip·x + c_out·x0, re-noised with one draw except on the last step. */
  private linearStep(timestep: number): LinearStep {
    const problem = this.linearProblem();
    if (problem) throw new Error(`${CLASS}.linear.step: ${problem}`);
    const { idx, last, sqrtA, sqrtB, cSkip, cOut, a, b } = this.stepScalars(timestep);
    const x0 =
      this.predictionType === 'epsilon'
        ? combine([1 / sqrtA, SAMPLE], [-sqrtB / sqrtA, MODEL])
        : this.predictionType === 'sample'
          ? MODEL
          : combine([sqrtA, SAMPLE], [-sqrtB, MODEL]);
    const denoised = combine([cOut, x0], [cSkip, SAMPLE]);
    this.stepIndex = idx + 1;
    return {
      drawsNoise: !last,
      prevSample: last ? denoised : combine([a, denoised], [b, NOISE]),
      predOriginalSample: denoised,
      registers: [],
    };
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addNoiseVp(original, noise, alphaProdAt(CLASS, this.alphasCumprod, timestep));
  }
}
