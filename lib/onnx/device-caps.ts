/**
 * What this browser's device can hold, read before a multi-GB download (lib/models/fit.ts judges
 * it). Plain data, so it can be posted between the page and the worker. No onnxruntime import:
 * this reads `navigator.gpu` directly, and everything is optional — a browser without WebGPU,
 * without `deviceMemory` (Firefox, Safari) or without `storage.estimate()` still gets an answer.
 */

export interface GpuCaps {
  /** `adapter.limits.maxBufferSize`: the largest single GPUBuffer. */
  maxBufferSize: number;
  /** `adapter.limits.maxStorageBufferBindingSize`: the largest tensor a kernel can bind. */
  maxStorageBufferBindingSize: number;
  /** `adapter.features.has('shader-f16')`: fp16 arithmetic in shaders (onnxruntime-web's fp16 kernels need it). */
  shaderF16: boolean;
  vendor: string;
  architecture: string;
  description: string;
  /** A software adapter (SwiftShader, or the browser says fallback): runs, but far slower than wasm. */
  software: boolean;
}

export interface StorageCaps {
  /** `navigator.storage.estimate()`: bytes this origin may use in all, and uses now. */
  quota: number;
  usage: number;
  /** `navigator.storage.persisted()`: the browser will not evict this origin's data under pressure. */
  persisted: boolean | null;
}

export interface DeviceCaps {
  /** null: no WebGPU (no `navigator.gpu`, or no adapter). */
  gpu: GpuCaps | null;
  /** Why `gpu` is null, for the user. */
  gpuMissing?: string;
  /** `navigator.deviceMemory` in GiB: coarse (Chrome reports 0.25…8, capped at 8), absent in most other browsers. */
  deviceMemoryGiB: number | null;
  /** `navigator.hardwareConcurrency`. */
  cores: number | null;
  /** wasm threads need SharedArrayBuffer, i.e. a cross-origin-isolated page. */
  crossOriginIsolated: boolean;
  storage: StorageCaps | null;
}

interface AdapterLike {
  limits?: { maxBufferSize?: number; maxStorageBufferBindingSize?: number };
  features?: { has(name: string): boolean };
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  /** Older Chrome: on the adapter, not on `info`. */
  isFallbackAdapter?: boolean;
}
interface NavigatorLike {
  gpu?: { requestAdapter(options?: { powerPreference?: string }): Promise<AdapterLike | null> };
  deviceMemory?: number;
  hardwareConcurrency?: number;
  storage?: { estimate?(): Promise<{ quota?: number; usage?: number }>; persisted?(): Promise<boolean> };
}

/** Reads an adapter into plain data (exported for tests with made-up adapters). */
export function gpuCapsOf(adapter: AdapterLike): GpuCaps {
  const info = adapter.info ?? {};
  const architecture = info.architecture ?? '';
  return {
    maxBufferSize: adapter.limits?.maxBufferSize ?? 0,
    maxStorageBufferBindingSize: adapter.limits?.maxStorageBufferBindingSize ?? 0,
    shaderF16: adapter.features?.has('shader-f16') ?? false,
    vendor: info.vendor ?? '',
    architecture,
    description: info.description ?? '',
    // Same test as lib/onnx/web.ts chooseBackend.
    software: architecture === 'swiftshader' || info.isFallbackAdapter === true || adapter.isFallbackAdapter === true,
  };
}

async function readGpu(nav: NavigatorLike | undefined): Promise<{ gpu: GpuCaps | null; gpuMissing?: string }> {
  if (!nav?.gpu) return { gpu: null, gpuMissing: 'this browser has no WebGPU' };
  try {
    // The adapter onnxruntime-web will get: it asks for high performance too.
    const adapter = await nav.gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { gpu: null, gpuMissing: 'no WebGPU adapter available' };
    return { gpu: gpuCapsOf(adapter) };
  } catch (err) {
    return { gpu: null, gpuMissing: `requesting a WebGPU adapter failed: ${(err as Error).message}` };
  }
}

async function readStorage(nav: NavigatorLike | undefined): Promise<StorageCaps | null> {
  if (!nav?.storage?.estimate) return null;
  try {
    const { quota, usage } = await nav.storage.estimate();
    if (typeof quota !== 'number') return null;
    let persisted: boolean | null = null;
    try {
      persisted = nav.storage.persisted ? await nav.storage.persisted() : null;
    } catch {
      persisted = null;
    }
    return { quota, usage: usage ?? 0, persisted };
  } catch {
    return null;
  }
}

/** Reads the device's capabilities; `nav` defaults to the global navigator (page or worker). Never throws. */
export async function readDeviceCaps(nav: NavigatorLike | undefined = (globalThis as { navigator?: NavigatorLike }).navigator): Promise<DeviceCaps> {
  const [gpu, storage] = await Promise.all([readGpu(nav), readStorage(nav)]);
  const memory = nav?.deviceMemory;
  const cores = nav?.hardwareConcurrency;
  return {
    ...gpu,
    deviceMemoryGiB: typeof memory === 'number' && memory > 0 ? memory : null,
    cores: typeof cores === 'number' && cores > 0 ? cores : null,
    crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
    storage,
  };
}
