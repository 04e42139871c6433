/** What the engine is doing: model status, the run in flight, the last result. Plain data only. */
import { create } from 'zustand';
import type { GenerateParams } from '@/lib/diffusion/check-inputs';
import type { ModelInfo } from '@/lib/worker/protocol';
import type { SketchDoc } from '@/lib/sketch';
import type { RgbaImage } from '@/lib/tensor/image';

/** The images a run was conditioned on, as they were when it started (history keeps them with the result). */
export interface RunInputs {
  /** The sketch document, when it conditioned the ControlNet. */
  sketch: SketchDoc | null;
  /** The img2img init image, when one was used. */
  init: RgbaImage | null;
}

export type Phase = 'idle' | 'loading-model' | 'ready' | 'generating' | 'error';

export interface RunResult {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
  params: GenerateParams;
  sampler: string;
  modelName: string;
  backend: string;
  totalMs: number;
  /** The engine's doubts about the picture (a flat or black image), shown beside it. */
  warnings: string[];
  /** sourceLabel() of the model that made it. */
  modelSource: string;
  timings: { textEncoderMs: number; unetStepMs: number[]; vaeMs: number; totalMs: number };
  inputs: RunInputs;
  /** A live-mode run (drawing); the history keeps only deliberate runs. */
  live: boolean;
  /** Wall-clock time it finished (Date.now()). */
  finishedAt: number;
}

export interface RunError {
  code: string;
  message: string;
  during: 'load' | 'run';
  /** The worker's hints for this failure (e.g. an out-of-memory run: smaller size, low-memory mode, wasm). */
  suggestions?: readonly string[];
}

export interface RunState {
  phase: Phase;
  model: ModelInfo | null;
  loadLabel: string;
  step: number;
  totalSteps: number;
  startedAt: number;
  elapsedMs: number;
  /** The latest latent preview, decoded by the worker (draw it as is; the controller closes the one it replaces). */
  preview: { width: number; height: number; bitmap: ImageBitmap } | null;
  result: RunResult | null;
  /** Seed of the last finished run, for "reuse last". */
  lastSeed: number | null;
  message: string;
  /** The last failure, and whether it happened opening a model or generating (the actions offered differ). */
  error: RunError | null;
  /** Image k of a batch of N (k from 1), while a batch runs. */
  batch: { index: number; count: number } | null;
  tokenCount: { count: number; max: number; truncated: boolean } | null;
  negativeTokenCount: { count: number; max: number; truncated: boolean } | null;
}

export const useRun = create<RunState & { patch: (p: Partial<RunState>) => void }>()((set) => ({
  phase: 'idle',
  model: null,
  loadLabel: '',
  step: 0,
  totalSteps: 0,
  startedAt: 0,
  elapsedMs: 0,
  preview: null,
  result: null,
  lastSeed: null,
  message: '',
  error: null,
  batch: null,
  tokenCount: null,
  negativeTokenCount: null,
  patch: (p) => set(p),
}));
