/**
 * Generation parameters, in one place: the `GenerateParams` type, the limits of every
 * numeric parameter (`PARAM_LIMITS`), the defaults (`DEFAULT_PARAMS`), the enums, the
 * engine's precise validation (`checkInputs`, diffusers' check_inputs) and the repair of
 * untrusted input (`sanitizeParams`: localStorage, a PNG's metadata, lantern.json).
 *
 * The studio's inputs, the CLI's flags and help, and the PNG writer read their limits and
 * defaults from here, so a limit changes in this file alone.
 */
import { InvalidParamsError } from '../errors';
import {
  SCHEDULER_HELP,
  SCHEDULER_LABELS,
  SCHEDULER_NAMES,
  isSchedulerName,
  maxSteps,
  stepLimits,
  stepsProblem,
  type RawSchedulerConfig,
  type SchedulerConfig,
  type SchedulerName,
  type StepLimits,
} from './schedulers';
import { TIMESTEP_SPACINGS, type TimestepSpacing } from './schedulers/common';

export { InvalidParamsError, SCHEDULER_HELP, SCHEDULER_LABELS, SCHEDULER_NAMES, TIMESTEP_SPACINGS, isSchedulerName, maxSteps, stepLimits, stepsProblem };
export type { SchedulerName, StepLimits, TimestepSpacing };

export interface GenerateParams {
  prompt: string;
  negativePrompt: string;
  /** torch.manual_seed-style: only the low 32 bits reach the generator (see lib/random/mt19937). */
  seed: number;
  steps: number;
  /** Classifier-free guidance scale; ≤ 1 runs the conditional pass only. */
  guidanceScale: number;
  /** φ of Lin et al. 2023; 0 disables. */
  guidanceRescale: number;
  scheduler: SchedulerName;
  /** Overrides the folder's `timestep_spacing` when set. */
  timestepSpacing?: TimestepSpacing;
  width: number;
  height: number;
  /** ControlNet (used when a control image is given): conditioning scale and the schedule range it acts on. */
  controlScale?: number;
  controlStart?: number;
  controlEnd?: number;
  /** img2img (used when an init image is given): how much of the schedule re-noises the image. */
  strength?: number;
}

/** Every parameter set, the optional ones included (timestepSpacing stays optional: unset means the folder's). */
export type CompleteParams = Required<Omit<GenerateParams, 'timestepSpacing'>> & Pick<GenerateParams, 'timestepSpacing'>;

export type NumericParam =
  'seed' | 'steps' | 'guidanceScale' | 'guidanceRescale' | 'width' | 'height' | 'controlScale' | 'controlStart' | 'controlEnd' | 'strength';

export interface ParamLimit {
  readonly min: number;
  readonly max: number;
  /**
   * The grid the studio's inputs move on. For width/height it is SD's latent cell (8 pixels):
   * `checkInputs` asks for a multiple of the loaded model's own factor (Lantern's shapes VAE uses 4).
   */
  readonly step: number;
  readonly integer: boolean;
  /** `min` itself is not allowed: strength lies in (0, 1]. */
  readonly minExclusive?: boolean;
}

/** 2^53 − 1: the largest seed a JS number holds exactly. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

export const PARAM_LIMITS: { readonly [K in NumericParam]: ParamLimit } = Object.freeze({
  seed: { min: 0, max: MAX_SEED, step: 1, integer: true },
  /** diffusers refuses more steps than num_train_timesteps (1000 for every SD family). */
  steps: { min: 1, max: 1000, step: 1, integer: true },
  guidanceScale: { min: 0, max: 20, step: 0.1, integer: false },
  guidanceRescale: { min: 0, max: 1, step: 0.05, integer: false },
  width: { min: 8, max: 2048, step: 8, integer: true },
  height: { min: 8, max: 2048, step: 8, integer: true },
  controlScale: { min: 0, max: 2, step: 0.05, integer: false },
  controlStart: { min: 0, max: 1, step: 0.05, integer: false },
  controlEnd: { min: 0, max: 1, step: 0.05, integer: false },
  strength: { min: 0, max: 1, step: 0.05, integer: false, minExclusive: true },
});

export const NUMERIC_PARAMS = Object.keys(PARAM_LIMITS) as readonly NumericParam[];

/** The studio's starting values (64×64: the size of its default model, lantern-shapes, and of the fixtures). */
export const DEFAULT_PARAMS: Readonly<CompleteParams> = Object.freeze({
  prompt: '',
  negativePrompt: '',
  seed: 0,
  steps: 20,
  guidanceScale: 7.5,
  guidanceRescale: 0,
  scheduler: 'default',
  width: 64,
  height: 64,
  controlScale: 1,
  controlStart: 0,
  controlEnd: 1,
  strength: 0.75,
});

export const CONTROL_DEFAULTS = {
  controlScale: DEFAULT_PARAMS.controlScale,
  controlStart: DEFAULT_PARAMS.controlStart,
  controlEnd: DEFAULT_PARAMS.controlEnd,
} as const;
export const DEFAULT_STRENGTH = DEFAULT_PARAMS.strength;

