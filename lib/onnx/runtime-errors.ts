/**
 * onnxruntime reports every failure as a plain Error with text from C++ or WebGPU. This is
 * the one place that reads that text: at the seam, where the runtime's words are all there
 * is, it becomes a typed Lantern error, so nothing beyond lib/onnx looks at messages.
 */
import { BackendError, DeviceLostError, LanternError, OutOfMemoryError } from '../errors';

/**
 * Memory exhaustion as each layer words it: the wasm heap (`std::bad_alloc` from operator new
 * once memory cannot grow; emscripten's "Cannot enlarge memory" / "Aborted(OOM)"), onnxruntime's
 * allocators ("Failed to allocate memory for requested buffer of size …", "failed to allocate a
 * buffer of size …" for the model bytes), V8 ("Array buffer allocation failed", "Out of memory:
 * Cannot allocate Wasm memory", "could not allocate memory") and WebGPU ("Out of memory",
 * GPUOutOfMemoryError). "memory access out of bounds" is the wasm trap a failed allocation ends in.
 */
const OOM =
  /bad_alloc|out of memory|failed to allocate|allocation failed|\bOOM\b|cannot enlarge memory|could not allocate memory|cannot allocate wasm memory|GPUOutOfMemoryError|memory access out of bounds/i;
const DEVICE_LOST = /device (was |is )?lost|GPUDevice.*(destroyed|lost)|device has been destroyed/i;
// WebGPU without the shader-f16 feature cannot compile float16 kernels.
const NO_F16 = /requires f16 but the device does not support it/i;

export function runtimeError(label: string, what: string, err: unknown): LanternError {
  if (err instanceof LanternError) return err;
  const text = String((err as Error)?.message ?? err);
  const message = `${label}: ${what}: ${text}`;
  if (OOM.test(text)) return new OutOfMemoryError(label, message);
  if (DEVICE_LOST.test(text)) return new DeviceLostError(label, message);
  if (NO_F16.test(text))
    return new BackendError(
      label,
      `${message} — this GPU has no shader-f16, which float16 models need on WebGPU: switch the backend to wasm or use an fp32 model`,
      'shader-f16',
    );
  return new BackendError(label, message);
}

/**
 * An error nothing caught (the worker's global handlers): the runtime failing outside any call
 * the seam wraps, e.g. a wasm abort or a C++ exception surfacing from a WebGPU callback. Only
 * memory exhaustion and a lost device are named; anything else stays unknown (null: 'internal').
 */
export function uncaughtRuntimeError(err: unknown): LanternError | null {
  if (err instanceof LanternError) return err;
  const text = String((err as Error)?.message ?? err);
  const message = `the runtime failed outside a run: ${text}`;
  if (OOM.test(text)) return new OutOfMemoryError('', message);
  if (DEVICE_LOST.test(text)) return new DeviceLostError('', message);
  return null;
}
