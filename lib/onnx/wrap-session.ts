/**
 * Adapts an onnxruntime InferenceSession (web or node: both expose onnxruntime-common's
 * API) to the engine's ModelSession: reads input/output metadata from the session and
 * converts dtypes at the boundary, so the engine never assumes a model's types.
 */
import type * as OrtCommon from 'onnxruntime-common';
import { float16ToFloat32, float32ToFloat16 } from '../tensor/float16';
import type { Tensor } from '../tensor/tensor';
import { ModelFolderError } from '../errors';
import { runtimeError } from './runtime-errors';
import type { RecordingMeter } from './transfer-meter';
import type { DeviceTensor, ElementType, Feed, IoInfo, ModelSession } from './types';

type OrtModule = Pick<typeof OrtCommon, 'Tensor'>;
type Session = OrtCommon.InferenceSession;

const SUPPORTED: readonly ElementType[] = ['float32', 'float16', 'float64', 'int64', 'int32'];

function toIoInfo(meta: OrtCommon.InferenceSession.ValueMetadata): IoInfo {
  if (!meta.isTensor) return { name: meta.name, type: null, shape: [] };
  const type = (SUPPORTED as readonly string[]).includes(meta.type) ? (meta.type as ElementType) : null;
  return { name: meta.name, type, shape: meta.shape };
}

/** The runtime tensor behind each DeviceTensor this seam handed out (kept out of the engine's types). */
const onDevice = new WeakMap<DeviceTensor, { tensor: OrtCommon.Tensor; disposed: boolean }>();

/** Wraps every run and download: the WebGPU factory types failures by what happened to the device (lib/onnx/web.ts). */
export type RunGuard = <T extends object>(run: () => Promise<T>) => Promise<T>;
const unguarded: RunGuard = (run) => run();

function deviceTensor(label: string, name: string, t: OrtCommon.Tensor, guard: RunGuard, meter?: RecordingMeter): DeviceTensor {
  const type = (SUPPORTED as readonly string[]).includes(t.type) ? (t.type as ElementType) : null;
  if (!type) throw new ModelFolderError('unsupported-model', label, `${label}: output "${name}" is ${t.type}; Lantern keeps float or integer outputs`);
  const entry = { tensor: t, disposed: false };
  const handle: DeviceTensor = {
    kind: 'device',
    dims: [...t.dims],
    type,
    async download() {
      if (entry.disposed) throw new Error(`${label}: output "${name}" was disposed before it was downloaded`);
      const host = await guard(async () => {
        try {
          return await toHost(label, name, t, false);
        } catch (err) {
          throw runtimeError(label, `download of "${name}" failed`, err);
        }
      });
      meter?.record(label, 'down', byteSize(t));
      return host;
    },
    dispose() {
      if (entry.disposed) return;
      entry.disposed = true;
      t.dispose();
    },
  };
  onDevice.set(handle, entry);
  return handle;
}

function fromDevice(label: string, info: IoInfo, feed: DeviceTensor): OrtCommon.Tensor {
  const entry = onDevice.get(feed);
  if (!entry) throw new Error(`${label}: input "${info.name}" was given a device tensor this runtime did not make`);
  if (entry.disposed) throw new Error(`${label}: input "${info.name}" was given a disposed device tensor`);
  if (info.type !== feed.type) throw new Error(`${label}: input "${info.name}" is ${info.type ?? 'unsupported'} but was given a ${feed.type} device tensor`);
  return entry.tensor;
}

// Integer inputs truncate like numpy's astype(int64), as diffusers' ONNX pipeline casts timesteps.
function toOrtTensor(ort: OrtModule, label: string, info: IoInfo, feed: Exclude<Feed, DeviceTensor>): OrtCommon.Tensor {
  const dims = feed.kind === 'float' ? feed.tensor.dims : feed.dims;
  switch (info.type) {
    case 'float32':
      return new ort.Tensor('float32', feed.kind === 'float' ? feed.tensor.data : Float32Array.from(feed.values), dims);
    case 'float16': {
      const f = feed.kind === 'float' ? feed.tensor.data : Float32Array.from(feed.values);
      return new ort.Tensor('float16', float32ToFloat16(f), dims);
    }
    case 'float64': // TensorStack ControlNets take conditioning_scale as double
      return new ort.Tensor('float64', Float64Array.from(feed.kind === 'float' ? feed.tensor.data : feed.values), dims);
    case 'int64': {
      const v = feed.kind === 'int' ? feed.values : feed.tensor.data;
      return new ort.Tensor('int64', BigInt64Array.from(Array.from(v, (x) => BigInt(Math.trunc(x)))), dims);
    }
    case 'int32': {
      const v = feed.kind === 'int' ? feed.values : feed.tensor.data;
      return new ort.Tensor(
        'int32',
        Int32Array.from(v, (x) => Math.trunc(x)),
        dims,
      );
    }
    default:
      throw new ModelFolderError(
        'unsupported-model',
        label,
        `${label}: input "${info.name}" has unsupported type; Lantern feeds float32, float16, float64, int64 or int32`,
      );
  }
}

