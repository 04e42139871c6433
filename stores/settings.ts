/** What the user set: prompt, sliders, sampler. Plain data; persisted so a reload keeps it. */
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import { DEFAULT_PARAMS, sanitizeParams, type DroppedParam, type SchedulerName } from '@/lib/diffusion/params';
import type { BackendPreference } from '@/lib/onnx/types';
import { catalogEntry } from '@/lib/models/catalog';

export type SeedMode = 'random' | 'fixed';
/** The model to open at start: a folder by URL (the embedded one by default) or a Hub repo (opened from the OPFS cache). */
export type ModelChoice =
  | { kind: 'url'; baseUrl: string }
  | { kind: 'hub'; repo: string; revision: string; subfolder: string }
  /** A catalogue entry (lib/models/catalog.ts) and the variant the fit check picked. */
  | { kind: 'catalog'; id: string; variant: string };
export const DEFAULT_MODEL: ModelChoice = { kind: 'url', baseUrl: '/models/lantern-shapes/' };
/** Where img2img's init image comes from. */
export type InitSource = 'none' | 'upload' | 'last' | 'sketch';

export interface Settings {
  prompt: string;
  negativePrompt: string;
  seedMode: SeedMode;
  seed: number;
  steps: number;
  guidanceScale: number;
  guidanceRescale: number;
  scheduler: SchedulerName;
  width: number;
  height: number;
  backend: BackendPreference;
  previews: boolean;
  controlEnabled: boolean;
  controlScale: number;
  controlStart: number;
  controlEnd: number;
  initSource: InitSource;
  strength: number;
  /** Regenerate while drawing (debounced, fixed seed, few steps). */
  liveMode: boolean;
  /** The model whose recommended settings were last applied; a new model applies its own once. */
  defaultsAppliedFor: string | null;
  model: ModelChoice;
  /** Release the text encoder after encoding and load the VAE decoder only to decode: less memory, slower generates. */
  lowMemory: boolean;
  /** Images per Generate (A1111's batch count): seed, seed + 1, … */
  batchCount: number;
}

/** The batch counts the Generate bar offers. */
export const BATCH_COUNTS: readonly number[] = [1, 2, 3, 4, 6, 8, 12, 16];

/** The generation parameters among the settings: they start from, and are repaired by, lib/diffusion/params. */
const PARAM_KEYS = [
  'prompt',
  'negativePrompt',
  'seed',
  'steps',
  'guidanceScale',
  'guidanceRescale',
  'scheduler',
  'width',
  'height',
  'controlScale',
  'controlStart',
  'controlEnd',
  'strength',
] as const satisfies ReadonlyArray<keyof Settings>;

type ParamSettings = Pick<Settings, (typeof PARAM_KEYS)[number]>;

function paramSettings(p: ParamSettings): ParamSettings {
  return Object.fromEntries(PARAM_KEYS.map((k) => [k, p[k]])) as unknown as ParamSettings;
}

export const DEFAULT_SETTINGS: Settings = {
  ...paramSettings(DEFAULT_PARAMS),
  seedMode: 'random',
  backend: 'auto',
  previews: true,
  controlEnabled: true,
  initSource: 'none',
  liveMode: false,
  defaultsAppliedFor: null,
  model: DEFAULT_MODEL,
  lowMemory: false,
  batchCount: 1,
};

const HUB_NAME = /^[\w.-]+\/[\w.-]+$/;
function isModelChoice(v: unknown): boolean {
  const c = v as Partial<Record<string, unknown>> | null;
  if (typeof c !== 'object' || c === null) return false;
  if (c.kind === 'url') return typeof c.baseUrl === 'string' && c.baseUrl.length > 0;
  if (c.kind === 'catalog') return typeof c.id === 'string' && catalogEntry(c.id) !== undefined && typeof c.variant === 'string';
  return (
    c.kind === 'hub' &&
    typeof c.repo === 'string' &&
    HUB_NAME.test(c.repo) &&
    typeof c.revision === 'string' &&
    c.revision !== '' &&
    typeof c.subfolder === 'string'
  );
}

const SEED_MODES: readonly SeedMode[] = ['random', 'fixed'];
const INIT_SOURCES: readonly InitSource[] = ['none', 'upload', 'last', 'sketch'];
const BACKENDS: readonly BackendPreference[] = ['auto', 'webgpu', 'wasm'];

/**
 * Settings as saved (localStorage, any older version) made safe: the generation parameters
 * through `sanitizeParams` (a stored `steps: -5` or `width: 65` is repaired), the rest checked
 * against their options. A field that is missing or unusable keeps `base`'s value; each
 * repair is listed in `dropped`.
 */
export function restoreSettings(saved: unknown, base: Settings = DEFAULT_SETTINGS): { settings: Settings; dropped: DroppedParam[] } {
  const obj: Record<string, unknown> = typeof saved === 'object' && saved !== null && !Array.isArray(saved) ? (saved as Record<string, unknown>) : {};
  const { params, dropped } = sanitizeParams(saved, { ...DEFAULT_PARAMS, ...paramSettings(base) });
  const settings: Settings = { ...base, ...paramSettings(params) };
  const option = <K extends keyof Settings>(key: K, ok: (v: unknown) => boolean) => {
    const v = obj[key];
    if (v === undefined) return;
    if (ok(v)) settings[key] = v as Settings[K];
    else dropped.push({ param: key, value: v, replacement: settings[key], reason: 'not an allowed value' });
  };
  const isBoolean = (v: unknown) => typeof v === 'boolean';
  option('seedMode', (v) => SEED_MODES.includes(v as SeedMode));
  option('initSource', (v) => INIT_SOURCES.includes(v as InitSource));
  option('backend', (v) => BACKENDS.includes(v as BackendPreference));
  option('previews', isBoolean);
  option('controlEnabled', isBoolean);
  option('liveMode', isBoolean);
  option('defaultsAppliedFor', (v) => v === null || typeof v === 'string');
  option('model', isModelChoice);
  option('lowMemory', isBoolean);
  option('batchCount', (v) => BATCH_COUNTS.includes(v as number));
  return { settings, dropped };
}

interface SettingsStore extends Settings {
  set: (patch: Partial<Settings>) => void;
}

export const useSettings = create<SettingsStore>()(
  persist((set) => ({ ...DEFAULT_SETTINGS, set: (patch) => set(patch) }), {
    name: 'lantern-settings',
    version: 2,
    // Saved settings are untrusted (hand edits, older versions, another build): `merge`, which
    // every rehydration goes through (after `migrate` for an older version), repairs them field by field.
    migrate: (saved) => saved as SettingsStore,
    merge: (saved, current) => {
      if (saved === undefined) return current;
      const { settings, dropped } = restoreSettings(saved, current);
      if (dropped.length) console.warn('lantern: saved settings repaired', dropped);
      return { ...current, ...settings };
    },
  }),
);
