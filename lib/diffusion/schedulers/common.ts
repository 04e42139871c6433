/**
 * Shared pieces of the schedulers, each a transcription of diffusers 0.27.2.
 *
 * Precision: diffusers builds its tables in float32 torch (betas, alphas_cumprod, sigmas)
 * and numpy float64 (timestep spacing, interpolation, Karras). We compute in float64 and
 * round with `Math.fround` where diffusers stores a float32 tensor, so the tables match
 * diffusers to float32 rounding; the per-step math runs in float64 on float32 inputs.
 */
import { InvalidParamsError } from '../../errors';
import type { NoiseSource } from '../../random/noise-source';
import type { SchedulerConfig } from './types';

export const f32 = Math.fround;

// ---------------------------------------------------------------------------------------
// Config defaulting and validation
// ---------------------------------------------------------------------------------------

/**
 * A raw `scheduler_config.json` as parsed (any subset of keys, unknown keys allowed);
 * every class validates the values it uses, with errors naming class, key and choices.
 */
export type RawSchedulerConfig = { readonly [key: string]: unknown };

/**
 * Fills a class's `__init__` defaults the way diffusers' `register_to_config` does.
 * A key that is missing, or `null` where the default is not `null`, takes the default
 * (JSON has no way to spell "use the default" except leaving the key out; a `null`
 * `timestep_spacing` would crash diffusers instead). Keys the class does not know are
 * kept, as diffusers keeps them in `config` for `from_config` hand-overs.
 */
export function withDefaults<D extends Record<string, unknown>>(
  className: string,
  raw: RawSchedulerConfig | undefined,
  defaults: D,
): SchedulerConfig & Record<keyof D, unknown> {
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(raw ?? {})) {
    if (value === undefined) continue;
    if (value === null && key in defaults && defaults[key] !== null) continue;
    out[key] = value;
  }
  out._class_name = className;
  return out as SchedulerConfig & Record<keyof D, unknown>;
}

/**
 * A config value a scheduler class cannot run with, found when the class is constructed
 * (diffusers raises the same in `__init__`, or later in `set_timesteps` / `step`).
 * `param` (from InvalidParamsError) is the config key. The model loader re-throws it as a
 * ModelFolderError naming the file (`parseSchedulerConfig`); at generation time it stays
 * an invalid-params error (a named sampler the model's config cannot drive).
 */
export class SchedulerConfigError extends InvalidParamsError {
  constructor(
    readonly className: string,
    readonly key: string,
    readonly value: unknown,
    message: string,
  ) {
    super(message, key);
    this.name = 'SchedulerConfigError';
  }
}

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'number' || value === undefined) return String(value);
  if (Array.isArray(value) && value.length > 8) return `[${value.slice(0, 8).map(describeValue).join(', ')}, … (${value.length} items)]`;
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) ?? String(value);
}

/** `SomeScheduler does not support key "value" (a, b, c)`. */
export function expectOneOf<T extends string>(className: string, key: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new SchedulerConfigError(className, key, value, `${className} does not support ${key} ${describeValue(value)} (${allowed.join(', ')})`);
}

export function expectBoolean(className: string, key: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw new SchedulerConfigError(className, key, value, `${className}: ${key} must be true or false, got ${describeValue(value)}`);
}

