/** The seam names runtime failures by the words onnxruntime, emscripten, V8 and WebGPU use. */
import { describe, expect, it } from 'vitest';
import type * as OrtCommon from 'onnxruntime-common';
import { runtimeError } from '@/lib/onnx/runtime-errors';
import { wrapSession } from '@/lib/onnx/wrap-session';
import { BackendError, DeviceLostError, InvalidParamsError, OutOfMemoryError } from '@/lib/errors';
import { tensor } from '@/lib/tensor/tensor';

const LABEL = 'unet/model.onnx';

describe('runtimeError', () => {
  it.each([
    // onnxruntime's C API: operator new failed once the wasm heap could not grow.
    ['failed to call OrtRun(). ERROR_CODE: 6, ERROR_MESSAGE: std::bad_alloc'],
    ["Can't create a session. ERROR_CODE: 6, ERROR_MESSAGE: std::bad_alloc"],
    // emscripten's abort when memory cannot grow, and its resize message.
    ['Aborted(OOM). Build with -sASSERTIONS for more info.'],
    ['Cannot enlarge memory arrays to size 4294967296 bytes (OOM).'],
    // onnxruntime's allocators and onnxruntime-web's copy of the model bytes.
    ['Failed to allocate memory for requested buffer of size 1073741824'],
    ["Can't create a session. failed to allocate a buffer of size 3438329856."],
    // V8: host arrays and wasm memory.
    ['Array buffer allocation failed'],
    ['WebAssembly.Memory(): could not allocate memory'],
    ['WebAssembly.instantiate(): Out of memory: Cannot allocate Wasm memory for new instance'],
    // WebGPU buffers.
    ['GPUOutOfMemoryError: Out of memory'],
  ])('out of memory: %s', (text) => {
    const err = runtimeError(LABEL, 'run failed', new Error(text));
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect(err).toMatchObject({ code: 'out-of-memory', label: LABEL, suggestions: [] });
    expect(err.message).toBe(`${LABEL}: run failed: ${text}`);
  });

  it.each([
    ['Device is lost'],
    ['GPUDevice was destroyed'],
    ['the device was lost'],
    ['A valid external Instance reference no longer exists: device has been destroyed'],
  ])('device lost: %s', (text) => {
    const err = runtimeError(LABEL, 'run failed', new Error(text));
    expect(err).toBeInstanceOf(DeviceLostError);
    expect(err).toMatchObject({ code: 'device-lost', label: LABEL });
  });

  it('a GPU without shader-f16 is a backend failure naming the missing feature', () => {
    const err = runtimeError(
      LABEL,
      'could not load',
      new Error('[WebGPU] Kernel "[MatMul] /up/MatMul" failed. Error: requires f16 but the device does not support it'),
    );
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ code: 'backend-failed', label: LABEL, missingFeature: 'shader-f16' });
  });

  it('anything else the runtime says is a backend failure with the file; a Lantern error passes through; a non-Error is read as text', () => {
    expect(runtimeError(LABEL, 'run failed', new Error('Non-zero status code returned while running Conv node'))).toMatchObject({
      code: 'backend-failed',
      label: LABEL,
    });
    const typed = new InvalidParamsError('width must be a multiple of 8');
    expect(runtimeError(LABEL, 'run failed', typed)).toBe(typed);
    expect(runtimeError(LABEL, 'run failed', 'std::bad_alloc')).toBeInstanceOf(OutOfMemoryError);
  });
});

describe('wrapSession failures', () => {
  const session = (run: () => Promise<never>) =>
    ({
      inputMetadata: [{ name: 'sample', isTensor: true, type: 'float32', shape: [1, 4] }],
      outputMetadata: [{ name: 'out_sample', isTensor: true, type: 'float32', shape: [1, 4] }],
      run,
      release: async () => {},
    }) as unknown as OrtCommon.InferenceSession;
  class FakeTensor {
    constructor(
      readonly type: string,
      readonly data: unknown,
      readonly dims: readonly number[],
    ) {}
  }
  const ort = { Tensor: FakeTensor } as unknown as Pick<typeof OrtCommon, 'Tensor'>;
  const feeds = { sample: { kind: 'float' as const, tensor: tensor([1, 4], new Float32Array(4)) } };

  it('a run that dies of std::bad_alloc is out of memory, naming the file', async () => {
    const s = wrapSession(
      ort,
      session(() => Promise.reject(new Error('failed to call OrtRun(). ERROR_CODE: 6, ERROR_MESSAGE: std::bad_alloc'))),
      LABEL,
    );
    await expect(s.run(feeds)).rejects.toMatchObject({ code: 'out-of-memory', label: LABEL });
  });

  it('an allocation failing while feeds are converted is typed too (it used to escape as internal)', async () => {
    const Throwing = class {
      constructor() {
        throw new RangeError('Array buffer allocation failed');
      }
    };
    const s = wrapSession(
      { Tensor: Throwing } as unknown as Pick<typeof OrtCommon, 'Tensor'>,
      session(() => Promise.reject(new Error('unreached'))),
      LABEL,
    );
    await expect(s.run(feeds)).rejects.toBeInstanceOf(OutOfMemoryError);
  });

  it('a feed the model lacks is still a plain programming error (internal), not a runtime failure', async () => {
    const s = wrapSession(
      ort,
      session(() => Promise.reject(new Error('unreached'))),
      LABEL,
    );
    await expect(s.run({ ...feeds, extra: feeds.sample })).rejects.toThrow(/model has no input "extra"/);
    await expect(s.run({ ...feeds, extra: feeds.sample })).rejects.not.toBeInstanceOf(BackendError);
  });
});
