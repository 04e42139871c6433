/**
 * The families and their expected settings, from the model cards: SD-Turbo 1–4 steps at
 * guidance 0 (stabilityai/sd-turbo), LCM 4 steps at guidance 8 (SimianLuo/LCM_Dreamshaper_v7),
 * SD 1.5 / 2.x 25 steps at 7.5 (diffusers' defaults are 50; 25 is what the desktop tools start at).
 */
import type { Family, FamilyId } from './types';

const SD_SIZE = { width: 512, height: 512 } as const;

export const FAMILIES: Readonly<Record<FamilyId, Family>> = {
  sd1: {
    id: 'sd1',
    pipeline: 'stable-diffusion',
    label: 'Stable Diffusion 1.x',
    classifierFreeGuidance: true,
    defaults: { steps: 25, guidance: 7.5, ...SD_SIZE, scheduler: 'default' },
  },
  sd2: {
    id: 'sd2',
    pipeline: 'stable-diffusion',
    label: 'Stable Diffusion 2.x',
    classifierFreeGuidance: true,
    defaults: { steps: 25, guidance: 7.5, ...SD_SIZE, scheduler: 'default' },
  },
  'sd-turbo': {
    id: 'sd-turbo',
    pipeline: 'stable-diffusion',
    label: 'SD-Turbo (adversarially distilled, 1–4 steps)',
    classifierFreeGuidance: true,
    defaults: { steps: 1, guidance: 0, ...SD_SIZE, scheduler: 'default' },
  },
  lcm: {
    id: 'lcm',
    pipeline: 'stable-diffusion',
    label: 'Latent Consistency Model (2–8 steps)',
    classifierFreeGuidance: false,
    defaults: { steps: 4, guidance: 8, ...SD_SIZE, scheduler: 'default' },
  },
  sd: {
    id: 'sd',
    pipeline: 'stable-diffusion',
    label: 'Stable Diffusion (variant not recognised)',
    classifierFreeGuidance: true,
    defaults: { steps: 25, guidance: 7.5, ...SD_SIZE, scheduler: 'default' },
  },
};

/** SD's training schedule (every SD 1.x/2.x checkpoint), for folders without scheduler/scheduler_config.json. */
export const SD_TRAINING_SCHEDULE = {
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  steps_offset: 1,
  prediction_type: 'epsilon',
  clip_sample: false,
  set_alpha_to_one: false,
} as const;

/** The scheduler each family's own repo configures (SD-Turbo: Euler, trailing; LCM: LCMScheduler). */
export function defaultSchedulerConfig(id: FamilyId): Record<string, unknown> {
  switch (id) {
    case 'sd-turbo':
      return { _class_name: 'EulerDiscreteScheduler', ...SD_TRAINING_SCHEDULE, timestep_spacing: 'trailing' };
    case 'lcm':
      return {
        _class_name: 'LCMScheduler',
        ...SD_TRAINING_SCHEDULE,
        set_alpha_to_one: true,
        original_inference_steps: 50,
        timestep_scaling: 10,
        timestep_spacing: 'leading',
      };
    default:
      return { _class_name: 'PNDMScheduler', ...SD_TRAINING_SCHEDULE, skip_prk_steps: true };
  }
}
