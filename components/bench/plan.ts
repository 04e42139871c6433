/** What the benchmark runs, in which order, from the page's query and the model's abilities. Pure. */
import type { ConfigId } from './report';

export interface BenchOptions {
  steps: number;
  /** Warm runs of each configuration, after one cold run each. */
  repeats: number;
  /** `?configs=cfg,no-cfg`: only these kinds of run (null: every kind the model has). */
  configs: ConfigId[] | null;
}

export type NumericOption = 'steps' | 'repeats';

export const DEFAULT_OPTIONS: BenchOptions = { steps: 10, repeats: 3, configs: null };
export const OPTION_LIMITS: Readonly<Record<NumericOption, { min: number; max: number }>> = {
  steps: { min: 1, max: 100 },
  repeats: { min: 1, max: 50 },
};

/** A whole number within the option's limits, else null. */
export function optionValue(key: NumericOption, raw: string | null | undefined): number | null {
  if (raw === null || raw === undefined || raw.trim() === '') return null;
  const n = Number(raw);
  if (!Number.isFinite(n)) return null;
  const { min, max } = OPTION_LIMITS[key];
  return Math.min(max, Math.max(min, Math.round(n)));
}

const CONFIG_IDS: readonly ConfigId[] = ['cfg', 'no-cfg', 'controlnet'];

/** `?steps=`, `?repeats=` and `?configs=` over the defaults (an unusable value is ignored). */
export function optionsFromQuery(search: string): BenchOptions {
  const q = new URLSearchParams(search);
  const configs = (q.get('configs') ?? '').split(',').filter((c): c is ConfigId => (CONFIG_IDS as readonly string[]).includes(c));
  return {
    steps: optionValue('steps', q.get('steps')) ?? DEFAULT_OPTIONS.steps,
    repeats: optionValue('repeats', q.get('repeats')) ?? DEFAULT_OPTIONS.repeats,
    configs: configs.length ? configs : null,
  };
}

/**
 * The configurations this model can run: CFG only where its family has an unconditional pass,
 * ControlNet only with one; of those, the ones asked for (`only`).
 */
export function configsFor(model: { classifierFreeGuidance: boolean; hasControlNet: boolean }, only: readonly ConfigId[] | null = null): ConfigId[] {
  const all: ConfigId[] = [...(model.classifierFreeGuidance ? (['cfg'] as const) : []), 'no-cfg', ...(model.hasControlNet ? (['controlnet'] as const) : [])];
  return only ? all.filter((c) => only.includes(c)) : all;
}

export interface PlannedRun {
  config: ConfigId;
  cold: boolean;
}

/**
 * One cold run of each configuration, then `repeats` rounds interleaving them (A B C A B C …),
 * so a drift in the machine's load touches every configuration alike.
 */
export function benchPlan(configs: readonly ConfigId[], repeats: number): PlannedRun[] {
  const plan: PlannedRun[] = configs.map((config) => ({ config, cold: true }));
  for (let r = 0; r < repeats; r++) for (const config of configs) plan.push({ config, cold: false });
  return plan;
}

/** The steps to run: the asked number within what the model's sampler allows. */
export function clampSteps(steps: number, limits: { min: number; max: number } | undefined): number {
  return limits ? Math.min(limits.max, Math.max(limits.min, steps)) : steps;
}

/** The CFG runs' guidance: the studio's setting when it runs CFG (> 1), else SD's usual 7.5. */
export function cfgGuidance(setting: number): number {
  return setting > 1 ? setting : 7.5;
}

/** The studio's link to /bench keeps the model and backend this page load was asked for. */
export function benchHref(search: string): string {
  const q = new URLSearchParams(search);
  const keep = new URLSearchParams();
  for (const key of ['model', 'backend']) {
    const v = q.get(key);
    if (v) keep.set(key, v);
  }
  const s = keep.toString();
  return s ? `/bench?${s}` : '/bench';
}
