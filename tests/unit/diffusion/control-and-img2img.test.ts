import { describe, expect, it } from 'vitest';
import { controlKeep, mapResiduals, repeatBatch, unetResidualInputs } from '@/lib/diffusion/controlnet';
import { getTimesteps } from '@/lib/diffusion/img2img';
import { checkInputs } from '@/lib/diffusion/check-inputs';
import type { IoInfo, ModelSession } from '@/lib/onnx/types';
import { tensor } from '@/lib/tensor/tensor';

function fakeIo(inputs: string[], outputs: string[] = []): ModelSession {
  const io = (name: string): IoInfo => ({ name, type: 'float32', shape: [] });
  return { label: 'fake', inputs: inputs.map(io), outputs: outputs.map(io), run: async () => ({}), release: async () => {} };
}

describe('control start/end (diffusers controlnet_keep)', () => {
  it('keeps every step for the full range', () => {
    expect(controlKeep(4, 0, 1)).toEqual([1, 1, 1, 1]);
  });

  it('end 0.5 keeps the first half: step i counts while (i+1)/N ≤ end', () => {
    expect(controlKeep(4, 0, 0.5)).toEqual([1, 1, 0, 0]);
    expect(controlKeep(5, 0, 0.5)).toEqual([1, 1, 0, 0, 0]); // step 2 ends at 0.6 > 0.5
  });

  it('start drops the steps that begin before it', () => {
    expect(controlKeep(4, 0.25, 1)).toEqual([0, 1, 1, 1]);
    expect(controlKeep(10, 0.3, 0.7)).toEqual([0, 0, 0, 1, 1, 1, 1, 0, 0, 0]);
  });
});

describe('img2img timesteps (diffusers get_timesteps)', () => {
  const ts = [901, 801, 701, 601, 501, 401, 301, 201, 101, 1];

  it('strength 0.6 of 10 steps runs the last 6', () => {
    expect(getTimesteps(ts, 10, 0.6)).toEqual({ timesteps: [501, 401, 301, 201, 101, 1], tStart: 4 });
  });

  it('strength 1 runs them all; int() truncates like Python', () => {
    expect(getTimesteps(ts, 10, 1).tStart).toBe(0);
    expect(getTimesteps(ts, 10, 0.75).timesteps).toEqual([601, 501, 401, 301, 201, 101, 1]); // int(7.5) = 7
    expect(getTimesteps(ts, 10, 0.29).timesteps).toEqual([101, 1]); // int(2.9) = 2
    expect(getTimesteps(ts, 10, 0.7).timesteps).toHaveLength(7); // 10·0.7 = 7.000000000000001
  });

  it('slices by t_start × order (PLMS has one extra timestep)', () => {
    const plms = [901, 801, 801, 701, 601];
    expect(getTimesteps(plms, 4, 0.5, 1).timesteps).toEqual([801, 701, 601]);
  });

  it('refuses a strength that leaves nothing to do', () => {
    expect(() => getTimesteps(ts, 10, 0.05)).toThrow(/strength 0.05 × 10 steps leaves no step to run/);
  });
});

describe('residual tensor names', () => {
  const tensorStackUnet = fakeIo([
    'sample',
    'timestep',
    'encoder_hidden_states',
    'down_block_1_additional_residual',
    'down_block_0_additional_residual',
    'mid_block_additional_residual',
  ]);
  const onnxWebUnet = fakeIo(['sample', 'down_block_additional_residual_0', 'down_block_additional_residual_1', 'mid_block_additional_residual']);
  const tensorStackControl = fakeIo([], ['down_block_0_additional_residual', 'down_block_1_additional_residual', 'mid_block_additional_residual']);
  const onnxWebControl = fakeIo([], ['down_block_1', 'down_block_0', 'mid_block_res_sample']);

  it('reads the U-Net residual inputs in index order', () => {
    expect(unetResidualInputs(tensorStackUnet)).toEqual({
      down: ['down_block_0_additional_residual', 'down_block_1_additional_residual'],
      mid: 'mid_block_additional_residual',
    });
    expect(unetResidualInputs(fakeIo(['sample', 'timestep']))).toEqual({ down: [], mid: null });
  });

  it('pairs outputs to inputs across both naming styles', () => {
    expect(mapResiduals(onnxWebControl, tensorStackUnet).pairs).toEqual([
      ['down_block_0_additional_residual', 'down_block_0'],
      ['down_block_1_additional_residual', 'down_block_1'],
      ['mid_block_additional_residual', 'mid_block_res_sample'],
    ]);
    expect(mapResiduals(tensorStackControl, onnxWebUnet).pairs[1]).toEqual(['down_block_additional_residual_1', 'down_block_1_additional_residual']);
  });

  it('names the mismatch', () => {
    expect(() => mapResiduals(fakeIo([], ['down_block_0', 'mid_block_res_sample']), tensorStackUnet)).toThrow(
      /fake: outputs 1 down residuals, fake takes 2 \+ mid/,
    );
    expect(() => mapResiduals(onnxWebControl, fakeIo(['sample']))).toThrow(/takes no ControlNet residuals/);
  });

  it('repeats the condition for both CFG halves', () => {
    const t = repeatBatch(tensor([1, 2], Float32Array.from([1, 2])), 2);
    expect(t.dims).toEqual([2, 2]);
    expect(Array.from(t.data)).toEqual([1, 2, 1, 2]);
  });
});

describe('check inputs for control and img2img', () => {
  const base = {
    prompt: 'x',
    negativePrompt: '',
    seed: 1,
    steps: 4,
    guidanceScale: 7.5,
    guidanceRescale: 0,
    scheduler: 'ddim' as const,
    width: 64,
    height: 64,
  };
  it('rejects out-of-range values with the value in the message', () => {
    expect(() => checkInputs({ ...base, controlStart: 0.6, controlEnd: 0.4 })).toThrow(/controlStart \(0.6\) must be below controlEnd \(0.4\)/);
    expect(() => checkInputs({ ...base, controlScale: -1 })).toThrow(/controlScale must be ≥ 0 \(got -1\)/);
    expect(() => checkInputs({ ...base, strength: 0 })).toThrow(/strength must be in \(0, 1\] \(got 0\)/);
    expect(() => checkInputs({ ...base, controlScale: 2, controlStart: 0, controlEnd: 1, strength: 1 })).not.toThrow();
  });
});
