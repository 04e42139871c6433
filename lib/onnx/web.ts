/**
 * onnxruntime-web session factory (browser worker only). WebGPU is tried first; the
 * choice and the reason for it are reported so the UI can say which backend runs.
 *
 * Each backend loads its own build of the runtime, on first use: WebGPU the JSEP/asyncify
 * build (`onnxruntime-web/webgpu`), wasm the plain one (`onnxruntime-web/wasm`), which has
 * no asyncify instrumentation and loads and runs faster (docs/architecture.md, "The wasm path").
 */
import type * as OrtWeb from 'onnxruntime-web/webgpu';
import { DeviceLostError, OutOfMemoryError } from '../errors';
import type { Backend, BackendPreference, DeviceLoss, DeviceTensor, ModelSession, SessionFactory } from './types';
import { runtimeError } from './runtime-errors';
import { createTransferMeter } from './transfer-meter';
import { wrapSession } from './wrap-session';

export interface BackendChoice {
  backend: Exclude<Backend, 'cpu'>;
  /** Human-readable why, shown in the status line. */
  reason: string;
  adapter?: string;
  /** WebGPU on a software adapter (SwiftShader): every shader is compiled and run on the CPU. */
  software?: boolean;
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
  return { backend: 'webgpu', reason: `WebGPU on ${name}`, adapter: name, ...(software && { software }) };
}

/** Both builds have the same API (one types.d.ts); they differ in the kernels and the wasm they load. */
type Ort = typeof OrtWeb;
export type RuntimeBuild = 'webgpu' | 'wasm';

/**
 * Literal specifiers, one per build, so the bundler makes a chunk for each and a worker fetches
 * only the builds it uses. Each build carries its own copy of onnxruntime-common (its own `env`).
 */
const IMPORTS: Readonly<Record<RuntimeBuild, () => Promise<Ort>>> = {
  webgpu: () => import('onnxruntime-web/webgpu'),
  wasm: () => import('onnxruntime-web/wasm'),
};

const builds: Partial<Record<RuntimeBuild, Promise<Ort>>> = {};
/** The WebGPU build once loaded: its `env.webgpu.device` is the device sessions run on. */
let webgpuOrt: Ort | null = null;

/**
 * The build a backend runs on. wasm takes the plain build unless this worker already runs the
 * WebGPU build and not the plain one (a backend switch or the shader-f16 fallback): that build's
 * wasm EP then, since each build is its own wasm instance and a second heap (which never shrinks,
 * and has held a whole model's bytes at load) would double the worker's memory.
 */
export function buildFor(backend: BackendChoice['backend'], loaded: Partial<Record<RuntimeBuild, unknown>>): RuntimeBuild {
  if (backend === 'webgpu') return 'webgpu';
  return loaded.webgpu !== undefined && loaded.wasm === undefined ? 'webgpu' : 'wasm';
}

/**
 * wasm threads: onnxruntime's intra-op pool, one core left for the page (its main thread draws
 * progress and previews, V8 compiles and collects garbage beside it) and at most 4 (each is a
 * pthread worker; ort's own default stops there); only with SharedArrayBuffer, i.e. a
 * cross-origin-isolated page. On this project's 2-core machine 1 thread beat 2 on lantern-shapes
 * (warm generate 3.0 vs 6.5 s, 1.9 vs 3.3 s of CPU) and tied on tiny-sd: docs/architecture.md.
 */
export function wasmThreads(ctx: { isolated: boolean; cores: number }): number {
  return ctx.isolated ? Math.max(1, Math.min(4, ctx.cores - 1)) : 1;
}

interface RuntimeConfig {
  wasmPaths?: string;
  numThreads: number;
}

function defaultConfig(): RuntimeConfig {
  // Threads need SharedArrayBuffer, i.e. a cross-origin-isolated page (COOP/COEP headers).
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return { numThreads: wasmThreads({ isolated, cores }) };
}

let config: RuntimeConfig | null = null;

function apply(ort: Ort, c: RuntimeConfig): void {
  if (c.wasmPaths !== undefined) ort.env.wasm.wasmPaths = c.wasmPaths;
  ort.env.wasm.numThreads = c.numThreads;
}

