/**
 * Scheduler registry: the sampler names the UI offers, their A1111-style labels, and
 * `createScheduler`, which builds one from a model's `scheduler_config.json` the way
 * diffusers' `SomeScheduler.from_config(pipe.scheduler.config)` does: the target class
 * takes the keys it knows from the config (betas, steps_offset, prediction_type,
 * timestep_spacing, …) and its own defaults for the rest.
 */
import type { RawSchedulerConfig } from './common';
import { DDIMScheduler } from './ddim';
import { DDPMScheduler } from './ddpm';
import { DPMSolverMultistepScheduler } from './dpmpp-2m';
import { EulerAncestralDiscreteScheduler } from './euler-ancestral';
import { EulerDiscreteScheduler } from './euler';
import { LCMScheduler } from './lcm';
import { PNDMScheduler } from './pndm';
import type { Scheduler, SchedulerConfig } from './types';

export type { Scheduler, SchedulerConfig, SchedulerStepOutput } from './types';
export {
  DDIMScheduler,
  DDPMScheduler,
  DPMSolverMultistepScheduler,
  EulerAncestralDiscreteScheduler,
  EulerDiscreteScheduler,
  LCMScheduler,
  PNDMScheduler,
};

export const SCHEDULER_NAMES = [
  'default',
  'ddim',
  'ddpm',
  'pndm',
  'euler',
  'euler-ancestral',
  'dpmpp-2m',
  'dpmpp-2m-karras',
  'lcm',
] as const;

export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

/** Labels as A1111 writes them in its "Sampler:" metadata (PNDM with skip_prk_steps is A1111's PLMS). */
export const SCHEDULER_LABELS: Readonly<Record<SchedulerName, string>> = {
  default: 'Model default',
  ddim: 'DDIM',
  ddpm: 'DDPM',
  pndm: 'PLMS',
  euler: 'Euler',
  'euler-ancestral': 'Euler a',
  'dpmpp-2m': 'DPM++ 2M',
  'dpmpp-2m-karras': 'DPM++ 2M Karras',
  lcm: 'LCM',
};

/** The diffusers class behind each explicit name. */
export const SCHEDULER_CLASS_NAMES: Readonly<Record<Exclude<SchedulerName, 'default'>, string>> = {
  ddim: 'DDIMScheduler',
  ddpm: 'DDPMScheduler',
  pndm: 'PNDMScheduler',
  euler: 'EulerDiscreteScheduler',
  'euler-ancestral': 'EulerAncestralDiscreteScheduler',
  'dpmpp-2m': 'DPMSolverMultistepScheduler',
  'dpmpp-2m-karras': 'DPMSolverMultistepScheduler',
  lcm: 'LCMScheduler',
};

type SchedulerFactory = (config: RawSchedulerConfig, options: CreateSchedulerOptions) => Scheduler;

const CLASSES: Readonly<Record<string, SchedulerFactory>> = {
  DDIMScheduler: (c, o) => new DDIMScheduler(c, { eta: o.eta }),
  DDPMScheduler: (c) => new DDPMScheduler(c),
  PNDMScheduler: (c) => new PNDMScheduler(c),
  EulerDiscreteScheduler: (c) => new EulerDiscreteScheduler(c),
  EulerAncestralDiscreteScheduler: (c) => new EulerAncestralDiscreteScheduler(c),
  DPMSolverMultistepScheduler: (c) => new DPMSolverMultistepScheduler(c),
  LCMScheduler: (c) => new LCMScheduler(c),
};

export const SUPPORTED_SCHEDULER_CLASSES: readonly string[] = Object.keys(CLASSES);

/** Per-call `step` keywords of diffusers that Lantern fixes per scheduler instance. */
export interface CreateSchedulerOptions {
  /** DDIM η (diffusers pipelines default to 0). Ignored by the other schedulers. */
  eta?: number;
}

export function isSchedulerName(value: unknown): value is SchedulerName {
  return typeof value === 'string' && (SCHEDULER_NAMES as readonly string[]).includes(value);
}

