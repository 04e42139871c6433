/** Zero residuals shaped from a ControlNet-ready U-Net's own inputs, as SD's down path makes them. */
import { describe, expect, it } from 'vitest';
import { mapResiduals, zeroResiduals } from '@/lib/diffusion/controlnet';
import type { IoInfo, ModelSession } from '@/lib/onnx/types';

const session = (inputs: IoInfo[], outputs: IoInfo[] = []): ModelSession => ({
  label: 'unet/model.onnx',
  inputs,
  outputs,
  run: async () => ({}),
  release: async () => {},
});
const sym = (name: string): IoInfo => ({ name, type: 'float32', shape: ['b', 'c', 'h', 'w'] });
const sdUnet = session([...Array.from({ length: 12 }, (_, i) => sym(`down_block_${i}_additional_residual`)), sym('mid_block_additional_residual')]);
const dims = (feeds: Record<string, unknown> | null) => Object.entries(feeds ?? {}).map(([k, f]) => [k, (f as { tensor: { dims: number[] } }).tensor.dims]);

describe('zeroResiduals', () => {
  it("gives SD 1.5's residual shapes at 512² (latents 64²) with CFG, from symbolic dims and block_out_channels", () => {
    const feeds = zeroResiduals(sdUnet, [2, 4, 64, 64], { blockOutChannels: [320, 640, 1280, 1280] });
    // diffusers' down_block_res_samples: conv_in, then per block 2 layers + a downsampler (not after the last).
    const expected = [
      [320, 64],
      [320, 64],
      [320, 64],
      [320, 32],
      [640, 32],
      [640, 32],
      [640, 16],
      [1280, 16],
      [1280, 16],
      [1280, 8],
      [1280, 8],
      [1280, 8],
      [1280, 8],
    ];
    expect(dims(feeds).map(([, d]) => d)).toEqual(expected.map(([c, s]) => [2, c, s, s]));
    for (const f of Object.values(feeds!)) expect((f as { tensor: { data: Float32Array } }).tensor.data.every((v) => v === 0)).toBe(true);
  });

  it('uses static dims as declared and rounds odd sizes up as stride-2 convolutions do', () => {
    const unet = session([
      { name: 'down_block_0_additional_residual', type: 'float32', shape: ['b', 8, 'h', 'w'] },
      { name: 'down_block_1_additional_residual', type: 'float32', shape: ['b', 8, 'h2', 'w2'] },
      { name: 'mid_block_additional_residual', type: 'float32', shape: ['b', 8, 'h2', 'w2'] },
    ]);
    expect(dims(zeroResiduals(unet, [1, 4, 9, 7], { layersPerBlock: 0 })).map(([, d]) => d)).toEqual([
      [1, 8, 9, 7],
      [1, 8, 5, 4],
      [1, 8, 5, 4],
    ]);
  });

  it('returns null when a symbolic dim cannot be inferred (no config, not SD’s 12 residuals)', () => {
    const unet = session([sym('down_block_0_additional_residual'), sym('down_block_1_additional_residual'), sym('mid_block_additional_residual')]);
    expect(zeroResiduals(unet, [1, 4, 8, 8])).toBeNull();
    expect(zeroResiduals(sdUnet, [1, 4, 8, 8])).toBeNull(); // levels known, channels not
  });
});

describe('mapResiduals by order (auto-generated output names)', () => {
  const unet = session([
    { name: 'down_block_0_additional_residual', type: 'float32', shape: ['b', 16, 'h', 'w'] },
    { name: 'mid_block_additional_residual', type: 'float32', shape: ['b', 32, 'h', 'w'] },
  ]);
  it('pairs numeric outputs in order when the static dims agree', () => {
    const cn = session(
      [],
      [
        { name: '2245', type: 'float32', shape: ['b', 16, 'h', 'w'] },
        { name: '2270', type: 'float32', shape: ['b', 32, 'h', 'w'] },
      ],
    );
    expect(mapResiduals(cn, unet).pairs).toEqual([
      ['down_block_0_additional_residual', '2245'],
      ['mid_block_additional_residual', '2270'],
    ]);
  });
  it('refuses a pairing whose static dims disagree', () => {
    const cn = session(
      [],
      [
        { name: '2245', type: 'float32', shape: ['b', 32, 'h', 'w'] },
        { name: '2270', type: 'float32', shape: ['b', 16, 'h', 'w'] },
      ],
    );
    expect(() => mapResiduals(cn, unet)).toThrow(
      /output "2245" \[b, 32, h, w\] does not fit unet\/model\.onnx input "down_block_0_additional_residual" \[b, 16, h, w\]/,
    );
  });
});