/** A finite number (JSON has no ±Infinity/NaN; Python's bare ones arrive as null = default). */
export function expectNumber(
  className: string,
  key: string,
  value: unknown,
  opts: { integer?: boolean; min?: number; minExclusive?: number; max?: number } = {},
): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!opts.integer || Number.isInteger(value)) &&
    (opts.min === undefined || value >= opts.min) &&
    (opts.minExclusive === undefined || value > opts.minExclusive) &&
    (opts.max === undefined || value <= opts.max);
  if (ok) return value as number;
  const bounded = opts.min !== undefined && opts.max !== undefined;
  const what = [
    opts.integer ? 'an integer' : 'a finite number',
    bounded ? `in [${opts.min}, ${opts.max}]` : '',
    !bounded && opts.min !== undefined ? `>= ${opts.min}` : '',
    opts.minExclusive !== undefined ? `> ${opts.minExclusive}` : '',
    !bounded && opts.max !== undefined ? `<= ${opts.max}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  throw new SchedulerConfigError(className, key, value, `${className}: ${key} must be ${what}, got ${describeValue(value)}`);
}

/** A config combination or feature a class rejects (or Lantern does not port), keyed by `key`. */
export function configError(className: string, key: string, value: unknown, message: string): SchedulerConfigError {
  return new SchedulerConfigError(className, key, value, `${className}: ${message}`);
}

/** `thresholding` (Imagen's dynamic thresholding) is for pixel-space models; not ported. */
export function rejectThresholding(className: string, config: Record<string, unknown>): void {
  if (config.thresholding === true) {
    throw configError(
      className,
      'thresholding',
      true,
      'thresholding true (dynamic thresholding) is not supported; it is meant for pixel-space models, not latent diffusion',
    );
  }
}

/**
 * The step-count rules every scheduler shares, as a reason (null when `n` passes): a positive
 * integer, and diffusers' `num_inference_steps <= num_train_timesteps`.
 */
export function stepCountProblem(n: number, T: number): string | null {
  if (!Number.isInteger(n) || n < 1) return `${n} is not a positive integer`;
  if (n > T) return `${n} is more than num_train_timesteps ${T}`;
  return null;
}

/**
 * Why a schedule of integer timesteps that index the ᾱ table cannot run `n` steps (null when
 * it can): diffusers' trailing spacing sometimes makes n + 1 timesteps, the last −1 (float
 * `arange`), and leading spacing with steps_offset can put the first one at T or beyond.
 */
export function discreteScheduleProblem(timesteps: readonly number[], n: number, T: number, spacing: TimestepSpacing, stepsOffset: number): string | null {
  if (timesteps.length !== n) {
    return `timestep_spacing "${spacing}" makes ${timesteps.length} timesteps for ${n} steps (diffusers' float arange), one of them ${Math.min(...timesteps)}`;
  }
  const hi = Math.max(...timesteps);
  const lo = Math.min(...timesteps);
  if (hi > T - 1) return `timestep_spacing "${spacing}" with steps_offset ${stepsOffset} puts a timestep at ${hi}, past num_train_timesteps − 1 = ${T - 1}`;
  if (lo < 0) return `timestep_spacing "${spacing}" puts a timestep at ${lo}, below 0`;
  return null;
}

export function checkInferenceSteps(className: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidParamsError(`${className}.setTimesteps: numInferenceSteps must be a positive integer, got ${n}`, 'steps');
  }
}

export function checkSameLength(className: string, a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length) {
    throw new Error(`${className}.step: modelOutput has ${a.length} elements but sample has ${b.length}`);
  }
}

// ---------------------------------------------------------------------------------------
// Betas and alphas_cumprod
// ---------------------------------------------------------------------------------------

/** The beta schedules every diffusers class here builds. */
export const BETA_SCHEDULES = ['linear', 'scaled_linear', 'squaredcos_cap_v2'] as const;
/**
 * DDPMScheduler's: also GeoDiff's `sigmoid` (diffusers 0.27.2) and `laplace` (diffusers
 * >= 0.37, `betas_for_alpha_bar(alpha_transform_type="laplace")`).
 */
export const DDPM_BETA_SCHEDULES = [...BETA_SCHEDULES, 'sigmoid', 'laplace'] as const;
export type BetaSchedule = (typeof DDPM_BETA_SCHEDULES)[number];

/** `torch.linspace(start, end, steps, dtype=torch.float32)` (ATen's two-sided CPU kernel). */
export function torchLinspaceF32(start: number, end: number, steps: number): Float64Array {
  const out = new Float64Array(steps);
  if (steps === 1) {
    out[0] = f32(start);
    return out;
  }
  const a = f32(start);
  const b = f32(end);
  const step = f32(f32(b - a) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    out[i] = i < halfway ? f32(a + f32(step * i)) : f32(b - f32(step * (steps - 1 - i)));
  }
  return out;
}