/**
 * Builds the scheduler `name` from a model's scheduler config.
 * - 'default': the config's own `_class_name` (error naming it when unsupported).
 * - any other name: that class via from_config semantics; the name fixes the sampler
 *   ('dpmpp-2m' is DPM-Solver++ order 2 midpoint without Karras, '-karras' with Karras;
 *   'euler' is plain Euler even if the config carried use_karras_sigmas; 'pndm' from
 *   another class's config is PLMS, i.e. skip_prk_steps).
 */
export function createScheduler(
  name: SchedulerName,
  config: SchedulerConfig | RawSchedulerConfig,
  options: CreateSchedulerOptions = {},
): Scheduler {
  const raw = dropUsedDefaults(config as RawSchedulerConfig);
  if (name === 'default') {
    const className = raw._class_name;
    if (typeof className !== 'string' || className === '') {
      throw new Error(
        `createScheduler('default'): the scheduler config has no _class_name; pick one of ${SCHEDULER_NAMES.filter((n) => n !== 'default').join(', ')}`,
      );
    }
    const make = CLASSES[className];
    if (!make) {
      throw new Error(
        `createScheduler('default'): scheduler class "${className}" is not supported (supported: ${SUPPORTED_SCHEDULER_CLASSES.join(', ')}); pick one of the named samplers instead`,
      );
    }
    return make(raw, options);
  }
  if (!isSchedulerName(name)) {
    throw new Error(`createScheduler: unknown scheduler name ${JSON.stringify(name)} (expected one of ${SCHEDULER_NAMES.join(', ')})`);
  }
  const className = SCHEDULER_CLASS_NAMES[name];
  const overrides: Record<string, unknown> = {};
  if (name === 'euler') overrides.use_karras_sigmas = false;
  // The menu calls it PLMS (what Hub SD 1.5 configs run): PRK warm-up only if the config asks.
  if (name === 'pndm' && raw._class_name !== 'PNDMScheduler') overrides.skip_prk_steps = true;
  if (name === 'dpmpp-2m' || name === 'dpmpp-2m-karras') {
    overrides.algorithm_type = 'dpmsolver++';
    overrides.solver_order = 2;
    overrides.solver_type = 'midpoint';
    overrides.use_karras_sigmas = name === 'dpmpp-2m-karras';
  }
  return CLASSES[className]({ ...raw, ...overrides, _class_name: className }, options);
}

/**
 * A config that diffusers saved from a loaded scheduler lists, in `_use_default_values`,
 * the keys that were only class defaults; `from_config` ignores those so the new class
 * uses its own defaults. Same here.
 */
function dropUsedDefaults(config: RawSchedulerConfig): RawSchedulerConfig {
  const used = config._use_default_values;
  const out: Record<string, unknown> = { ...config };
  if (Array.isArray(used)) for (const key of used) if (typeof key === 'string') delete out[key];
  delete out._use_default_values;
  return out;
}

/**
 * An A1111-style sampler label for what a scheduler instance actually does, e.g. for
 * PNG metadata when the user picked 'default'.
 */
export function schedulerLabel(scheduler: Scheduler): string {
  const c = scheduler.config;
  switch (scheduler.name) {
    case 'DDIMScheduler':
      return 'DDIM';
    case 'DDPMScheduler':
      return 'DDPM';
    case 'PNDMScheduler':
      return c.skip_prk_steps ? 'PLMS' : 'PNDM';
    case 'EulerDiscreteScheduler':
      return c.use_karras_sigmas ? 'Euler Karras' : 'Euler';
    case 'EulerAncestralDiscreteScheduler':
      return 'Euler a';
    case 'LCMScheduler':
      return 'LCM';
    case 'DPMSolverMultistepScheduler': {
      const algo = c.algorithm_type as string;
      const base = algo.endsWith('++') ? 'DPM++' : 'DPM';
      const sde = algo.startsWith('sde-') ? ' SDE' : '';
      const karras = c.use_karras_sigmas ? ' Karras' : '';
      return `${base} ${c.solver_order as number}M${sde}${karras}`;
    }
    default:
      return scheduler.name;
  }
}
