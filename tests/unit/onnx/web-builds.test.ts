/**
 * lib/onnx/web.ts loads one onnxruntime-web build per backend: WebGPU the JSEP/asyncify build,
 * wasm the plain one. The rules, and the float64 → float32 rewrite on the plain build the
 * factory now opens for wasm (in Node, one thread: no cross-origin isolation here).
 */
import { readFileSync } from 'node:fs';
import * as ortNode from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readGraphSummary, rewriteInputToFloat32 } from '@/lib/onnx/graph-edit';
import { buildFor, createWebSessionFactory, wasmThreads } from '@/lib/onnx/web';
import type { Feed } from '@/lib/onnx/types';
import { tensor } from '@/lib/tensor/tensor';

describe('buildFor', () => {
  it('WebGPU runs on the WebGPU build, wasm on the plain build', () => {
    expect(buildFor('webgpu', {})).toBe('webgpu');
    expect(buildFor('wasm', {})).toBe('wasm');
    expect(buildFor('webgpu', { wasm: 1 })).toBe('webgpu');
  });

  it('wasm stays on the WebGPU build a worker already runs (no second wasm heap), unless the plain one is loaded too', () => {
    expect(buildFor('wasm', { webgpu: 1 })).toBe('webgpu');
    expect(buildFor('wasm', { webgpu: 1, wasm: 1 })).toBe('wasm');
  });
});

describe('wasmThreads', () => {
  it('one thread without cross-origin isolation (no SharedArrayBuffer)', () => {
    expect(wasmThreads({ isolated: false, cores: 16 })).toBe(1);
  });
  it('the cores there are but one (the page’s), at least 1, at most 4', () => {
    expect([1, 2, 3, 4, 5, 8, 16].map((cores) => wasmThreads({ isolated: true, cores }))).toEqual([1, 1, 2, 3, 4, 4, 4]);
    expect(wasmThreads({ isolated: true, cores: 0 })).toBe(1);
  });
});

describe('the plain wasm build', () => {
  const CN_LABEL = 'controlnet/model.onnx';
  const original = new Uint8Array(readFileSync('models/fixtures/tiny-sd-controlnet/controlnet/model.onnx'));
  const rewritten = rewriteInputToFloat32(original, 'conditioning_scale', CN_LABEL);
  const dim: Record<string, number> = { batch: 1, height: 8, width: 8, sequence: 7, image_height: 64, image_width: 64 };
  const inputs = readGraphSummary(original, CN_LABEL).inputs.map((i) => ({ ...i, dims: i.shape.map((x) => (typeof x === 'number' ? x : dim[x])) }));
  const count = (d: number[]) => d.reduce((a, b) => a * b, 1);
  const values = (d: number[]) => Float32Array.from({ length: count(d) }, (_, k) => Math.sin(k * 0.37));

  it('runs the float64 ControlNet rewritten to float32 through the factory, as onnxruntime-node runs the original', async () => {
    const factory = createWebSessionFactory('wasm');
    // The factory still asks for the rewrite on wasm: the WebGPU build's wasm EP (used after a backend switch) has no float64 Cast.
    expect(factory.runsFloat64).toBe(false);
    const web = await factory.create({ label: CN_LABEL, model: rewritten });
    const node = await ortNode.InferenceSession.create(original);
    for (const scale of [0, 0.5, 1.7]) {
      const feeds: Record<string, Feed> = {};
      const nodeFeeds: Record<string, ortNode.Tensor> = {};
      for (const i of inputs) {
        if (i.name === 'conditioning_scale') {
          feeds[i.name] = { kind: 'float', tensor: tensor(i.dims, Float32Array.from([scale])) };
          nodeFeeds[i.name] = new ortNode.Tensor('float64', Float64Array.from([scale]), i.dims);
        } else if (i.dtype === 'int64') {
          feeds[i.name] = { kind: 'int', dims: i.dims, values: new Array(count(i.dims)).fill(500) };
          nodeFeeds[i.name] = new ortNode.Tensor('int64', new BigInt64Array(count(i.dims)).fill(500n), i.dims);
        } else {
          feeds[i.name] = { kind: 'float', tensor: tensor(i.dims, values(i.dims)) };
          nodeFeeds[i.name] = new ortNode.Tensor('float32', values(i.dims), i.dims);
        }
      }
      const rw = await web.run(feeds);
      const rn = await node.run(nodeFeeds);
      for (const name of node.outputNames) {
        const a = rn[name].data as Float32Array;
        const b = rw[name].data;
        const range = Math.max(1, ...Array.from(a, Math.abs));
        let worst = 0;
        for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
        // Different kernels (wasm vs MLAS) round differently: a few float32 ulps of the output range.
        expect(worst, name).toBeLessThanOrEqual(1e-5 * range);
      }
    }
    await web.release();
    await node.release();
  });
});
