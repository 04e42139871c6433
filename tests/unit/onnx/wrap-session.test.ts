/** The ONNX seam converts at the boundary to whatever the session declares. */
import { describe, expect, it } from 'vitest';
import type * as OrtCommon from 'onnxruntime-common';
import { wrapSession } from '@/lib/onnx/wrap-session';
import { float16ToFloat32, float32ToFloat16 } from '@/lib/tensor/float16';
import { tensor } from '@/lib/tensor/tensor';

class FakeTensor {
  location = 'cpu' as const;
  disposed = false;
  constructor(
    readonly type: string,
    readonly data: unknown,
    readonly dims: readonly number[],
  ) {}
  dispose() {
    this.disposed = true;
  }
  async getData() {
    return this.data;
  }
}

function fakeSession(inputs: Array<[string, string]>, outputs: Record<string, FakeTensor>) {
  const fed: Record<string, FakeTensor> = {};
  const session = {
    inputMetadata: inputs.map(([name, type]) => ({ name, isTensor: true, type, shape: ['batch', 4] })),
    outputMetadata: Object.keys(outputs).map((name) => ({ name, isTensor: true, type: outputs[name].type, shape: [] })),
    async run(feeds: Record<string, FakeTensor>) {
      Object.assign(fed, feeds);
      return outputs;
    },
    async release() {},
  } as unknown as OrtCommon.InferenceSession;
  return { session, fed };
}

const ort = { Tensor: FakeTensor } as unknown as Pick<typeof OrtCommon, 'Tensor'>;

describe('wrapSession', () => {
  it('feeds fp16, int32, int64 and float64 inputs as the session declares them, and reads fp16 outputs', async () => {
    const out = new FakeTensor('float16', float32ToFloat16(Float32Array.from([0.5, -2])), [1, 2]);
    const { session, fed } = fakeSession(
      [
        ['sample', 'float16'],
        ['input_ids', 'int32'],
        ['timestep', 'int64'],
        ['conditioning_scale', 'float64'],
      ],
      { out_sample: out },
    );
    const s = wrapSession(ort, session, 'unet/model.onnx');
    expect(s.inputs.map((i) => i.type)).toEqual(['float16', 'int32', 'int64', 'float64']);
    const result = await s.run({
      sample: { kind: 'float', tensor: tensor([1, 2], Float32Array.from([1.5, -0.25])) },
      input_ids: { kind: 'int', dims: [2], values: [49406, 7] },
      timestep: { kind: 'int', dims: [1], values: [946.7] },
      conditioning_scale: { kind: 'float', tensor: tensor([1], Float32Array.from([0.75])) },
    });
    expect(fed.sample.type).toBe('float16');
    expect(Array.from(float16ToFloat32(fed.sample.data as Uint16Array))).toEqual([1.5, -0.25]);
    expect(fed.input_ids.data).toEqual(Int32Array.from([49406, 7]));
    expect(fed.timestep.data).toEqual(BigInt64Array.from([946n])); // truncated like numpy astype
    expect(fed.conditioning_scale.data).toEqual(Float64Array.from([0.75]));
    expect(Array.from(result.out_sample.data)).toEqual([0.5, -2]);
    expect(out.disposed).toBe(true);
  });

  it('names the model and the input in errors', async () => {
    const { session } = fakeSession([['sample', 'float32']], {});
    const s = wrapSession(ort, session, 'unet/model.onnx');
    await expect(s.run({})).rejects.toThrow('unet/model.onnx: missing input "sample"');
    await expect(s.run({ sample: { kind: 'float', tensor: tensor([1]) }, extra: { kind: 'float', tensor: tensor([1]) } })).rejects.toThrow(
      'unet/model.onnx: model has no input "extra"',
    );
  });
});