/** `min`, `max`, `step` for an `<input>`: an excluded minimum becomes its first step above. */
export function inputRange(param: NumericParam): { min: number; max: number; step: number } {
  const l = PARAM_LIMITS[param];
  return { min: l.minExclusive ? l.min + l.step : l.min, max: l.max, step: l.step };
}

/** "1…1000", "(0, 1]", "0…2^53 − 1 (9007199254740991)". */
export function rangeText(param: NumericParam): string {
  const l = PARAM_LIMITS[param];
  if (l.minExclusive) return `(${l.min}, ${l.max}]`;
  const max = l.max === MAX_SEED ? `2^53 − 1 (${MAX_SEED})` : String(l.max);
  return `${l.min}…${max}`;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

/**
 * Why `value` is not an allowed `param`, or null when it is. Names the parameter, the rule
 * and the value: "steps must be an integer in 1…1000 (got 0)", "guidanceScale must be ≤ 20 (got 25)".
 * Width/height are checked against the table only; `checkInputs` adds the model's multiple.
 */
export function paramProblem(param: NumericParam, value: unknown): string | null {
  const l = PARAM_LIMITS[param];
  const got = `(got ${describe(value)})`;
  if (l.integer) {
    const ok = typeof value === 'number' && Number.isInteger(value) && value >= l.min && value <= l.max;
    return ok ? null : `${param} must be an integer in ${rangeText(param)} ${got}`;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${param} must be a number in ${rangeText(param)} ${got}`;
  if (l.minExclusive && !(value > l.min && value <= l.max)) return `${param} must be in ${rangeText(param)} ${got}`;
  if (value < l.min) return `${param} must be ≥ ${l.min} ${got}`;
  if (value > l.max) return `${param} must be ≤ ${l.max} ${got}`;
  return null;
}

/** Throws InvalidParamsError (naming `param`) unless `value` is allowed. */
export function checkParam(param: NumericParam, value: unknown): void {
  const problem = paramProblem(param, value);
  if (problem) throw new InvalidParamsError(problem, param);
}

/**
 * The allowed value nearest to `value`: integers rounded, width/height onto their step,
 * clamped into range (an excluded minimum becomes its first step). Not a finite number: the default.
 */
export function clampParam(param: NumericParam, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return DEFAULT_PARAMS[param];
  const l = PARAM_LIMITS[param];
  const { min, max } = inputRange(param);
  let v = value;
  if (param === 'width' || param === 'height') v = Math.round(v / l.step) * l.step;
  else if (l.integer) v = Math.round(v);
  return Math.min(max, Math.max(min, v));
}

/**
 * Diffusers' check_inputs: every parameter against PARAM_LIMITS and the enums, width and
 * height as multiples of the model's `vaeScale` (pixels per latent cell), controlStart
 * below controlEnd. Throws InvalidParamsError with the parameter's name in `param`.
 */
export function checkInputs(p: GenerateParams, vaeScale = 8): void {
  const bad = (param: string, message: string): never => {
    throw new InvalidParamsError(message, param);
  };
  if (typeof p !== 'object' || p === null) bad('params', `params must be an object (got ${describe(p)})`);
  if (typeof p.prompt !== 'string') bad('prompt', `prompt must be a string (got ${describe(p.prompt)})`);
  if (typeof p.negativePrompt !== 'string') bad('negativePrompt', `negativePrompt must be a string (got ${describe(p.negativePrompt)})`);
  checkParam('seed', p.seed);
  checkParam('steps', p.steps);
  checkParam('guidanceScale', p.guidanceScale);
  checkParam('guidanceRescale', p.guidanceRescale);
  if (!isSchedulerName(p.scheduler)) bad('scheduler', `unknown scheduler ${describe(p.scheduler)} (one of ${SCHEDULER_NAMES.join(', ')})`);
  if (p.timestepSpacing !== undefined && !(TIMESTEP_SPACINGS as readonly unknown[]).includes(p.timestepSpacing)) {
    bad('timestepSpacing', `timestepSpacing must be one of ${TIMESTEP_SPACINGS.join(', ')} (got ${describe(p.timestepSpacing)})`);
  }
  for (const key of ['width', 'height'] as const) {
    const v = p[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < vaeScale || v % vaeScale !== 0) {
      bad(key, `${key} must be a positive multiple of ${vaeScale} (got ${describe(v)})`);
    }
    checkParam(key, v);
  }
  const control = {
    controlScale: p.controlScale ?? CONTROL_DEFAULTS.controlScale,
    controlStart: p.controlStart ?? CONTROL_DEFAULTS.controlStart,
    controlEnd: p.controlEnd ?? CONTROL_DEFAULTS.controlEnd,
  };
  for (const [key, v] of Object.entries(control) as Array<[keyof typeof control, number]>) checkParam(key, v);
  if (control.controlStart >= control.controlEnd) {
    bad('controlStart', `controlStart (${control.controlStart}) must be below controlEnd (${control.controlEnd})`);
  }
  checkParam('strength', p.strength ?? DEFAULT_STRENGTH);
}

/** The scheduler config a run uses: the model's, with the run's `timestepSpacing` over it (as the pipeline builds it). */
export function runSchedulerConfig(schedulerConfig: SchedulerConfig | RawSchedulerConfig, timestepSpacing?: TimestepSpacing): RawSchedulerConfig {
  return timestepSpacing ? { ...schedulerConfig, timestep_spacing: timestepSpacing } : { ...schedulerConfig };
}

/**
 * The steps a run with these settings can take on this model (`stepLimits` of the scheduler the
 * run builds): the studio's steps input and the CLI's --steps check use this, `generate` refuses
 * anything else with `checkSteps`. PARAM_LIMITS.steps stays the model-free bound (1…1000).
 */
export function stepLimitsFor(p: Pick<GenerateParams, 'scheduler' | 'timestepSpacing'>, schedulerConfig: SchedulerConfig | RawSchedulerConfig): StepLimits {
  return stepLimits(p.scheduler, runSchedulerConfig(schedulerConfig, p.timestepSpacing));
}

/**
 * Throws InvalidParamsError(…, 'steps') unless the run's scheduler can take `p.steps` steps,
 * naming the scheduler, the reason and its limit. Call after `checkInputs` (which checks the
 * scheduler name and the 1…1000 bound).
 */
export function checkSteps(p: Pick<GenerateParams, 'steps' | 'scheduler' | 'timestepSpacing'>, schedulerConfig: SchedulerConfig | RawSchedulerConfig): void {
  const problem = stepsProblem(p.scheduler, runSchedulerConfig(schedulerConfig, p.timestepSpacing), p.steps);
  if (problem) throw new InvalidParamsError(`steps ${p.steps}: ${problem}`, 'steps');
}

/** A field `sanitizeParams` could not keep as given. */
export interface DroppedParam {
  param: string;
  /** What the input held. */
  value: unknown;
  /** What the result holds instead (the default, or the nearest allowed value). */
  replacement: unknown;
  reason: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Repairs untrusted parameters (localStorage, a PNG's metadata, lantern.json's recommended
 * values) field by field, never throwing: a missing field takes `fallback`'s value; a field of
 * the wrong type (or NaN/±∞, an unknown scheduler) takes it too; a number outside its limits
 * is clamped (and rounded onto the integer/size grid). Each repair is listed in `dropped`.
 * The result always passes `checkInputs` for SD's factor 8 (and any factor dividing 8).
 */
export function sanitizeParams(input: unknown, fallback: Readonly<CompleteParams> = DEFAULT_PARAMS): { params: CompleteParams; dropped: DroppedParam[] } {
  const dropped: DroppedParam[] = [];
  const out: CompleteParams = { ...fallback };
  if (fallback.timestepSpacing === undefined) delete out.timestepSpacing;
  if (!isRecord(input)) {
    if (input !== undefined) dropped.push({ param: 'params', value: input, replacement: out, reason: 'not an object' });
    return { params: out, dropped };
  }
  const drop = (param: string, value: unknown, replacement: unknown, reason: string) => dropped.push({ param, value, replacement, reason });

  for (const key of ['prompt', 'negativePrompt'] as const) {
    const v = input[key];
    if (v === undefined) continue;
    if (typeof v === 'string') out[key] = v;
    else drop(key, v, out[key], 'not a string');
  }
  if (input.scheduler !== undefined) {
    if (isSchedulerName(input.scheduler)) out.scheduler = input.scheduler;
    else drop('scheduler', input.scheduler, out.scheduler, `not one of ${SCHEDULER_NAMES.join(', ')}`);
  }
  if (input.timestepSpacing !== undefined) {
    const v = input.timestepSpacing;
    if ((TIMESTEP_SPACINGS as readonly unknown[]).includes(v)) out.timestepSpacing = v as TimestepSpacing;
    else drop('timestepSpacing', v, out.timestepSpacing, `not one of ${TIMESTEP_SPACINGS.join(', ')}`);
  }
  for (const key of NUMERIC_PARAMS) {
    const v = input[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      drop(key, v, out[key], 'not a finite number');
      continue;
    }
    const fixed = clampParam(key, v);
    if (fixed !== v) drop(key, v, fixed, paramProblem(key, v) ?? `${key} must be a multiple of ${PARAM_LIMITS[key].step} (got ${v})`);
    out[key] = fixed;
  }
  if (out.controlStart >= out.controlEnd) {
    const range = { controlStart: out.controlStart, controlEnd: out.controlEnd };
    const defaults = { controlStart: DEFAULT_PARAMS.controlStart, controlEnd: DEFAULT_PARAMS.controlEnd };
    drop('controlStart', range, defaults, `controlStart (${range.controlStart}) must be below controlEnd (${range.controlEnd})`);
    Object.assign(out, defaults);
  }
  return { params: out, dropped };
}