/** Python's `math.copysign(1, x)` (+0 gives 1, unlike Math.sign). */
function copysign1(x: number): number {
  return x < 0 || Object.is(x, -0) ? -1 : 1;
}

/**
 * diffusers' `betas_for_alpha_bar`: `cosine` (Nichol & Dhariwal) for `squaredcos_cap_v2`,
 * `laplace` for DDPM's `laplace` schedule. Python floats, then one float32 tensor.
 */
export function betasForAlphaBar(numDiffusionTimesteps: number, maxBeta = 0.999, transform: 'cosine' | 'laplace' = 'cosine'): Float64Array {
  const alphaBar =
    transform === 'cosine'
      ? (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2
      : (t: number) => {
          const lmb = -0.5 * copysign1(0.5 - t) * Math.log(1 - 2 * Math.abs(0.5 - t) + 1e-6);
          const snr = Math.exp(lmb);
          return Math.sqrt(snr / (1 + snr));
        };
  const out = new Float64Array(numDiffusionTimesteps);
  for (let i = 0; i < numDiffusionTimesteps; i++) {
    const t1 = i / numDiffusionTimesteps;
    const t2 = (i + 1) / numDiffusionTimesteps;
    out[i] = f32(Math.min(1 - alphaBar(t2) / alphaBar(t1), maxBeta));
  }
  return out;
}

/** diffusers' `rescale_zero_terminal_snr` (Lin et al. 2023, Algorithm 1). */
export function rescaleZeroTerminalSnr(betas: Float64Array): Float64Array {
  const n = betas.length;
  const sqrtBar = new Float64Array(n);
  let acc = 1;
  for (let i = 0; i < n; i++) {
    acc *= 1 - betas[i];
    sqrtBar[i] = Math.sqrt(acc);
  }
  const first = sqrtBar[0];
  const last = sqrtBar[n - 1];
  const bar = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = ((sqrtBar[i] - last) * first) / (first - last);
    bar[i] = s * s;
  }
  const out = new Float64Array(n);
  out[0] = f32(1 - bar[0]);
  for (let i = 1; i < n; i++) out[i] = f32(1 - bar[i] / bar[i - 1]);
  return out;
}

/**
 * The beta table of a config, as each class's `__init__` builds it. `schedules` is the
 * list of `beta_schedule` values the class implements (diffusers raises
 * NotImplementedError for the others). `trained_betas`, when set, replaces the schedule
 * (beta_schedule / beta_start / beta_end are then unused, as in diffusers).
 */
export function makeBetas(
  className: string,
  config: {
    num_train_timesteps: number;
    beta_start: unknown;
    beta_end: unknown;
    beta_schedule: unknown;
    trained_betas?: unknown;
  },
  schedules: readonly BetaSchedule[] = BETA_SCHEDULES,
): Float64Array {
  const T = config.num_train_timesteps;
  if (config.trained_betas != null) {
    const tb = config.trained_betas;
    if (!Array.isArray(tb) || tb.some((b) => typeof b !== 'number' || !Number.isFinite(b) || b < 0 || b > 1)) {
      throw configError(className, 'trained_betas', tb, `trained_betas must be null or an array of numbers in [0, 1], got ${describeValue(tb)}`);
    }
    // diffusers takes any length; every integer timestep in [0, T) indexes this table, so a
    // shorter one fails mid-sampling there (IndexError) and is refused here at load time
    if (tb.length !== T) {
      throw configError(className, 'trained_betas', tb, `trained_betas has ${tb.length} values but num_train_timesteps is ${T}; they must match`);
    }
    return Float64Array.from(tb as number[], (b) => f32(b));
  }
  const schedule = expectOneOf(className, 'beta_schedule', config.beta_schedule, schedules);
  if (schedule === 'squaredcos_cap_v2') return betasForAlphaBar(T);
  if (schedule === 'laplace') return betasForAlphaBar(T, 0.999, 'laplace');
  const start = expectNumber(className, 'beta_start', config.beta_start, { min: 0, max: 1 });
  const end = expectNumber(className, 'beta_end', config.beta_end, { min: 0, max: 1 });
  switch (schedule) {
    case 'linear':
      return torchLinspaceF32(start, end, T);
    case 'scaled_linear': {
      const x = torchLinspaceF32(Math.sqrt(start), Math.sqrt(end), T);
      return x.map((v) => f32(v * v));
    }
    case 'sigmoid': {
      // GeoDiff: torch.sigmoid(torch.linspace(-6, 6, T)) * (end - start) + start, float32
      // tensor ops with Python-float scalars (each op rounds to float32)
      const x = torchLinspaceF32(-6, 6, T);
      const scale = f32(end - start);
      return x.map((v) => f32(f32(f32(1 / (1 + Math.exp(-v))) * scale) + f32(start)));
    }
  }
}

