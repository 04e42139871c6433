/**
 * Scheduler registry: the sampler names the UI offers, their A1111-style labels,
 * `createScheduler`, which builds one from a model's `scheduler_config.json` the way
 * diffusers' `SomeScheduler.from_config(pipe.scheduler.config)` does (the target class
 * takes the keys it knows from the config — betas, steps_offset, prediction_type,
 * timestep_spacing, … — and its own defaults for the rest), and `parseSchedulerConfig`,
 * the load-time check of that file.
 */
import { InvalidParamsError, ModelFolderError } from '../../errors';
import { SchedulerConfigError, describeValue, type RawSchedulerConfig } from './common';
import { DDIMScheduler, DDIM_DEFAULTS } from './ddim';
import { DDPMScheduler, DDPM_DEFAULTS } from './ddpm';
import { DPMPP_2M_SDE_KARRAS_OVERRIDES, DPMSolverMultistepScheduler, DPM_MULTISTEP_DEFAULTS } from './dpmpp-2m';
import { HEUN_DEFAULTS, HeunDiscreteScheduler } from './heun';
import { EulerAncestralDiscreteScheduler, EULER_ANCESTRAL_DEFAULTS } from './euler-ancestral';
import { EulerDiscreteScheduler, EULER_DEFAULTS } from './euler';
import { LCMScheduler, LCM_DEFAULTS } from './lcm';
import { PNDMScheduler, PNDM_DEFAULTS } from './pndm';
import { PfOdeScheduler } from './pf-ode';
import { SCORE_SDE_DEFAULTS } from './score-sde';
import { VpSdeScheduler } from './vp-sde';
import type { Scheduler, SchedulerConfig } from './types';

export type { Scheduler, SchedulerConfig, SchedulerStepOutput, LinearForm, LinearStep, LinearTerms, StepBuffer } from './types';
export { applyLinearStep, type LinearBuffers, type LinearStepResult } from './linear-apply';
export type { RawSchedulerConfig } from './common';
export { SchedulerConfigError };
export {
  DDIMScheduler,
  DDPMScheduler,
  DPMSolverMultistepScheduler,
  EulerAncestralDiscreteScheduler,
  EulerDiscreteScheduler,
  LCMScheduler,
  PNDMScheduler,
  PfOdeScheduler,
  VpSdeScheduler,
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
  'heun',
  'dpmpp-2m-sde-karras',
  'vp-sde',
  'pf-ode',
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
  heun: 'Heun',
  'dpmpp-2m-sde-karras': 'DPM++ 2M SDE Karras',
  // Lantern's own (issue #13): A1111 has no name for them.
  'vp-sde': 'VP-SDE (Euler–Maruyama)',
  'pf-ode': 'Probability-flow ODE (Euler)',
};

/** One line per sampler for the studio's sampler menu. */
export const SCHEDULER_HELP: Readonly<Record<SchedulerName, string>> = {
  default: "the sampler the model's scheduler_config.json names",
  ddim: 'deterministic, few steps; the classic SD sampler (η = 0)',
  ddpm: 'the ancestral sampler SD was trained with: needs many steps',
  pndm: 'pseudo linear multistep (A1111 PLMS): deterministic, uses past steps',
  euler: 'first-order ODE step in σ: deterministic and fast',
  'euler-ancestral': 'Euler with fresh noise each step: varied, does not converge with more steps',
  'dpmpp-2m': 'second-order multistep DPM-Solver++: sharp results in 20–30 steps',
  'dpmpp-2m-karras': 'DPM++ 2M on Karras σ spacing: good detail at low step counts',
  lcm: 'for latent-consistency (LCM) models: 2–8 steps, guidance inside the U-Net',
  heun: 'second-order Heun in σ: two model evaluations per step (2N − 1 in all), deterministic',
  'dpmpp-2m-sde-karras': 'DPM++ 2M with fresh noise each step (SDE), Karras σ: varied detail in 20–30 steps',
  'vp-sde': 'the reverse-time VP-SDE by Euler–Maruyama, with fresh noise each step: needs many steps',
  'pf-ode': "the VP-SDE's probability-flow ODE by Euler: deterministic; DDIM in the limit of many steps",
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
  heun: 'HeunDiscreteScheduler',
  'dpmpp-2m-sde-karras': 'DPMSolverMultistepScheduler',
  'vp-sde': 'VPSDEEulerMaruyamaScheduler',
  'pf-ode': 'ProbabilityFlowODEEulerScheduler',
};

