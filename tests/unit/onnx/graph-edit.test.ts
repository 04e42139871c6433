/**
 * Wire-level ONNX reading and the float64 → float32 input rewrite, on real graphs: the
 * fixtures' U-Net and TensorStack-style ControlNet, and small graphs with external data
 * (tests/fixtures/onnx/make_graphs.py, with what python's onnx reports in expected.json).
 */
import { readFileSync } from 'node:fs';
import * as ortNode from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ModelFolderError } from '@/lib/errors';
import { readGraphSummary, rewriteInputToFloat32 } from '@/lib/onnx/graph-edit';
import { GRAPH, MODEL, TENSOR } from '@/lib/onnx/graph-edit/onnx-fields';
import { fields, stringOf } from '@/lib/onnx/graph-edit/wire';

const read = (p: string) => new Uint8Array(readFileSync(p));
const expected = JSON.parse(readFileSync('tests/fixtures/onnx/expected.json', 'utf8')) as Record<
  string,
  { inputs: Array<{ name: string; elemType: number; shape: Array<number | string> }>; outputs: unknown[]; opCounts: Record<string, number>; externalData: unknown[]; initializers: number }
>;
const DTYPE: Record<number, string> = { 1: 'float32', 6: 'int32', 7: 'int64', 10: 'float16', 11: 'float64' };
const CONTROLNET = 'models/fixtures/tiny-sd-controlnet/controlnet/model.onnx';

/** name → bytes of every initializer field, for byte-for-byte comparison. */
function initializerBytes(model: Uint8Array): Map<string, string> {
  const graph = fields(model, 't').find((f) => f.no === MODEL.graph)!;
  const out = new Map<string, string>();
  for (const t of fields(model, 't', graph.payloadStart, graph.payloadEnd).filter((f) => f.no === GRAPH.initializer)) {
    const name = fields(model, 't', t.payloadStart, t.payloadEnd).find((f) => f.no === TENSOR.name)!;
    out.set(stringOf(model, name), Buffer.from(model.subarray(t.start, t.end)).toString('base64'));
  }
  return out;
}