/** `torch.cumprod(1 - betas)`: float32 alphas, product accumulated in double as ATen does on CPU. */
export function alphasCumprodOf(betas: Float64Array): Float64Array {
  const out = new Float64Array(betas.length);
  let acc = 1;
  for (let i = 0; i < betas.length; i++) {
    acc *= f32(1 - betas[i]);
    out[i] = f32(acc);
  }
  return out;
}

/** ᾱ_t for an integer timestep, with an error instead of torch's IndexError. */
export function alphaProdAt(className: string, alphasCumprod: Float64Array, t: number): number {
  if (!Number.isInteger(t) || t < 0 || t >= alphasCumprod.length) {
    throw new Error(`${className}: timestep ${t} is not an integer in [0, ${alphasCumprod.length - 1}] (num_train_timesteps ${alphasCumprod.length})`);
  }
  return alphasCumprod[t];
}

/** `((1 - ᾱ) / ᾱ) ** 0.5` in float32 torch ops, ascending in t (index = train timestep). */
export function sigmasFromAlphasCumprod(alphasCumprod: Float64Array): Float64Array {
  return alphasCumprod.map((a) => f32(Math.sqrt(f32(f32(1 - a) / a))));
}

// ---------------------------------------------------------------------------------------
// numpy helpers (float64), with numpy's exact semantics where it matters
// ---------------------------------------------------------------------------------------

/** `np.round`: round half to even. */
export function roundHalfEven(x: number): number {
  if (Math.abs(x % 1) === 0.5) return 2 * Math.round(x / 2);
  return Math.round(x);
}

/** `np.arange(start, stop, step)` for float arguments (numpy fills `start + i*delta`). */
export function npArange(start: number, stop: number, step: number): number[] {
  const len = Math.ceil((stop - start) / step);
  if (!(len > 0)) return [];
  const out = [start];
  if (len > 1) out.push(start + step);
  const delta = start + step - start; // numpy recomputes the step from the first two values
  for (let i = 2; i < len; i++) out.push(start + i * delta);
  return out;
}

/** `np.arange(0, n)` (integers). */
export function range(n: number): number[] {
  return Array.from({ length: Math.max(0, n) }, (_, i) => i);
}

/** `np.linspace(start, stop, num, endpoint)` in float64. */
export function npLinspace(start: number, stop: number, num: number, endpoint = true): number[] {
  const div = endpoint ? num - 1 : num;
  const delta = stop - start;
  const out: number[] = [];
  const step = div > 0 ? delta / div : NaN;
  for (let i = 0; i < num; i++) {
    if (div > 0) out.push(step === 0 ? (i / div) * delta + start : i * step + start);
    else out.push(i * delta + start);
  }
  if (endpoint && num > 1) out[num - 1] = stop;
  return out;
}

/** `np.interp(x, xp, fp)` for increasing `xp` (returns float64). */
export function npInterp(x: number, xp: ArrayLike<number>, fp: ArrayLike<number>): number {
  const n = xp.length;
  if (x <= xp[0]) return fp[0];
  if (x >= xp[n - 1]) return fp[n - 1];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xp[mid] <= x) lo = mid;
    else hi = mid;
  }
  const slope = (fp[lo + 1] - fp[lo]) / (xp[lo + 1] - xp[lo]);
  return slope * (x - xp[lo]) + fp[lo];
}

