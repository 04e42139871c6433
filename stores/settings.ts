/** What the user set: prompt, sliders, sampler. Plain data; persisted so a reload keeps it. */
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import type { SchedulerName } from '@/lib/diffusion/schedulers';
import type { BackendPreference } from '@/lib/onnx/types';

export type SeedMode = 'random' | 'fixed';
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
}

export const DEFAULT_SETTINGS: Settings = {
  prompt: '',
  negativePrompt: '',
  seedMode: 'random',
  seed: 0,
  steps: 20,
  guidanceScale: 7.5,
  guidanceRescale: 0,
  scheduler: 'default',
  width: 64,
  height: 64,
  backend: 'auto',
  previews: true,
  controlEnabled: true,
  controlScale: 1,
  controlStart: 0,
  controlEnd: 1,
  initSource: 'none',
  strength: 0.75,
  liveMode: false,
  defaultsAppliedFor: null,
};

interface SettingsStore extends Settings {
  set: (patch: Partial<Settings>) => void;
}

export const useSettings = create<SettingsStore>()(
  persist((set) => ({ ...DEFAULT_SETTINGS, set: (patch) => set(patch) }), {
    name: 'lantern-settings',
    version: 2,
    // Older saved settings lack the new keys: start from defaults, keep what was saved.
    migrate: (saved) => ({ ...DEFAULT_SETTINGS, ...(saved as Partial<Settings>) }),
  }),
);
