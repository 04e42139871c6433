/** The benchmark page: its options, the run in progress, the finished runs and the report. Plain data only. */
import { create } from 'zustand';
import { DEFAULT_OPTIONS, type BenchOptions } from '@/components/bench/plan';
import type { BenchEnvironment, BenchReport, ConfigId, RunSample } from '@/components/bench/report';

export type BenchPhase = 'idle' | 'running' | 'done' | 'stopped' | 'error';

/** This browser as the page sees it (the worker picks its backend from the same adapter). */
export type DeviceInfo = Omit<BenchEnvironment, 'backend' | 'backendReason'>;

export interface BenchState {
  options: BenchOptions;
  phase: BenchPhase;
  /** Run `index` (from 1) of `total`, and what it is. */
  progress: { index: number; total: number; config: ConfigId; cold: boolean } | null;
  samples: RunSample[];
  report: BenchReport | null;
  error: string | null;
  /** null until read at start. */
  device: DeviceInfo | null;
}

export const useBench = create<BenchState & { patch: (p: Partial<BenchState>) => void }>()((set) => ({
  options: DEFAULT_OPTIONS,
  phase: 'idle',
  progress: null,
  samples: [],
  report: null,
  error: null,
  device: null,
  patch: (p) => set(p),
}));
