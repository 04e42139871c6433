/** What the benchmark runs, in which order, from the page's query and the model's abilities. Pure. */
import type { ConfigId } from './report';

export interface BenchOptions {
  steps: number;
  /** Warm runs of each configuration, after one cold run each. */
  repeats: number;
}

export const DEFAULT_OPTIONS: BenchOptions = { steps: 10, repeats: 3 };
export const OPTION_LIMITS: Readonly<Record<keyof BenchOptions, { min: number; max: number }>> = {
  steps: { min: 1, max: 100 },
  repeats: { min: 1, max: 50 },
};

/** A whole number within the option's limits, else null. */
export function optionValue(key: keyof BenchOptions, raw: string | null | undefined): number | null {
  if (raw === null || raw === undefined || raw.trim() === '') return null;
  const n = Number(raw);
  if (!Number.isFinite(n)) return null;
  const { min, max } = OPTION_LIMITS[key];
  return Math.min(max, Math.max(min, Math.round(n)));
}

/** `?steps=` and `?repeats=` over the defaults (an unusable value is ignored). */
export function optionsFromQuery(search: string): BenchOptions {
  const q = new URLSearchParams(search);
  return {
    steps: optionValue('steps', q.get('steps')) ?? DEFAULT_OPTIONS.steps,
    repeats: optionValue('repeats', q.get('repeats')) ?? DEFAULT_OPTIONS.repeats,
  };
}

/** The configurations this model can run: CFG only where its family has an unconditional pass, ControlNet only with one. */
export function configsFor(model: { classifierFreeGuidance: boolean; hasControlNet: boolean }): ConfigId[] {
  return [...(model.classifierFreeGuidance ? (['cfg'] as const) : []), 'no-cfg', ...(model.hasControlNet ? (['controlnet'] as const) : [])];
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