type SchedulerFactory = (config: RawSchedulerConfig, options: CreateSchedulerOptions) => Scheduler;

interface SchedulerClassEntry {
  /** The class's `__init__` defaults (diffusers 0.27.2), which `withDefaults` fills. */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** Builds the class from a raw config; throws SchedulerConfigError for a value it cannot run. */
  readonly create: SchedulerFactory;
}

/** Every diffusers class Lantern implements, by `_class_name`. Add a class here and the contract suite covers it. */
const CLASSES: Readonly<Record<string, SchedulerClassEntry>> = {
  DDIMScheduler: { defaults: DDIM_DEFAULTS, create: (c, o) => new DDIMScheduler(c, { eta: o.eta }) },
  DDPMScheduler: { defaults: DDPM_DEFAULTS, create: (c) => new DDPMScheduler(c) },
  PNDMScheduler: { defaults: PNDM_DEFAULTS, create: (c) => new PNDMScheduler(c) },
  EulerDiscreteScheduler: { defaults: EULER_DEFAULTS, create: (c) => new EulerDiscreteScheduler(c) },
  EulerAncestralDiscreteScheduler: {
    defaults: EULER_ANCESTRAL_DEFAULTS,
    create: (c) => new EulerAncestralDiscreteScheduler(c),
  },
  DPMSolverMultistepScheduler: { defaults: DPM_MULTISTEP_DEFAULTS, create: (c) => new DPMSolverMultistepScheduler(c) },
  LCMScheduler: { defaults: LCM_DEFAULTS, create: (c) => new LCMScheduler(c) },
  HeunDiscreteScheduler: { defaults: HEUN_DEFAULTS, create: (c) => new HeunDiscreteScheduler(c) },
  // Lantern's score-SDE samplers read the config as DDIM does (score-sde.ts).
  VPSDEEulerMaruyamaScheduler: { defaults: SCORE_SDE_DEFAULTS, create: (c) => new VpSdeScheduler(c) },
  ProbabilityFlowODEEulerScheduler: { defaults: SCORE_SDE_DEFAULTS, create: (c) => new PfOdeScheduler(c) },
};

export const SUPPORTED_SCHEDULER_CLASSES: readonly string[] = Object.keys(CLASSES);

function classEntry(className: unknown): SchedulerClassEntry | undefined {
  return typeof className === 'string' && Object.hasOwn(CLASSES, className) ? CLASSES[className] : undefined;
}

export function isSupportedSchedulerClass(className: unknown): className is string {
  return classEntry(className) !== undefined;
}

/** A supported class's `__init__` defaults (undefined for a class Lantern does not implement). */
export function schedulerClassDefaults(className: string): Readonly<Record<string, unknown>> | undefined {
  return classEntry(className)?.defaults;
}

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
 * Errors are InvalidParamsError: SchedulerConfigError (class, key, value) when the class
 * cannot run the config, param 'scheduler' when the name or class is not available.
 */
