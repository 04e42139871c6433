/**
 * What the two score-SDE samplers share (vp-sde.ts, pf-ode.ts): Lantern's own definition in
 * issue #13, over DDIM's discretisation of the VP-SDE dx = −½β(t)x dt + √β(t) dw.
 *   ᾱ, timesteps t_0 > … > t_{N−1}: exactly DDIMScheduler's for the folder's config;
 *   the step from t = t_i to s = t_{i+1} (the last to "final", ᾱ_final = alphas_cumprod[0]);
 *   h = ln(ᾱ_s / ᾱ_t), the integral of β over the step; score = −ε / √(1 − ᾱ_t).
 * Written as x_s = a·x_t + b·ε (+ c·z), so step() and the linear form are one formula.
 */
import type { NoiseSource } from '../../random/noise-source';
import {
  PREDICTION_TYPES,
  SchedulerConfigError,
  TIMESTEP_SPACINGS,
  addNoiseVp,
  alphasCumprodOf,
  checkInferenceSteps,
  checkSameLength,
  discreteScheduleProblem,
  discreteTimesteps,
  drawNoise,
  expectBoolean,
  expectNumber,
  expectOneOf,
  makeBetas,
  range,
  stepCountProblem,
  withDefaults,
  type RawSchedulerConfig,
  type TimestepSpacing,
} from './common';
import type { LinearForm, LinearStep, Scheduler, SchedulerConfig, SchedulerStepOutput } from './types';

/** The keys DDIMScheduler reads for ᾱ and its timesteps, with its `__init__` defaults (diffusers 0.27.2). */
export const SCORE_SDE_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  steps_offset: 0,
  prediction_type: 'epsilon',
  timestep_spacing: 'leading',
  rescale_betas_zero_snr: false,
} as const;

export interface ScoreStep {
  /** ᾱ at t and at the step's end s. */
  alphaT: number;
  alphaS: number;
  h: number;
  last: boolean;
}

/** x_s = a·x + b·ε + c·z from a step's scalars: the one formula each sampler states. */
export type ScoreRule = (s: ScoreStep) => { a: number; b: number; c: number };

export abstract class ScoreSdeScheduler implements Scheduler {
  abstract readonly name: string;
  readonly order = 1;
  readonly initNoiseSigma = 1;
  readonly config: Readonly<SchedulerConfig>;
  readonly linear: LinearForm;
  /** The training β table and ᾱ per train timestep, as DDIM computes them (float32 values). */
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  private readonly T: number;
  private readonly spacing: TimestepSpacing;
  private readonly stepsOffset: number;
  private _timesteps: number[];

  protected constructor(
    private readonly className: string,
    config: RawSchedulerConfig,
    private readonly rule: ScoreRule,
    /** Whether the step adds noise (vp-sde: every step but the last). */
    private readonly noisy: boolean,
  ) {
    // The config is read as DDIMScheduler reads it (same helpers, same checks), under this class's name.
    const c = withDefaults(className, config, SCORE_SDE_DEFAULTS);
    this.config = c;
    this.T = expectNumber(className, 'num_train_timesteps', c.num_train_timesteps, { integer: true, min: 1 });
    this.spacing = expectOneOf(className, 'timestep_spacing', c.timestep_spacing, TIMESTEP_SPACINGS);
    this.stepsOffset = expectNumber(className, 'steps_offset', c.steps_offset, { integer: true, min: 0 });
    const prediction = expectOneOf(className, 'prediction_type', c.prediction_type, PREDICTION_TYPES);
    if (prediction !== 'epsilon') {
      throw new SchedulerConfigError(
        className,
        'prediction_type',
        prediction,
        `${className} samples with the score −ε/√(1−ᾱ) and needs an epsilon-predicting model, not prediction_type "${prediction}": pick another sampler`,
      );
    }
    // Zero terminal SNR makes ᾱ_T = 0: h = ln(ᾱ_s/ᾱ_T) is then infinite, and the definition has no first step.
    if (expectBoolean(className, 'rescale_betas_zero_snr', c.rescale_betas_zero_snr)) {
      throw new SchedulerConfigError(
        className,
        'rescale_betas_zero_snr',
        true,
        `${className}: rescale_betas_zero_snr makes ᾱ = 0 at the last train timestep, where the step size ln(ᾱ_s/ᾱ_t) is infinite: pick another sampler`,
      );
    }
    const betas = makeBetas(className, c);
    this.betas = betas;
    this.alphasCumprod = alphasCumprodOf(betas);
    this._timesteps = range(this.T).reverse();
    this.linear = { problem: () => null, registers: 0, inputScale: () => 1, step: (t) => this.linearStep(t) };
  }

  get timesteps(): readonly number[] {
    return this._timesteps;
  }

  setTimesteps(numInferenceSteps: number): void {
    checkInferenceSteps(this.className, numInferenceSteps);
    if (numInferenceSteps > this.T) {
      throw new Error(`${this.className}.setTimesteps: numInferenceSteps ${numInferenceSteps} cannot be larger than num_train_timesteps ${this.T}`);
    }
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

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addNoiseVp(original, noise, this.alphasCumprod[timestep]);
  }

  /** The step from `timestep` to the next one of the schedule (or to "final"). */
  protected stepAt(timestep: number): ScoreStep {
    const ts = this._timesteps;
    const i = ts.indexOf(timestep);
    if (i < 0) throw new Error(`${this.className}.step: timestep ${timestep} is not in the schedule (${ts.join(', ')})`);
    const ac = this.alphasCumprod;
    const last = i === ts.length - 1;
    const alphaT = ac[timestep];
    const alphaS = last ? ac[0] : ac[ts[i + 1]];
    return { alphaT, alphaS, h: Math.log(alphaS / alphaT), last };
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): SchedulerStepOutput {
    checkSameLength(this.name, modelOutput, sample);
    const s = this.stepAt(timestep);
    const { a, b, c } = this.rule(s);
    const z = this.noisy && !s.last ? drawNoise(this.name, noise, sample.length) : null;
    const n = sample.length;
    const prev = new Float32Array(n);
    const x0 = new Float32Array(n);
    const sqrtA = Math.sqrt(s.alphaT);
    const sqrt1mA = Math.sqrt(1 - s.alphaT);
    for (let i = 0; i < n; i++) {
      prev[i] = a * sample[i] + b * modelOutput[i] + (z ? c * z[i] : 0);
      x0[i] = (sample[i] - sqrt1mA * modelOutput[i]) / sqrtA;
    }
    return { prevSample: prev, predOriginalSample: x0 };
  }

  private linearStep(timestep: number): LinearStep {
    const s = this.stepAt(timestep);
    const { a, b, c } = this.rule(s);
    const drawsNoise = this.noisy && !s.last;
    const sqrtA = Math.sqrt(s.alphaT);
    return {
      drawsNoise,
      prevSample: [['sample', a], ['model', b], ...(drawsNoise ? [['noise', c] as const] : [])],
      predOriginalSample: [
        ['sample', 1 / sqrtA],
        ['model', -Math.sqrt(1 - s.alphaT) / sqrtA],
      ],
      registers: [],
    };
  }
}