async function toHost(label: string, name: string, t: OrtCommon.Tensor, release = true): Promise<Tensor> {
  // Outputs left on the GPU (preferredOutputLocation) are downloaded here (and freed, unless the caller keeps the tensor).
  const data = t.location === 'cpu' ? t.data : await t.getData(release);
  const dims = [...t.dims];
  if (t.type === 'float32') return { dims, data: data as Float32Array };
  if (t.type === 'float64') return { dims, data: Float32Array.from(data as Float64Array) };
  // Bytes (the GPU loop's RGBA previews) cross as bytes and are widened here.
  if (t.type === 'uint8') return { dims, data: Float32Array.from(data as Uint8Array) };
  if (t.type === 'float16') {
    const d = data as unknown;
    // onnxruntime may hand fp16 back as Uint16Array or (where available) Float16Array.
    return { dims, data: d instanceof Uint16Array ? float16ToFloat32(d) : Float32Array.from(d as ArrayLike<number>) };
  }
  throw new ModelFolderError('unsupported-model', label, `${label}: output "${name}" is ${t.type}; Lantern reads float32, float16 or uint8 outputs`);
}

const ELEMENT_BYTES: Record<string, number> = { float32: 4, float16: 2, float64: 8, int64: 8, int32: 4, uint8: 1, int8: 1, bool: 1 };

/** The bytes a tensor's data takes (what a copy across the seam moves). */
function byteSize(t: OrtCommon.Tensor): number {
  return t.size * (ELEMENT_BYTES[t.type] ?? 4);
}

export function wrapSession(ort: OrtModule, session: Session, label: string, meter?: RecordingMeter, guard: RunGuard = unguarded): ModelSession {
  const inputs = session.inputMetadata.map(toIoInfo);
  const outputs = session.outputMetadata.map(toIoInfo);
  async function runWith<T>(
    feeds: Record<string, Feed>,
    outputNames: readonly string[] | undefined,
    take: (results: Record<string, OrtCommon.Tensor>) => Promise<T>,
  ): Promise<T> {
    for (const info of inputs) {
      if (!feeds[info.name]) throw new Error(`${label}: missing input "${info.name}"`);
    }
    for (const name of Object.keys(feeds)) {
      if (!inputs.some((i) => i.name === name)) throw new Error(`${label}: model has no input "${name}"`);
    }
    const ortFeeds: Record<string, OrtCommon.Tensor> = {};
    for (const info of inputs) {
      const feed = feeds[info.name];
      if (feed.kind === 'device') ortFeeds[info.name] = fromDevice(label, info, feed);
    }
    // Converting the feeds, running and reading the outputs all allocate (wasm heap, GPU
    // buffers, host arrays): a failure anywhere here is the runtime's, and typed as such.
    const start = performance.now();
    try {
      for (const info of inputs) {
        const feed = feeds[info.name];
        if (feed.kind === 'device') continue;
        const t = toOrtTensor(ort, label, info, feed);
        ortFeeds[info.name] = t;
        meter?.record(label, 'up', byteSize(t));
      }
      const results = outputNames ? await session.run(ortFeeds, [...outputNames]) : await session.run(ortFeeds);
      const out = await take(results);
      meter?.record(label, 'runs', 1);
      meter?.record(label, 'runMs', performance.now() - start);
      return out;
    } catch (err) {
      throw runtimeError(label, 'run failed', err);
    }
  }

  return {
    label,
    inputs,
    outputs,
    async run(feeds, outputNames) {
      return runWith(feeds, outputNames, async (results) => {
        const host: Record<string, Tensor> = {};
        for (const [name, t] of Object.entries(results)) {
          host[name] = await toHost(label, name, t);
          meter?.record(label, 'down', byteSize(t));
          t.dispose();
        }
        return host;
      });
    },
    async runOnDevice(feeds, outputNames) {
      return runWith(feeds, outputNames, async (results) => {
        const kept: Record<string, DeviceTensor> = {};
        for (const [name, t] of Object.entries(results)) kept[name] = deviceTensor(label, name, t, guard, meter);
        return kept;
      });
    },
    release: () => session.release(),
  };
}
