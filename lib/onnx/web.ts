/**
 * onnxruntime-web session factory (browser worker only). WebGPU is tried first; the
 * choice and the reason for it are reported so the UI can say which backend runs.
 */
import * as ort from 'onnxruntime-web/webgpu';
import type { Backend, BackendPreference, SessionFactory } from './types';
import { runtimeError } from './runtime-errors';
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

export function createWebSessionFactory(backend: BackendChoice['backend']): SessionFactory {
  return {
    backend,
    // onnxruntime-web fetches external data from a URL itself, straight into its own memory.
    externalDataBy: 'url',
    // The web build has no float64 Cast kernel: float64 inputs are rewritten at load.
    runsFloat64: false,
    async create({ label, model, externalData = [] }) {
      try {
        const session = await ort.InferenceSession.create(model, {
          executionProviders: [backend],
          graphOptimizationLevel: 'all',
          ...(externalData.length > 0 && {
            externalData: externalData.map((e) => {
              if ('localPath' in e) throw new Error(`external data "${e.path}" given as a local path; the browser needs a URL or bytes`);
              return { path: e.path, data: 'url' in e ? e.url : 'blob' in e ? e.blob : e.data };
            }),
          }),
        });
        return wrapSession(ort, session, label);
      } catch (err) {
        throw runtimeError(label, `onnxruntime-web (${backend}) could not load the model`, err);
      }
    },
  };
}