/** Where the runtime's .mjs/.wasm files are served (the worker: '/ort/'); applies to every build, loaded or not. */
export function configureRuntime(wasmPaths: string): void {
  config = { ...defaultConfig(), wasmPaths };
  for (const build of Object.values(builds)) void build.then((ort) => apply(ort, config!));
}

/** The build for `backend`, loaded once per worker and configured before its first session. */
function runtimeFor(backend: BackendChoice['backend']): Promise<Ort> {
  const build = buildFor(backend, builds);
  builds[build] ??= IMPORTS[build]().then((ort) => {
    apply(ort, (config ??= defaultConfig()));
    if (build === 'webgpu') webgpuOrt = ort;
    return ort;
  });
  // A chunk that failed to arrive (offline, a new deploy) is fetched again by the next load.
  builds[build].catch(() => delete builds[build]);
  return builds[build];
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
  if (!webgpuOrt) return watched;
  const device = (webgpuOrt.env.webgpu as unknown as { device?: unknown }).device as GpuDeviceLike | undefined;
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
  };
}

function disposeDeviceTensors(out: object): void {
  for (const t of Object.values(out) as Array<Partial<DeviceTensor>>) if (t.kind === 'device') t.dispose?.();
}

/** One run on a watched device: refused once it is lost, and its failure typed as a loss or an allocation failure. */
async function guarded<T extends object>(label: string, w: WatchedDevice, run: () => Promise<T>): Promise<T> {
  if (w.loss) throw lostError(label, 'run refused', w.loss);
  const ooms = w.ooms;
  let out: T;
  try {
    out = await run();
  } catch (err) {
    const loss = await lossSoon(w);
    if (loss) throw lostError(label, 'run failed', loss);
    if (w.ooms > ooms) throw new OutOfMemoryError(label, `${label}: run failed: WebGPU could not allocate a buffer (${w.lastOom})`);
    throw err;
  }
  // A lost device or a failed allocation can still hand back numbers: never trust them.
  if (w.loss || w.ooms > ooms) {
    disposeDeviceTensors(out);
    if (w.loss) throw lostError(label, 'run failed', w.loss);
    throw new OutOfMemoryError(label, `${label}: run failed: WebGPU could not allocate a buffer (${w.lastOom})`);
  }
  return out;
}

/**
 * Test hook (the worker installs it only with `?test-hooks=1`): destroys the WebGPU device, as a
 * GPU reset would lose it, and resolves once the loss has reached the listeners, so a spec's next
 * request meets a worker that knows (device.lost resolves a moment after destroy()).
 */
export async function destroyWebGpuDeviceForTest(): Promise<boolean> {
  const w = watched;
  if (!w || w.loss) return false;
  w.device.destroy();
  await w.lost;
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
      let device: WatchedDevice | null = null;
      try {
        const ort = await runtimeFor(backend);
        const created = await ort.InferenceSession.create(model, {
          executionProviders: [backend],
          graphOptimizationLevel: 'all',
          // Outputs stay in GPU buffers: the GPU-resident loop feeds them on; run() downloads them (wrap-session).
          ...(backend === 'webgpu' && { preferredOutputLocation: 'gpu-buffer' as const }),
          ...(externalData.length > 0 && {
            externalData: externalData.map((e) => {
              if ('localPath' in e) throw new Error(`external data "${e.path}" given as a local path; the browser needs a URL or bytes`);
              return { path: e.path, data: 'url' in e ? e.url : 'blob' in e ? e.blob : e.data };
            }),
          }),
        });
        // Runs and downloads of a WebGPU session are typed by what happened to its device (known once the first session exists).
        session = wrapSession(ort, created, label, transfers, backend === 'webgpu' ? (run) => (device ? guarded(label, device, run) : run()) : undefined);
      } catch (err) {
        const w = backend === 'webgpu' ? watched : null;
        const loss = w ? await lossSoon(w) : null;
        if (loss) throw lostError(label, `onnxruntime-web (${backend}) could not load the model`, loss);
        throw runtimeError(label, `onnxruntime-web (${backend}) could not load the model`, err);
      }
      if (backend !== 'webgpu') return session;
      device = watchDevice();
      return device ? onDevice(session, device) : session;
    },
    ...(backend === 'webgpu' && {
      onDeviceLost(listener: (loss: DeviceLoss) => void) {
        lossListeners.add(listener);
        return () => lossListeners.delete(listener);
      },
    }),
  };
}
