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
  /** How many model evaluations one `timesteps` entry costs (PNDM's PRK warm-up etc.): always 1 here. */
  readonly order: number;
  /**
   * img2img (diffusers' `set_begin_index`, sigma/step-index schedulers only: Euler, Euler a,
   * DPM-Solver, LCM): after `setTimesteps`, call with `t_start * order` so `addNoise` and the
   * first `step` use that index even when the timestep value repeats in the schedule.
   */
  setBeginIndex?(beginIndex: number): void;
}