describe('readGraphSummary', () => {
  it.each(['tiny-sd/unet', 'tiny-sd-controlnet/controlnet', 'tiny-sd-controlnet/unet'])('reads %s as python onnx and onnxruntime do', async (name) => {
    const bytes = read(`models/fixtures/${name}/model.onnx`);
    const s = readGraphSummary(bytes, `${name}/model.onnx`);
    const e = expected[name];
    expect(s.inputs).toEqual(e.inputs.map((i) => ({ name: i.name, dtype: DTYPE[i.elemType], shape: i.shape })));
    expect(s.opCounts).toEqual(e.opCounts);
    expect(s.initializers).toBe(e.initializers);
    expect(s.externalData).toEqual([]);
    expect(s.opset).toBe(17);
    const session = await ortNode.InferenceSession.create(bytes);
    expect(s.inputs.map((i) => [i.name, i.dtype])).toEqual(session.inputMetadata.map((m) => [m.name, m.isTensor ? m.type : '?']));
    expect(s.outputs.map((o) => o.name)).toEqual(session.outputNames);
    await session.release();
  });

  it.each(['ext-one', 'ext-two'])('lists the external data of %s exactly as onnx.external_data_helper does', (name) => {
    const s = readGraphSummary(read(`tests/fixtures/onnx/${name}/model.onnx`), `${name}/model.onnx`);
    expect(s.externalData).toEqual(expected[name].externalData);
    expect(s.externalData.length).toBeGreaterThan(0);
  });

  it('skips weights without decoding them: a 64 MB initializer reads like a small one', () => {
    // Append a graph carrying one big raw_data initializer to the fixture (fields may repeat: protobuf merges them).
    const base = read('models/fixtures/tiny-sd/unet/model.onnx');
    const big = new Uint8Array(64 << 20);
    const tensor = Buffer.concat([Buffer.from([0x42, 4]), Buffer.from('BIG!'), Buffer.from([0x4a]), varint(big.length), big]);
    const graph = Buffer.concat([Buffer.from([0x2a]), varint(tensor.length), tensor]);
    const model = Buffer.concat([base, Buffer.from([0x3a]), varint(graph.length), graph]);
    const s = readGraphSummary(new Uint8Array(model.buffer, model.byteOffset, model.length), 'big');
    expect(s.inputs.map((i) => i.name)).toContain('sample');
  });

  it('names the file when the bytes are not ONNX', () => {
    const err = (() => {
      try {
        readGraphSummary(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2]), 'unet/model.onnx');
      } catch (e) {
        return e as ModelFolderError;
      }
    })();
    expect(err).toBeInstanceOf(ModelFolderError);
    expect(err?.message).toMatch(/^unet\/model\.onnx: not a valid ONNX protobuf/);
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

describe('rewriteInputToFloat32 (TensorStack conditioning_scale for onnxruntime-web)', () => {
  const original = read(CONTROLNET);
  const rewritten = rewriteInputToFloat32(original, 'conditioning_scale', 'controlnet/model.onnx');
  const feeds = (ort: typeof ortNode, scaleType: 'float32' | 'float64', scale: number) => {
    const s = readGraphSummary(original, 'c');
    const dims = (name: string) => s.inputs.find((i) => i.name === name)!.shape.map((d) => (typeof d === 'number' ? d : d === 'batch' ? 1 : 8));
    const f: Record<string, ortNode.Tensor> = {};
    for (const i of s.inputs) {
      const d = i.name === 'conditioning_scale' ? [1] : dims(i.name);
      const n = d.reduce((a, b) => a * b, 1);
      if (i.name === 'conditioning_scale') f[i.name] = scaleType === 'float64' ? new ort.Tensor('float64', Float64Array.from([scale]), d) : new ort.Tensor('float32', Float32Array.from([scale]), d);
      else if (i.dtype === 'int64') f[i.name] = new ort.Tensor('int64', BigInt64Array.from({ length: n }, () => 500n), d);
      else f[i.name] = new ort.Tensor('float32', Float32Array.from({ length: n }, (_, k) => Math.sin(k * 0.37)), d);
    }
    return f;
  };

  it('changes the input to float32, turns the reading Casts into Identity and copies every initializer byte for byte', () => {
    const before = readGraphSummary(original, 'c');
    const after = readGraphSummary(rewritten, 'c');
    expect(before.inputs.find((i) => i.name === 'conditioning_scale')?.dtype).toBe('float64');
    expect(after.inputs.find((i) => i.name === 'conditioning_scale')).toEqual({ ...before.inputs.find((i) => i.name === 'conditioning_scale'), dtype: 'float32' });
    expect(after.inputs.filter((i) => i.name !== 'conditioning_scale')).toEqual(before.inputs.filter((i) => i.name !== 'conditioning_scale'));
    expect((after.opCounts.Cast ?? 0) + (after.opCounts.Identity ?? 0)).toBe((before.opCounts.Cast ?? 0) + (before.opCounts.Identity ?? 0));
    expect(after.opCounts.Cast ?? 0).toBeLessThan(before.opCounts.Cast);
    expect(initializerBytes(rewritten)).toEqual(initializerBytes(original));
    expect(Math.abs(rewritten.length - original.length)).toBeLessThan(64);
  });

  it.each([0, 0.5, 1.7])('gives the same residuals as the float64 original at scale %s (onnxruntime-node)', async (scale) => {
    const a = await ortNode.InferenceSession.create(original);
    const b = await ortNode.InferenceSession.create(rewritten);
    const ra = await a.run(feeds(ortNode, 'float64', scale));
    const rb = await b.run(feeds(ortNode, 'float32', scale));
    for (const name of a.outputNames) {
      const x = ra[name].data as Float32Array;
      const y = rb[name].data as Float32Array;
      let worst = 0;
      x.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - y[i]))));
      expect(worst).toBeLessThanOrEqual(1e-7);
    }
    await a.release();
    await b.release();
  });

  // onnxruntime-web's Node build runs the float64 original too; the browser bundles do not
  // (e2e/layouts.spec.ts runs the rewritten ControlNet there).
  it('runs in onnxruntime-web (wasm) and matches the float64 original on onnxruntime-node', async () => {
    const ortWeb = (await import('onnxruntime-web')) as unknown as typeof ortNode & { env: { wasm: { numThreads: number } } };
    ortWeb.env.wasm.numThreads = 1;
    const web = await ortWeb.InferenceSession.create(rewritten);
    const node = await ortNode.InferenceSession.create(original);
    const rw = await web.run(feeds(ortWeb, 'float32', 0.5));
    const rn = await node.run(feeds(ortNode, 'float64', 0.5));
    for (const name of node.outputNames) {
      const x = rn[name].data as Float32Array;
      const y = rw[name].data as Float32Array;
      let worst = 0;
      x.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - y[i]))));
      expect(worst).toBeLessThan(1e-4);
    }
  });

  it('refuses what it cannot rewrite, naming the file', () => {
    expect(() => rewriteInputToFloat32(original, 'nope', 'controlnet/model.onnx')).toThrow(/controlnet\/model\.onnx: has no input "nope"/);
    expect(() => rewriteInputToFloat32(original, 'sample', 'controlnet/model.onnx')).toThrow(/input "sample" is float32, not float64/);
    const mul = read('tests/fixtures/onnx/double-mul/model.onnx');
    expect(() => rewriteInputToFloat32(mul, 'scale', 'controlnet/model.onnx')).toThrow(/input "scale" feeds Mul "scale_mul", not a Cast to float/);
  });
});
