/**
 * The engine's view of an inference session. Only this folder imports onnxruntime;
 * `lib/diffusion` sees sessions through these types, so Node, the browser and tests
 * (fake sessions) plug in the same way.
 */
import type { Tensor } from '../tensor/tensor';

export type Backend = 'webgpu' | 'wasm' | 'cpu';
/** What the user asks for; `auto` decides from the adapter (lib/onnx/web.ts). */
export type BackendPreference = 'auto' | 'webgpu' | 'wasm';
export type ElementType = 'float32' | 'float16' | 'float64' | 'int64' | 'int32';

export interface IoInfo {
  readonly name: string;
  /** null when the model declares a type the engine does not feed (e.g. bool). */
  readonly type: ElementType | null;
  /** Declared shape; strings are symbolic dims, empty for unknown rank. */
  readonly shape: ReadonlyArray<number | string>;
}

/**
 * A tensor left where the runtime computed it — a GPU buffer on WebGPU, the runtime's own
 * memory elsewhere — and fed to the next run without a copy (the GPU-resident loop).
 * Its owner disposes it; a disposed tensor cannot be fed or downloaded.
 */
export interface DeviceTensor {
  readonly kind: 'device';
  readonly dims: readonly number[];
  readonly type: ElementType;
  /** A float32 host copy (counted as a download at the seam). */
  download(): Promise<Tensor>;
  dispose(): void;
}

/** A value to feed: host data (integer inputs as plain numbers, cast by the seam) or a DeviceTensor. */
export type Feed = { kind: 'float'; tensor: Tensor } | { kind: 'int'; dims: readonly number[]; values: ArrayLike<number> } | DeviceTensor;

export interface ModelSession {
  readonly label: string;
  readonly inputs: readonly IoInfo[];
  readonly outputs: readonly IoInfo[];
  /** Runs the model; floating outputs come back as float32 host tensors. */
  run(feeds: Record<string, Feed>, outputNames?: readonly string[]): Promise<Record<string, Tensor>>;
  /** Runs the model and leaves the outputs on the device. Absent where the seam cannot (test fakes). */
  runOnDevice?(feeds: Record<string, Feed>, outputNames?: readonly string[]): Promise<Record<string, DeviceTensor>>;
  release(): Promise<void>;
}

/** Bytes moved from JS memory into the runtime (`up`) and back (`down`), and the runs and their time inside the runtime. */
export interface TransferCount {
  up: number;
  down: number;
  runs: number;
  /** Wall time inside the runtime's run (feeds converted to outputs read), ms: what the pipeline's overhead is measured against. */
  runMs: number;
}

/** The seam's byte counter (lib/onnx/transfer-meter.ts): totals per session label since the factory was made. */
export interface TransferMeter {
  snapshot(): Record<string, TransferCount>;
}

/** How a runtime can take external weights by reference rather than as bytes. */
export type ExternalDataBy = 'local-path' | 'url' | 'bytes';

export interface SessionFactory {
  readonly backend: Backend;
  /** What the loader should hand over for external data when the source allows it. */
  readonly externalDataBy: ExternalDataBy;
  /** false: the runtime has no float64 kernels (onnxruntime-web), so float64 inputs are rewritten at load. */
  readonly runsFloat64: boolean;
  /** Bytes across the seam, per session label (absent on test fakes that do not count). */
  readonly transfers?: TransferMeter;
  create(model: ModelFiles): Promise<ModelSession>;
  /**
   * Where sessions run on a device that can be lost (WebGPU): calls `listener` once when it is.
   * Every session of this factory is dead then; sessions from a newly opened backend get a new
   * device. Returns the unsubscribe. Absent where nothing can be lost (wasm, CPU).
   */
  onDeviceLost?(listener: (loss: DeviceLoss) => void): () => void;
}

/** `destroyed`: destroy() was called (the test hook); `unknown`: the GPU or its driver went away. */
export interface DeviceLoss {
  reason: 'destroyed' | 'unknown';
  message: string;
}

/** One external-data file as the graph names it (`path` = the initializers' location). */
export type ExternalData =
  { path: string; data: Uint8Array } | { path: string; url: string } | { path: string; blob: Blob } | { path: string; localPath: string };

export interface ModelFiles {
  /** Names the model file in errors, e.g. "unet/model.onnx". */
  label: string;
  model: Uint8Array;
  /** The graph's local file: the runtime opens it and reads `localPath` external data beside it. */
  localPath?: string;
  externalData?: readonly ExternalData[];
}

export function inputInfo(session: ModelSession, name: string): IoInfo {
  const info = session.inputs.find((i) => i.name === name);
  if (!info) {
    throw new Error(`${session.label}: no input named "${name}" (inputs: ${session.inputs.map((i) => i.name).join(', ')})`);
  }
  return info;
}

export function hasInput(session: ModelSession, name: string): boolean {
  return session.inputs.some((i) => i.name === name);
}
