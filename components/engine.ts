'use client';
/**
 * The one diffusion worker of the page and the glue that turns its events into store
 * updates. Kept out of the zustand stores on purpose: stores hold plain data only.
 */
import { DiffusionClient } from '@/lib/worker/client';
import type { GenerateParams } from '@/lib/diffusion/check-inputs';
import type { GenerateImages } from '@/lib/diffusion/pipeline';
import type { BackendPreference } from '@/lib/onnx/types';
import { useRun } from '@/stores/run';
import { useSettings, type Settings } from '@/stores/settings';
import { DEFAULT_PARAMS, sanitizeParams } from '@/lib/diffusion/params';
import { sourceLabel, type ModelInfo, type ModelSourceSpec } from '@/lib/worker/protocol';

/**
 * A newly loaded model brings its recommended settings (lantern.json) once; later edits stay.
 * They are untrusted like saved settings: out-of-range values are clamped, unusable ones skipped.
 */
function applyRecommended(info: ModelInfo): void {
  const settings = useSettings.getState();
  if (settings.defaultsAppliedFor === info.sourceLabel) return;
  const r = info.recommended;
  const given = { steps: r.steps, guidanceScale: r.guidance, width: r.width, height: r.height, scheduler: r.scheduler };
  const current = {
    ...DEFAULT_PARAMS,
    steps: settings.steps,
    guidanceScale: settings.guidanceScale,
    width: settings.width,
    height: settings.height,
    scheduler: settings.scheduler,
  };
  const { params, dropped } = sanitizeParams(given, current);
  if (dropped.length) console.warn(`lantern: ${info.sourceLabel} recommends unusable settings`, dropped);
  const patch: Partial<Settings> = { defaultsAppliedFor: info.sourceLabel };
  for (const key of Object.keys(given) as Array<keyof typeof given>) {
    if (given[key] !== undefined) Object.assign(patch, { [key]: params[key] });
  }
  // An empty prompt starts from something this model can draw.
  if (!settings.prompt.trim() && info.examplePrompts.length) patch.prompt = info.examplePrompts[0];
  settings.set(patch);
}

let client: DiffusionClient | null = null;

/** Mean step time, leaving out the first step (shader compilation and warm-up) when there are more. */
function msPerStep(steps: number[]): number {
  const warm = steps.length > 1 ? steps.slice(1) : steps;
  return warm.reduce((a, b) => a + b, 0) / Math.max(1, warm.length);
}
let currentRun: string | null = null;

function getClient(): DiffusionClient {
  if (!client) {
    const worker = new Worker(new URL('../lib/worker/diffusion.worker.ts', import.meta.url), { type: 'module', name: 'lantern-diffusion' });
    client = new DiffusionClient(worker);
  }
  return client;
}

/** Opens a model folder in the worker, releasing the one in use first (two SD models rarely fit at once); prompt, sketch and history stay. */
export function loadModel(source: ModelSourceSpec, backend: BackendPreference, lowMemory = false): void {
  const run = useRun.getState();
  run.patch({ phase: 'loading-model', loadLabel: 'starting', error: null, model: null, message: `loading ${sourceLabel(source)}` });
  getClient().send({ type: 'load-model', source, backend, lowMemory }, (e) => {
    const patch = useRun.getState().patch;
    switch (e.type) {
      case 'load-progress':
        patch({ loadLabel: `${e.part} ${(e.loaded / 1e6).toFixed(1)}${e.total ? ` / ${(e.total / 1e6).toFixed(1)}` : ''} MB` });
        break;
      case 'model-ready':
        applyRecommended(e.info);
        patch({ phase: 'ready', model: e.info, message: `model loaded in ${(e.info.loadMs / 1000).toFixed(1)} s` });
        break;
      case 'error':
        patch({ phase: 'error', error: { code: e.code, message: e.message }, message: '' });
        break;
    }
  });
}

interface RunRequest {
  params: GenerateParams;
  previews: boolean;
  images?: GenerateImages;
  /** Live runs: superseded by newer requests, their stale results are dropped. */
  live?: boolean;
}

/** The newest live request waiting for the run in flight to stop. */
let pendingLive: RunRequest | null = null;

function runEnded(): void {
  currentRun = null;
  const next = pendingLive;
  pendingLive = null;
  if (next) startGenerate(next);
}

export function startGenerate(req: RunRequest): void {
  const { params, previews, images, live } = req;
  const patch = useRun.getState().patch;
  patch({ phase: 'generating', step: 0, totalSteps: params.steps, startedAt: performance.now(), elapsedMs: 0, preview: null, error: null, message: '' });
  currentRun = getClient().send({ type: 'generate', params, previews, images }, (e) => {
    const state = useRun.getState();
    switch (e.type) {
      case 'progress':
        state.patch({ step: e.step, totalSteps: e.totalSteps, elapsedMs: e.elapsedMs });
        break;
      case 'preview':
        state.patch({ preview: { width: e.width, height: e.height, rgba: e.rgba } });
        break;
      case 'result': {
        // A newer live request is queued: this result is already stale, never show it.
        if (pendingLive) {
          runEnded();
          break;
        }
        const ms = e.timings.totalMs;
        state.patch({
          phase: 'ready',
          preview: null,
          lastSeed: e.params.seed,
          result: {
            width: e.width,
            height: e.height,
            rgba: e.rgba,
            params: e.params,
            sampler: e.sampler,
            modelName: state.model?.name ?? 'unknown',
            backend: e.backend,
            totalMs: ms,
          },
          message: live
            ? `live ${Math.round(ms)} ms on ${e.backend}`
            : `done in ${(ms / 1000).toFixed(2)} s on ${e.backend} · ${msPerStep(e.timings.unetStepMs).toFixed(1)} ms/step`,
        });
        runEnded();
        break;
      }
      case 'cancelled':
        state.patch({ phase: 'ready', preview: null, message: `cancelled after ${e.atStep} of ${state.totalSteps} steps` });
        runEnded();
        break;
      case 'error':
        state.patch({ phase: state.model ? 'ready' : 'error', preview: null, error: { code: e.code, message: e.message } });
        runEnded();
        break;
    }
  });
}

/** Live mode: run now, or cancel the run in flight and run this one right after it stops. */
export function requestLive(req: Omit<RunRequest, 'live'>): void {
  if (currentRun) {
    pendingLive = { ...req, live: true };
    getClient().cancel(currentRun);
    return;
  }
  startGenerate({ ...req, live: true });
}

export function cancelGenerate(): void {
  if (currentRun) getClient().cancel(currentRun);
}

export function countTokens(text: string, into: 'tokenCount' | 'negativeTokenCount'): void {
  if (!useRun.getState().model) return;
  getClient().send({ type: 'count-tokens', text }, (e) => {
    if (e.type === 'token-count') useRun.getState().patch({ [into]: { count: e.count, max: e.max, truncated: e.truncated } });
  });
}