// ---------------------------------------------------------------------------------------
// Timestep spacing, per class family (Table 2 of "Common Diffusion Noise Schedules and
// Sample Steps are Flawed"; each diffusers class spells it slightly differently)
// ---------------------------------------------------------------------------------------

export const TIMESTEP_SPACINGS = ['leading', 'trailing', 'linspace'] as const;
export type TimestepSpacing = (typeof TIMESTEP_SPACINGS)[number];

/**
 * DDIMScheduler / DDPMScheduler `set_timesteps` (int64, descending).
 * leading: `arange(n) * (T // n) + steps_offset`; trailing: `round(arange(T, 0, -T/n)) - 1`;
 * linspace: `round(linspace(0, T-1, n))` (no steps_offset).
 */
export function discreteTimesteps(spacing: TimestepSpacing, T: number, n: number, stepsOffset: number): number[] {
  switch (spacing) {
    case 'linspace':
      return npLinspace(0, T - 1, n)
        .map(roundHalfEven)
        .reverse();
    case 'leading': {
      const stepRatio = Math.floor(T / n);
      return range(n)
        .map((i) => i * stepRatio + stepsOffset)
        .reverse();
    }
    case 'trailing':
      return npArange(T, 0, -T / n).map((v) => Math.trunc(roundHalfEven(v)) - 1);
  }
}

/** PNDMScheduler's `_timesteps` (ascending, before the PLMS/PRK arrangement). */
export function pndmBaseTimesteps(spacing: TimestepSpacing, T: number, n: number, stepsOffset: number): number[] {
  switch (spacing) {
    case 'linspace':
      return npLinspace(0, T - 1, n).map(roundHalfEven);
    case 'leading': {
      const stepRatio = Math.floor(T / n);
      return range(n).map((i) => i * stepRatio + stepsOffset);
    }
    case 'trailing':
      return npArange(T, 0, -T / n)
        .map((v) => Math.trunc(roundHalfEven(v)) - 1)
        .reverse();
  }
}

/**
 * EulerDiscrete / EulerAncestralDiscrete `set_timesteps` (float32, descending).
 * linspace keeps fractional values (946.42108 second of 20 steps), as diffusers does.
 */
export function eulerTimesteps(spacing: TimestepSpacing, T: number, n: number, stepsOffset: number): number[] {
  switch (spacing) {
    case 'linspace':
      return npLinspace(0, T - 1, n)
        .map(f32)
        .reverse();
    case 'leading': {
      const stepRatio = Math.floor(T / n);
      return range(n)
        .map((i) => f32(i * stepRatio) + stepsOffset)
        .reverse();
    }
    case 'trailing':
      return npArange(T, 0, -T / n).map((v) => f32(roundHalfEven(v)) - 1);
  }
}

/**
 * DPMSolverMultistep `set_timesteps` before sigma conversion (int64, descending).
 * `lastTimestep` is T unless `lambda_min_clipped` cuts the schedule.
 * leading/linspace make n+1 points and drop the last (t = 0 side).
 */
export function dpmTimesteps(spacing: TimestepSpacing, T: number, lastTimestep: number, n: number, stepsOffset: number): number[] {
  switch (spacing) {
    case 'linspace':
      return npLinspace(0, lastTimestep - 1, n + 1)
        .map(roundHalfEven)
        .reverse()
        .slice(0, -1);
    case 'leading': {
      const stepRatio = Math.floor(lastTimestep / (n + 1));
      return range(n + 1)
        .map((i) => i * stepRatio)
        .reverse()
        .slice(0, -1)
        .map((t) => t + stepsOffset);
    }
    case 'trailing':
      return npArange(lastTimestep, 0, -T / n).map((v) => Math.trunc(roundHalfEven(v)) - 1);
  }
}

// ---------------------------------------------------------------------------------------
// Sigma-space helpers (Euler, DPM-Solver)
// ---------------------------------------------------------------------------------------

