/**
 * The GPU loop's helper graphs, built by lib/onnx/graph-build and run on onnxruntime-node,
 * against the TypeScript they replace: guidance.ts (CFG, rescale) and a plain matrix
 * product of the LinearStep coefficients.
 */
import { describe, expect, it } from 'vitest';
import { createNodeSessionFactory } from '@/lib/onnx/node';
import type { DeviceTensor, Feed } from '@/lib/onnx/types';
import { applyGuidance, rescaleGuidance } from '@/lib/diffusion/guidance';
import { concatGraph, placeGraph, previewRgbaGraph, scaleEachGraph, scaleInputGraph, stepGraph, STEP_OUTPUTS } from '@/lib/diffusion/device-loop/graphs';
import { TorchGenerator } from '@/lib/random/torch-generator';
import { tensor } from '@/lib/tensor/tensor';
import { latentPreviewRgba } from '@/lib/tensor/image';
import { float16ToFloat32, float32ToFloat16 } from '@/lib/tensor/float16';
import { relError } from '../../helpers/rel-error';

const factory = createNodeSessionFactory({ intraOpNumThreads: 1 });
const dims = [1, 4, 3, 5];
const n = 60;
const g = new TorchGenerator(7);
const f = (t: Float32Array): Feed => ({ kind: 'float', tensor: tensor([...dims], t) });

async function open(label: string, model: Uint8Array) {
  return factory.create({ label, model });
}

describe('stepGraph', () => {
  for (const registers of [0, 1, 3]) {
    for (const [cfg, rescale] of [
      [false, false],
      [true, false],
      [true, true],
    ] as const) {
      it(`R=${registers} cfg=${cfg} rescale=${rescale}: [prev; x0; r'] = coef · [x; guided ε; z; r]`, async () => {
        const s = await open('step', stepGraph({ cfg, rescale, registers, epsType: 'float32' }));
        const x = g.randn(n);
        const u = g.randn(n);
        const c = g.randn(n).map((v, i) => v + 0.5 * u[i]);
        const z = g.randn(n);
        const regs = Array.from({ length: registers }, () => g.randn(n));
        const rows = 2 + registers;
        const cols = 3 + registers;
        const coef = g.randn(rows * cols);
        const feeds: Record<string, Feed> = {
          eps: { kind: 'float', tensor: tensor([cfg ? 2 : 1, ...dims.slice(1)], cfg ? Float32Array.from([...u, ...c]) : c) },
          sample: f(x),
          noise: f(z),
          coef: { kind: 'float', tensor: tensor([rows * cols], coef) },
          ...(cfg && { guidance_scale: { kind: 'float', tensor: tensor([1], Float32Array.of(7.5)) } }),
          ...(rescale && { guidance_rescale: { kind: 'float', tensor: tensor([1], Float32Array.of(0.7)) } }),
        };
        regs.forEach((r, j) => (feeds[`r${j}`] = f(r)));
        const out = await s.run(feeds);

        let guided: Float32Array = c;
        if (cfg) guided = applyGuidance(u, c, 7.5);
        if (rescale) guided = rescaleGuidance(guided, c, 0.7);
        const columns = [x, guided, z, ...regs];
        STEP_OUTPUTS(registers).forEach((name, r) => {
          const want = new Float32Array(n);
          for (let i = 0; i < n; i++) {
            let acc = 0;
            for (let k = 0; k < cols; k++) acc += coef[r * cols + k] * columns[k][i];
            want[i] = acc;
          }
          expect(out[name].dims).toEqual(dims);
          expect(relError(out[name].data, want)).toBeLessThan(1e-6);
        });
        await s.release();
      });
    }
  }

  it('a float16 U-Net output is widened inside the graph', async () => {
    const s = await open('step16', stepGraph({ cfg: true, rescale: false, registers: 0, epsType: 'float16' }));
    const u: Float32Array = float16ToFloat32(float32ToFloat16(g.randn(n)));
    const c: Float32Array = float16ToFloat32(float32ToFloat16(g.randn(n)));
    const coef = Float32Array.of(0, 1, 0, 0, 0, 0); // prev = guided ε
    const out = await s.run({
      eps: { kind: 'float', tensor: tensor([2, ...dims.slice(1)], Float32Array.from([...u, ...c])) },
      sample: f(new Float32Array(n)),
      noise: f(new Float32Array(n)),
      coef: { kind: 'float', tensor: tensor([6], coef) },
      guidance_scale: { kind: 'float', tensor: tensor([1], Float32Array.of(3)) },
    });
    expect(relError(out.prev_sample.data, applyGuidance(u, c, 3))).toBeLessThan(1e-6);
  });
});

