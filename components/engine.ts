'use client';
/**
 * The page's one diffusion worker and its studio controller (components/studio-controller.ts,
 * which turns the worker's events into store updates). Kept out of the zustand stores on
 * purpose: stores hold plain data only. The functions below are what components call.
 */
import { DiffusionClient } from '@/lib/worker/client';
import type { BackendPreference } from '@/lib/onnx/types';
import type { ModelSourceSpec } from '@/lib/worker/protocol';
import { StudioController, type RunRequest } from './studio-controller';

let client: DiffusionClient | null = null;

function getClient(): DiffusionClient {
  if (!client) {
    const worker = new Worker(new URL('../lib/worker/diffusion.worker.ts', import.meta.url), { type: 'module', name: 'lantern-diffusion' });
    client = new DiffusionClient(worker);
  }
  return client;
}

const controller = new StudioController(getClient);

/** Opens a model folder in the worker, releasing the one in use first (two SD models rarely fit at once); prompt, sketch and history stay. Waits for a load or run in flight. */
export function loadModel(source: ModelSourceSpec, backend: BackendPreference, lowMemory = false): void {
  controller.loadModel(source, backend, lowMemory);
}

/** `count` > 1: a batch (seed, seed + 1, …). */
export function startGenerate(req: RunRequest, count = 1): void {
  controller.startGenerate(req, count);
}

/** Live mode: run now, or cancel the run in flight and run this one right after it stops. */
export function requestLive(req: Omit<RunRequest, 'live'>): void {
  controller.requestLive(req);
}

export function cancelGenerate(): void {
  controller.cancelGenerate();
}

export function countTokens(text: string, into: 'tokenCount' | 'negativeTokenCount'): void {
  controller.countTokens(text, into);
}

/** Asks again for what failed last (the load or the run). */
export function retryLast(): void {
  controller.retry();
}