export function createScheduler(name: SchedulerName, config: SchedulerConfig | RawSchedulerConfig, options: CreateSchedulerOptions = {}): Scheduler {
  const raw = dropUsedDefaults(config as RawSchedulerConfig);
  if (name === 'default') {
    const className = raw._class_name;
    if (typeof className !== 'string' || className === '') {
      throw new InvalidParamsError(
        `createScheduler('default'): the scheduler config has no _class_name; pick one of ${SCHEDULER_NAMES.filter((n) => n !== 'default').join(', ')}`,
        'scheduler',
      );
    }
    return createSchedulerOfClass(className, raw, options);
  }
  if (!isSchedulerName(name)) {
    throw new InvalidParamsError(
      `createScheduler: unknown scheduler name ${JSON.stringify(name)} (expected one of ${SCHEDULER_NAMES.join(', ')})`,
      'scheduler',
    );
  }
  const className = SCHEDULER_CLASS_NAMES[name];
  const overrides: Record<string, unknown> = {};
  if (name === 'euler' || name === 'heun') overrides.use_karras_sigmas = false;
  if (name === 'dpmpp-2m-sde-karras') Object.assign(overrides, DPMPP_2M_SDE_KARRAS_OVERRIDES);
  // The menu calls it PLMS (what Hub SD 1.5 configs run): PRK warm-up only if the config asks.
  if (name === 'pndm' && raw._class_name !== 'PNDMScheduler') overrides.skip_prk_steps = true;
  if (name === 'dpmpp-2m' || name === 'dpmpp-2m-karras') {
    overrides.algorithm_type = 'dpmsolver++';
    overrides.solver_order = 2;
    overrides.solver_type = 'midpoint';
    overrides.use_karras_sigmas = name === 'dpmpp-2m-karras';
  }
  return CLASSES[className].create({ ...raw, ...overrides, _class_name: className }, options);
}

/**
 * Builds exactly `className` (one of SUPPORTED_SCHEDULER_CLASSES) from a config, as
 * `createScheduler('default', {...config, _class_name: className})` does.
 */
export function createSchedulerOfClass(className: string, config: SchedulerConfig | RawSchedulerConfig, options: CreateSchedulerOptions = {}): Scheduler {
  const entry = classEntry(className);
  if (!entry) {
    throw new InvalidParamsError(
      `createScheduler('default'): scheduler class "${className}" is not supported (supported: ${SUPPORTED_SCHEDULER_CLASSES.join(', ')}); pick one of the named samplers instead`,
      'scheduler',
    );
  }
  return entry.create({ ...dropUsedDefaults(config as RawSchedulerConfig), _class_name: className }, options);
}

/** The keys the model loader fills when a Hub config omits them (or has them null). */
const LOADER_FILLED_KEYS = ['num_train_timesteps', 'beta_start', 'beta_end', 'beta_schedule', 'steps_offset', 'prediction_type'] as const;

/**
 * diffusers' defaults for those keys, shared by every class here but LCMScheduler
 * (DDPMScheduler's `__init__`): used when `_class_name` is missing or names a class
 * Lantern does not implement.
 */
const GENERIC_DEFAULTS: Readonly<Record<(typeof LOADER_FILLED_KEYS)[number], unknown>> = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  steps_offset: 0,
  prediction_type: 'epsilon',
};

/**
 * Load-time check of a model folder's `scheduler/scheduler_config.json` (`file` is its
 * path in the folder, used in messages).
 *
 * 1. It must be a JSON object.
 * 2. num_train_timesteps, beta_start, beta_end, beta_schedule, steps_offset and
 *    prediction_type, when missing or null, take the defaults of the class `_class_name`
 *    names (diffusers' `__init__` defaults: LCMScheduler's betas are scaled_linear
 *    0.00085–0.012, everyone else's linear 0.0001–0.02), or DDPM's for an unknown class.
 *    Every other key is kept as it is, unknown ones included (`from_config` hand-overs).
 * 3. When `_class_name` is a class Lantern implements, that class is constructed from the
 *    config: each constructor validates the keys it uses as diffusers does (beta
 *    schedules per class, prediction_type, timestep_spacing, trained_betas, finite
 *    numbers, …). A class Lantern does not implement is not an error here (the user can
 *    run the folder with a named sampler); only the numeric keys are checked then.
 *
 * Throws ModelFolderError('malformed-file', file, "<file>: <what, key and value>").
 * Returns the config with the defaults filled in.
 */