describe('the small graphs', () => {
  it('scaleInputGraph: x·s, twice along the batch for CFG, in float16', async () => {
    const s = await open('scale', scaleInputGraph(2, 'float16'));
    const x = g.randn(n);
    const out = await s.run({ x: f(x), scale: { kind: 'float', tensor: tensor([1], Float32Array.of(0.25)) } });
    expect(out.sample.dims).toEqual([2, ...dims.slice(1)]);
    const want = float16ToFloat32(float32ToFloat16(x.map((v) => v * 0.25)));
    expect(out.sample.data.subarray(0, n)).toEqual(want);
    expect(out.sample.data.subarray(n)).toEqual(want);
  });

  it('concatGraph and placeGraph keep device tensors on the device and chain them', async () => {
    const place = await open('place', placeGraph('float32', 'float32', 3));
    const concat = await open('concat', concatGraph('float32', 'float16'));
    const a = g.randn(6);
    const b = g.randn(6);
    const da = (await place.runOnDevice!({ x: { kind: 'float', tensor: tensor([1, 2, 3], a) } })).y;
    const db = (await place.runOnDevice!({ x: { kind: 'float', tensor: tensor([1, 2, 3], b) } })).y;
    const y = (await concat.runOnDevice!({ a: da, b: db })).y as DeviceTensor;
    expect(y.kind).toBe('device');
    expect(y.type).toBe('float16');
    const host = await y.download();
    expect(host.dims).toEqual([2, 2, 3]);
    expect(relError(host.data, Float32Array.from([...a, ...b]))).toBeLessThan(1e-3);
    da.dispose();
    await expect(concat.run({ a: da, b: db })).rejects.toThrow(/disposed device tensor/);
  });

  it('scaleEachGraph scales every residual by one scalar', async () => {
    const s = await open('each', scaleEachGraph(2, 'float32'));
    const a = g.randn(n);
    const b = g.randn(8);
    const out = await s.run({
      x0: f(a),
      x1: { kind: 'float', tensor: tensor([1, 2, 2, 2], b) },
      scale: { kind: 'float', tensor: tensor([1], Float32Array.of(0.5)) },
    });
    expect(out.y0.data).toEqual(a.map((v) => v * 0.5));
    expect(out.y1.data).toEqual(b.map((v) => v * 0.5));
  });

  it('the seam counts what crosses: host feeds up, downloads down, device feeds nothing', async () => {
    const meterFactory = createNodeSessionFactory({ intraOpNumThreads: 1 });
    const place = await meterFactory.create({ label: 'p', model: placeGraph('float32', 'float32', 4) });
    const before = meterFactory.transfers!.snapshot();
    const y = (await place.runOnDevice!({ x: f(g.randn(n)) })).y;
    const y2 = (await place.runOnDevice!({ x: y })).y;
    await y2.download();
    const after = meterFactory.transfers!.snapshot();
    expect(after.p.up - (before.p?.up ?? 0)).toBe(n * 4);
    expect(after.p.down - (before.p?.down ?? 0)).toBe(n * 4);
    expect(after.p.runs - (before.p?.runs ?? 0)).toBe(2);
  });
});

describe('previewRgbaGraph', () => {
  it('is latentPreviewRgba on the device (within one level: ONNX rounds halves to even)', async () => {
    const s = await open('preview', previewRgbaGraph());
    const latents = tensor([1, 4, 3, 5], g.randn(60));
    latents.data.fill(0.25, 15, 30); // a flat channel spans 1, as on the host
    const out = await s.run({ x: { kind: 'float', tensor: latents } });
    const want = latentPreviewRgba(latents);
    expect(out.rgba.dims).toEqual([3, 5, 4]);
    for (let i = 0; i < want.rgba.length; i++) expect(Math.abs(out.rgba.data[i] - want.rgba[i])).toBeLessThanOrEqual(1);
  });
});
