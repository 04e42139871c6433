import type { NoiseSource } from '../../random/noise-source';

/** Keys exactly as in diffusers' `scheduler/scheduler_config.json`. */
export interface SchedulerConfig {
  _class_name?: string;
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  /** 'sigmoid' and 'laplace' are DDPMScheduler's only. */
  beta_schedule: 'linear' | 'scaled_linear' | 'squaredcos_cap_v2' | 'sigmoid' | 'laplace';
  trained_betas?: number[] | null;
  timestep_spacing?: 'leading' | 'trailing' | 'linspace';
  steps_offset: number;
  /** 'original_sample' is EulerDiscreteScheduler's older spelling of 'sample'. */
  prediction_type: 'epsilon' | 'v_prediction' | 'sample' | 'original_sample';
  clip_sample?: boolean;
  clip_sample_range?: number;
  set_alpha_to_one?: boolean;
  skip_prk_steps?: boolean;
  use_karras_sigmas?: boolean;
  /** Anything else a Hub config carries is kept and ignored by classes that do not use it. */
  [key: string]: unknown;
}

/**
 * A buffer a linear step reads: the current sample x_t, the (guided) model output, the noise
 * this step draws (`randn(n)`, in step()'s order), and the scheduler's history registers r0…
 */
export type StepBuffer = 'sample' | 'model' | 'noise' | `r${number}`;

/** Σ coefficient × buffer, elementwise (a buffer absent from the list has coefficient 0). */
export type LinearTerms = ReadonlyArray<readonly [StepBuffer, number]>;

/**
 * One `step` written as coefficients, so it can run where the numbers are (the GPU-resident
 * loop: lib/diffusion/device-loop). Every output is computed from the buffers as they were
 * before the step, all at once.
 */
export interface LinearStep {
  /** Whether this step takes `randn(n)` from the NoiseSource, as step() would (also when its coefficients are 0). */
  drawsNoise: boolean;
  prevSample: LinearTerms;
  /** step()'s predOriginalSample (previews); null where step() gives none. */
  predOriginalSample: LinearTerms | null;
  /** The registers after this step, index = register number (length = linearRegisters). */
  registers: LinearTerms[];
}

export interface SchedulerStepOutput {
  prevSample: Float32Array;
  predOriginalSample: Float32Array | null;
}

/**
 * The scheduler contract, mirroring diffusers' SchedulerMixin.
 * Samples are flat float32 arrays (the latent shape does not matter to any step rule).
 */
export interface Scheduler {
  readonly name: string;
  readonly config: Readonly<SchedulerConfig>;
  /** Set by `setTimesteps`; integer-valued for every scheduler here except where noted. */
  readonly timesteps: readonly number[];
  readonly initNoiseSigma: number;
  setTimesteps(numInferenceSteps: number): void;
  /**
   * Why this scheduler cannot run `numInferenceSteps` steps with its config, or null when it
   * can: diffusers' limits (≤ num_train_timesteps; LCM ≤ original_inference_steps) and what
   * its timestep arithmetic allows (every ᾱ lookup inside [0, num_train_timesteps − 1]).
   * `maxSteps` (index.ts) builds the UI's, CLI's and engine's one limit from this.
   */
  stepsProblem(numInferenceSteps: number): string | null;
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array;
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): SchedulerStepOutput;
  /** img2img: x_t = sqrt(ᾱ_t)·x0 + sqrt(1−ᾱ_t)·ε (or x0 + σ·ε for sigma schedulers). */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array;
  /**
   * diffusers' `order`: img2img keeps `timesteps[t_start × order:]`, and the progress bar counts
   * `order` entries as one step. 2 for Heun (each σ appears twice: a predictor and a corrector call), 1 for the others.
   */
  readonly order: number;
  /**
   * img2img (diffusers' `set_begin_index`, sigma/step-index schedulers only: Euler, Euler a,
   * Heun, DPM-Solver, LCM): after `setTimesteps`, call with `t_start * order` so `addNoise` and the
   * first `step` use that index even when the timestep value repeats in the schedule.
   */
  setBeginIndex?(beginIndex: number): void;

  /**
   * The linear form of this scheduler (all of diffusers' samplers here are linear in x, the
   * model output and the noise, with per-step scalar coefficients), or absent. A scheduler in
   * linear use is driven by `inputScale` + `linearStep` instead of `scaleModelInput` + `step`,
   * never both in one run.
   */
  readonly linear?: LinearForm;
}

export interface LinearForm {
  /** Why this config has no linear form (clip_sample, thresholding…), or null when it has one. */
  problem(): string | null;
  /** How many history registers the steps use (multistep solvers), each the sample's size. */
  readonly registers: number;
  /** scaleModelInput(x, t) = x · inputScale(t), with the same side effects on the scheduler's state. */
  inputScale(timestep: number): number;
  /** step() as coefficients, advancing the scheduler's state exactly as step() does. */
  step(timestep: number): LinearStep;
}