export function parseSchedulerConfig(file: string, json: unknown): SchedulerConfig {
  const fail = (message: string): never => {
    throw new ModelFolderError('malformed-file', file, `${file}: ${message}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fail(`expected a JSON object, got ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`);
  }
  const config: Record<string, unknown> = { ...(json as Record<string, unknown>) };
  const entry = classEntry(config._class_name);
  const defaults = entry?.defaults ?? GENERIC_DEFAULTS;
  for (const key of LOADER_FILLED_KEYS) {
    if (config[key] === undefined || config[key] === null) config[key] = defaults[key];
  }
  if (entry) {
    try {
      entry.create(dropUsedDefaults(config), {});
    } catch (err) {
      if (err instanceof SchedulerConfigError) fail(err.message);
      throw err;
    }
  } else {
    for (const key of ['num_train_timesteps', 'beta_start', 'beta_end', 'steps_offset'] as const) {
      const v = config[key];
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${key} must be a finite number, got ${describeValue(v)}`);
    }
  }
  return config as SchedulerConfig;
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
    case 'HeunDiscreteScheduler':
      return c.use_karras_sigmas ? 'Heun Karras' : 'Heun';
    case 'VPSDEEulerMaruyamaScheduler':
      return SCHEDULER_LABELS['vp-sde'];
    case 'ProbabilityFlowODEEulerScheduler':
      return SCHEDULER_LABELS['pf-ode'];
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

/** The step counts a scheduler can run with a config: every count in `min…max` but those in `gaps`. */
export interface StepLimits {
  min: number;
  max: number;
  /** Counts inside min…max it cannot run (diffusers' trailing spacing makes n + 1 timesteps for some n). */
  gaps: number[];
  /** A1111-style name of the scheduler the limits are for ("DDIM", "PLMS"…). */
  sampler: string;
}

/**
 * The one step rule for the UI, the CLI and the engine: what `name` built from `config` (as
 * `createScheduler` builds it) can run, from each scheduler's own `stepsProblem` — diffusers'
 * steps ≤ num_train_timesteps (LCM ≤ original_inference_steps), every ᾱ lookup of DDIM / DDPM /
 * PNDM inside [0, num_train_timesteps − 1] (leading spacing + steps_offset), no repeated sigma
 * for DPM-Solver. Throws InvalidParamsError('scheduler') when the scheduler cannot be built.
 */
export function stepLimits(name: SchedulerName, config: SchedulerConfig | RawSchedulerConfig): StepLimits {
  const scheduler = createScheduler(name, config);
  const T = scheduler.config.num_train_timesteps;
  let max = T;
  while (max > 1 && scheduler.stepsProblem(max) !== null) max--;
  let min = 1;
  while (min < max && scheduler.stepsProblem(min) !== null) min++;
  const gaps: number[] = [];
  for (let n = min + 1; n < max; n++) if (scheduler.stepsProblem(n) !== null) gaps.push(n);
  return { min, max, gaps, sampler: schedulerLabel(scheduler) };
}

/** The most steps `name` can run with `config` (see `stepLimits`). */
export function maxSteps(name: SchedulerName, config: SchedulerConfig | RawSchedulerConfig): number {
  const scheduler = createScheduler(name, config);
  let max = scheduler.config.num_train_timesteps;
  while (max > 1 && scheduler.stepsProblem(max) !== null) max--;
  return max;
}

/**
 * Why `name` built from `config` cannot run `steps` steps, naming the scheduler, the reason and
 * the limit ("DDIM cannot run 1000 steps: … (this model's DDIM runs at most 999)"), or null.
 */
export function stepsProblem(name: SchedulerName, config: SchedulerConfig | RawSchedulerConfig, steps: number): string | null {
  const scheduler = createScheduler(name, config);
  const reason = scheduler.stepsProblem(steps);
  if (reason === null) return null;
  const label = schedulerLabel(scheduler);
  const limits = stepLimits(name, config);
  const range = limits.min > 1 ? `${limits.min}…${limits.max} steps` : `at most ${limits.max} steps`;
  const gaps =
    limits.gaps.length > 0 ? `, but not ${limits.gaps.length === 1 ? '' : `${limits.gaps.length} counts such as `}${limits.gaps.slice(0, 3).join(', ')}` : '';
  return `${label} (${scheduler.name}) cannot run ${steps} steps: ${reason} (with this model's scheduler config it runs ${range}${gaps})`;
}