/** Karras et al. (2022) eq. 5 with rho = 7, as `_convert_to_karras` (float64). */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, n: number, rho = 7): number[] {
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  return npLinspace(0, 1, n).map((r) => (maxInvRho + r * (minInvRho - maxInvRho)) ** rho);
}

/** Lu et al. (DPM-Solver++) uniform-lambda schedule, as `_convert_to_lu` (rho = 1). */
export function luLambdas(lambdaMin: number, lambdaMax: number, n: number): number[] {
  return npLinspace(0, 1, n).map((r) => lambdaMax + r * (lambdaMin - lambdaMax));
}

/**
 * `_sigma_to_t`: fractional train timestep of a sigma by linear interpolation in
 * log-sigma. `logSigmas` is ascending (float32 values, as `np.log` of a float32 array).
 */
export function sigmaToT(sigma: number, logSigmas: ArrayLike<number>): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  const n = logSigmas.length;
  // cumsum(dists >= 0).argmax(): the last index whose log-sigma is <= log_sigma (0 if none)
  let lowIdx = 0;
  for (let i = 0; i < n; i++) if (logSigma - logSigmas[i] >= 0) lowIdx = i;
  lowIdx = Math.min(lowIdx, n - 2);
  const highIdx = lowIdx + 1;
  const low = logSigmas[lowIdx];
  const high = logSigmas[highIdx];
  // `low - high` is a float32 subtraction in numpy (both operands float32)
  let w = (low - logSigma) / f32(low - high);
  w = Math.min(Math.max(w, 0), 1);
  return (1 - w) * lowIdx + w * highIdx;
}

/**
 * `index_for_timestep`: the position of `timestep` in the schedule. When it occurs twice
 * (img2img starting mid-schedule) diffusers takes the second occurrence so that no sigma
 * is skipped. DPM-Solver falls back to the last index when absent; the others raise.
 * `float32`: compare as torch compares a float32 schedule with a Python float.
 */
export function indexForTimestep(
  className: string,
  timesteps: readonly number[],
  timestep: number,
  opts: { fallbackToLast?: boolean; float32?: boolean } = {},
): number {
  const key = opts.float32 ? f32(timestep) : timestep;
  const hits: number[] = [];
  for (let i = 0; i < timesteps.length && hits.length < 2; i++) {
    if (timesteps[i] === key) hits.push(i);
  }
  if (hits.length === 0) {
    if (opts.fallbackToLast) return timesteps.length - 1;
    throw new Error(`${className}: timestep ${timestep} is not in the schedule; pass one of scheduler.timesteps (call setTimesteps first)`);
  }
  return hits.length > 1 ? hits[1] : hits[0];
}

// ---------------------------------------------------------------------------------------
// Noise and prediction helpers
// ---------------------------------------------------------------------------------------

export const PREDICTION_TYPES = ['epsilon', 'v_prediction', 'sample'] as const;
export type PredictionType = (typeof PREDICTION_TYPES)[number];

/** One draw of `randn_tensor(model_output.shape, generator)`. */
export function drawNoise(className: string, source: NoiseSource | undefined, n: number): Float32Array {
  if (!source) {
    throw new Error(`${className}.step: this step draws noise; pass a NoiseSource as the 4th argument`);
  }
  const z = source.randn(n);
  if (z.length !== n) throw new Error(`${className}.step: NoiseSource.randn(${n}) returned ${z.length} values`);
  return z;
}

/** img2img for ᾱ-parameterised schedulers: sqrt(ᾱ_t)·x0 + sqrt(1−ᾱ_t)·ε. */
export function addNoiseVp(original: Float32Array, noise: Float32Array, alphaProd: number): Float32Array {
  if (original.length !== noise.length) {
    throw new Error(`addNoise: original has ${original.length} elements but noise has ${noise.length}`);
  }
  const a = Math.sqrt(alphaProd);
  const b = Math.sqrt(1 - alphaProd);
  const out = new Float32Array(original.length);
  for (let i = 0; i < out.length; i++) out[i] = a * original[i] + b * noise[i];
  return out;
}
