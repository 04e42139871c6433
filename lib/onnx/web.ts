/**
 * onnxruntime-web session factory (browser worker only). WebGPU is tried first; the
 * choice and the reason for it are reported so the UI can say which backend runs.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { DeviceLostError, OutOfMemoryError } from '../errors';
import type { Backend, BackendPreference, DeviceLoss, ModelSession, SessionFactory } from './types';
import { runtimeError } from './runtime-errors';
import { createTransferMeter } from './transfer-meter';
import { wrapSession } from './wrap-session';

export interface BackendChoice {
  backend: Exclude<Backend, 'cpu'>;
  /** Human-readable why, shown in the status line. */
  reason: string;
  adapter?: string;
}

interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(): Promise<{ info?: AdapterInfoLike; isFallbackAdapter?: boolean } | null>;
}

/**
 * `auto` takes WebGPU on a hardware adapter and wasm on a software one (SwiftShader runs
 * WebGPU ~40× slower than wasm); `webgpu` insists on WebGPU whenever any adapter exists.
 */
export async function chooseBackend(pref: BackendPreference): Promise<BackendChoice> {
  if (pref === 'wasm') return { backend: 'wasm', reason: 'wasm chosen in settings' };
  const gpu = (globalThis.navigator as unknown as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return { backend: 'wasm', reason: 'this browser has no WebGPU: fell back to wasm' };
  let adapter: Awaited<ReturnType<GpuLike['requestAdapter']>> = null;
  try {
    adapter = await gpu.requestAdapter();
  } catch {
    adapter = null;
  }
  if (!adapter) return { backend: 'wasm', reason: 'no WebGPU adapter available: fell back to wasm' };
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const software = info.architecture === 'swiftshader' || info.isFallbackAdapter === true || adapter.isFallbackAdapter === true;
  if (software && pref === 'auto') {
    return { backend: 'wasm', reason: `WebGPU adapter is software (${name}): wasm is faster`, adapter: name };
  }
  return { backend: 'webgpu', reason: `WebGPU on ${name}`, adapter: name };
}

export function configureRuntime(wasmPaths: string): void {
  ort.env.wasm.wasmPaths = wasmPaths;
  // Threads need SharedArrayBuffer, i.e. a cross-origin-isolated page (COOP/COEP headers).
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  ort.env.wasm.numThreads = isolated ? Math.max(1, Math.min(4, cores)) : 1;
}

/** The slice of a GPUDevice this file uses (no WebGPU type package in the project). */
interface GpuDeviceLike {
  readonly lost: Promise<{ reason?: string; message: string }>;
  destroy(): void;
  addEventListener(type: 'uncapturederror', listener: (e: { error: unknown }) => void): void;
}

/**
 * The device onnxruntime-web's WebGPU EP made for its default context. ort 1.31 keeps one per
 * worker while any WebGPU session is open and drops it with the last one (preserveDevice is
 * off), so once every session is released the next InferenceSession requests a new adapter and
 * device, and reports it in `ort.env.webgpu.device`: a lost device is recovered in the same worker.
 */
interface WatchedDevice {
  readonly device: GpuDeviceLike;
  loss: DeviceLoss | null;
  readonly lost: Promise<DeviceLoss>;
  /** GPUOutOfMemoryErrors seen: WebGPU reports a failed buffer allocation as an event, not a throw. */
  ooms: number;
  lastOom: string;
  /** Sessions open on it: once a lost device has none, it no longer names the failures of new ones. */
  open: number;
}

let watched: WatchedDevice | null = null;
const lossListeners = new Set<(loss: DeviceLoss) => void>();

function watchDevice(): WatchedDevice | null {
  const device = (ort.env.webgpu as unknown as { device?: unknown }).device as GpuDeviceLike | undefined;
  if (!device || typeof device !== 'object' || !('lost' in device)) return watched;
  if (watched?.device === device) return watched;
  const w: WatchedDevice = {
    device,
    loss: null,
    ooms: 0,
    lastOom: '',
    open: 0,
    lost: device.lost.then((info) => {
      const loss: DeviceLoss = { reason: info.reason === 'destroyed' ? 'destroyed' : 'unknown', message: info.message };
      w.loss = loss;
      if (watched === w) for (const listener of [...lossListeners]) listener(loss);
      return loss;
    }),
  };
  const OomClass = (globalThis as { GPUOutOfMemoryError?: abstract new () => unknown }).GPUOutOfMemoryError;
  device.addEventListener('uncapturederror', (e) => {
    if (!OomClass || !(e.error instanceof OomClass)) return;
    w.ooms++;
    w.lastOom = String((e.error as { message?: string }).message ?? '');
  });
  watched = w;
  return w;
}

/** device.lost resolves a moment after the failures it causes: wait that moment before naming a failure. */
const LOSS_GRACE_MS = 100;

async function lossSoon(w: WatchedDevice): Promise<DeviceLoss | null> {
  if (w.loss) return w.loss;
  return Promise.race([w.lost, new Promise<null>((resolve) => setTimeout(() => resolve(null), LOSS_GRACE_MS))]);
}

function lostError(label: string, what: string, loss: DeviceLoss): DeviceLostError {
  return new DeviceLostError(label, `${label}: ${what}: the WebGPU device was lost (${loss.reason}${loss.message ? `: ${loss.message}` : ''})`);
}

/** A WebGPU session's runs, typed by what happened to its device rather than by the text of the failure. */
function onDevice(session: ModelSession, w: WatchedDevice): ModelSession {
  w.open++;
  return {
    ...session,
    async release() {
      try {
        await session.release();
      } finally {
        if (--w.open === 0 && w.loss && watched === w) watched = null;
      }
    },
    async run(feeds, outputNames) {
      if (w.loss) throw lostError(session.label, 'run refused', w.loss);
      const ooms = w.ooms;
      let out: Awaited<ReturnType<ModelSession['run']>>;
      try {
        out = await session.run(feeds, outputNames);
      } catch (err) {
        const loss = await lossSoon(w);
        if (loss) throw lostError(session.label, 'run failed', loss);
        if (w.ooms > ooms) throw new OutOfMemoryError(session.label, `${session.label}: run failed: WebGPU could not allocate a buffer (${w.lastOom})`);
        throw err;
      }
      // A lost device or a failed allocation can still hand back numbers: never trust them.
      if (w.loss) throw lostError(session.label, 'run failed', w.loss);
      if (w.ooms > ooms) throw new OutOfMemoryError(session.label, `${session.label}: run failed: WebGPU could not allocate a buffer (${w.lastOom})`);
      return out;
    },
  };
}

/** Test hook (the worker installs it only with `?test-hooks=1`): destroys the WebGPU device, as a GPU reset would lose it. */
export function destroyWebGpuDeviceForTest(): boolean {
  if (!watched || watched.loss) return false;
  watched.device.destroy();
  return true;
}

export function createWebSessionFactory(backend: BackendChoice['backend']): SessionFactory {
  const transfers = createTransferMeter();
  return {
    backend,
    transfers,
    // onnxruntime-web fetches external data from a URL itself, straight into its own memory.
    externalDataBy: 'url',
    // The web build has no float64 Cast kernel: float64 inputs are rewritten at load.
    runsFloat64: false,
    async create({ label, model, externalData = [] }) {
      let session: ModelSession;
      try {
        const created = await ort.InferenceSession.create(model, {
          executionProviders: [backend],
          graphOptimizationLevel: 'all',
          ...(externalData.length > 0 && {
            externalData: externalData.map((e) => {
              if ('localPath' in e) throw new Error(`external data "${e.path}" given as a local path; the browser needs a URL or bytes`);
              return { path: e.path, data: 'url' in e ? e.url : 'blob' in e ? e.blob : e.data };
            }),
          }),
        });
        session = wrapSession(ort, created, label, transfers);
      } catch (err) {
        const w = backend === 'webgpu' ? watched : null;
        const loss = w ? await lossSoon(w) : null;
        if (loss) throw lostError(label, `onnxruntime-web (${backend}) could not load the model`, loss);
        throw runtimeError(label, `onnxruntime-web (${backend}) could not load the model`, err);
      }
      if (backend !== 'webgpu') return session;
      const w = watchDevice();
      return w ? onDevice(session, w) : session;
    },
    ...(backend === 'webgpu' && {
      onDeviceLost(listener: (loss: DeviceLoss) => void) {
        lossListeners.add(listener);
        return () => lossListeners.delete(listener);
      },
    }),
  };
}
