/// <reference lib="webworker" />
/**
 * Module Web Worker entry: every tokenizer, onnxruntime session and denoising loop of the
 * studio lives here, so the UI thread never blocks. Messages are typed in ./protocol.
 */
import { chooseBackend, configureRuntime, createWebSessionFactory, destroyWebGpuDeviceForTest } from '../onnx/web';
import { uncaughtRuntimeError } from '../onnx/runtime-errors';
import { openModelSource } from './model-sources';
import { DiffusionWorkerHandler } from './handler';
import type { EnableTestHooks, WorkerEvent, WorkerRequest } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

configureRuntime('/ort/');

const handler = new DiffusionWorkerHandler(
  {
    async openBackend(pref) {
      const choice = await chooseBackend(pref);
      // On a software WebGPU adapter a warm-up would take as long as the first run (its shaders compile on the CPU).
      return { factory: createWebSessionFactory(choice.backend), reason: choice.reason, warmUp: choice.software !== true };
    },
    source: openModelSource,
    now: () => performance.now(),
    warmUp: true,
  },
  (event: WorkerEvent, transfer?: Transferable[]) => self.postMessage(event, transfer ?? []),
);

// Cancel and token counts must not wait behind a running generate: handle() returns at
// once for them, while load/generate keep their own promise in flight.
self.onmessage = (e: MessageEvent<WorkerRequest | EnableTestHooks>) => {
  if (e.data.type === 'enable-test-hooks') return enableTestHooks();
  void handler.handle(e.data);
};

// A failure no promise caught (a wasm abort, an exception from a WebGPU callback) ends the
// request in flight with a typed error where the runtime's words name one.
self.addEventListener('error', (e: ErrorEvent) => {
  if (handler.uncaught(uncaughtRuntimeError(e.error ?? e.message) ?? e.error ?? new Error(e.message))) e.preventDefault();
});
self.addEventListener('unhandledrejection', (e: PromiseRejectionEvent) => {
  if (handler.uncaught(uncaughtRuntimeError(e.reason) ?? e.reason)) e.preventDefault();
});

/** e2e only (`?test-hooks=1`, forwarded by DiffusionClient): lets a spec lose the GPU device as a reset would. */
function enableTestHooks(): void {
  (self as unknown as { __lanternTest: unknown }).__lanternTest = { destroyGpuDevice: destroyWebGpuDeviceForTest };
}
