/**
 * onnxruntime reports every failure as a plain Error with text from C++ or WebGPU. This is
 * the one place that reads that text: at the seam, where the runtime's words are all there
 * is, it becomes a typed Lantern error, so nothing beyond lib/onnx looks at messages.
 */
import { BackendError, DeviceLostError, LanternError, OutOfMemoryError } from '../errors';

// std::bad_alloc (wasm heap), "Failed to allocate" / "out of memory" (CPU, WebGPU buffers).
const OOM = /bad_alloc|out of memory|failed to allocate|allocation failed|\bOOM\b|memory access out of bounds/i;
const DEVICE_LOST = /device (was )?lost|GPUDevice.*(destroyed|lost)/i;
// WebGPU without the shader-f16 feature cannot compile float16 kernels.
const NO_F16 = /requires f16 but the device does not support it/i;

export function runtimeError(label: string, what: string, err: unknown): LanternError {
  if (err instanceof LanternError) return err;
  const text = String((err as Error)?.message ?? err);
  const message = `${label}: ${what}: ${text}`;
  if (OOM.test(text)) return new OutOfMemoryError(label, `${message} — try a smaller size or fewer parts in memory`);
  if (DEVICE_LOST.test(text)) return new DeviceLostError(message);
  if (NO_F16.test(text))
    return new BackendError(
      label,
      `${message} — this GPU has no shader-f16, which float16 models need on WebGPU: switch the backend to wasm or use an fp32 model`,
      'shader-f16',
    );
  return new BackendError(label, message);
}
