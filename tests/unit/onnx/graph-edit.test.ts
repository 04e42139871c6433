/**
 * Wire-level ONNX reading and the float64 → float32 input rewrite, on real graphs (the
 * fixtures' U-Net, VAE, text encoder and TensorStack-style ControlNet) and on small graphs
 * from tests/fixtures/onnx/make_graphs.py. The expectations come from outside the code
 * under test: python's onnx (expected.json, written by that script) and onnxruntime.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as ortNode from 'onnxruntime-node';
import protobuf from 'protobufjs/minimal.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ModelFolderError, type ModelFolderProblem } from '@/lib/errors';
import { readGraphSummary, rewriteInputToFloat32, type GraphValue } from '@/lib/onnx/graph-edit';

type PyValue = { name: string; elemType: number; shape: Array<number | string> };
interface PyGraph {
  irVersion: number;
  opset: number;
  inputs: PyValue[];
  outputs: PyValue[];
  opCounts: Record<string, number>;
  externalData: unknown[];
  initializers: number;
  initializerSha256?: Record<string, string>;
  rewrite?: { input: string; casts: string[]; length: number; sha256: string };
  run?: { x: number[]; y: number[] };
}
const FIX = 'tests/fixtures/onnx';
const expected = JSON.parse(readFileSync(`${FIX}/expected.json`, 'utf8')) as Record<string, PyGraph>;
const read = (p: string) => new Uint8Array(readFileSync(p));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** onnx.TensorProto.DataType, written out here rather than taken from the code under test. */
const PY_DTYPE: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64' };
const fromPython = (v: PyValue): GraphValue => ({ name: v.name, dtype: PY_DTYPE[v.elemType] as GraphValue['dtype'], shape: v.shape });
const fromOrt = (m: ortNode.InferenceSession.ValueMetadata): GraphValue =>
  m.isTensor ? { name: m.name, dtype: m.type as GraphValue['dtype'], shape: [...m.shape] } : { name: m.name, dtype: 'other', shape: [] };
/**
 * The summary against onnxruntime's metadata. onnxruntime reports shapes after its own
 * shape inference, so a dim the file declares symbolic may come back as a number there
 * (the text encoder's "LayerNormalizationlast_hidden_state_dim_1" is 77 to onnxruntime);
 * that is the one difference allowed, and how often it occurs is returned.
 */
function expectSameAsOrt(ours: GraphValue[], ort: readonly ortNode.InferenceSession.ValueMetadata[]): number {
  const theirs = ort.map(fromOrt);
  expect(ours.map((v) => [v.name, v.dtype, v.shape.length])).toEqual(theirs.map((v) => [v.name, v.dtype, v.shape.length]));
  let inferred = 0;
  ours.forEach((v, i) =>
    v.shape.forEach((d, k) => {
      const t = theirs[i].shape[k];
      if (typeof d === 'string' && typeof t === 'number') inferred++;
      else expect([v.name, k, d]).toEqual([v.name, k, t]);
    }),
  );
  return inferred;
}

const REAL = ['tiny-sd/text_encoder', 'tiny-sd/unet', 'tiny-sd/vae_decoder', 'tiny-sd/vae_encoder', 'tiny-sd-controlnet/controlnet', 'tiny-sd-controlnet/unet'];
const SMALL = ['ext-one', 'ext-two', 'two-casts', 'double-mul', 'double-cast-half', 'double-if'];
const CN = 'tiny-sd-controlnet/controlnet';
const CN_PATH = `models/fixtures/${CN}/model.onnx`;
const CN_LABEL = 'controlnet/model.onnx';

/** TensorProto bytes by initializer name, walked with protobufjs directly (not through lib/onnx/graph-edit). */
function initializerBytes(model: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const each = (buf: Uint8Array, from: number, to: number, fn: (no: number, start: number, end: number) => void) => {
    const r = protobuf.Reader.create(buf.subarray(0, to));
    r.pos = from;
    while (r.pos < to) {
      const tag = r.uint32();
      if ((tag & 7) !== 2) {
        r.skipType(tag & 7);
        continue;
      }
      const len = r.uint32();
      fn(tag >>> 3, r.pos, r.pos + len);
      r.pos += len;
    }
  };
  each(model, 0, model.length, (no, gs, ge) => {
    if (no !== 7) return; // ModelProto.graph
    each(model, gs, ge, (gno, ts, te) => {
      if (gno !== 5) return; // GraphProto.initializer
      each(model, ts, te, (tno, ns, ne) => {
        if (tno === 8) out.set(new TextDecoder().decode(model.subarray(ns, ne)), model.subarray(ts, te)); // TensorProto.name
      });
    });
  });
  return out;
}

function caught(fn: () => unknown): ModelFolderError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelFolderError);
    return e as ModelFolderError;
  }
  throw new Error('expected a ModelFolderError, nothing was thrown');
}

function expectFolderError(fn: () => unknown, problem: ModelFolderProblem, label: string, message: RegExp | string) {
  const err = caught(fn);
  expect(err.problem).toBe(problem);
  expect(err.file).toBe(label);
  expect(err.message.startsWith(`${label}: `)).toBe(true);
  if (typeof message === 'string') expect(err.message).toBe(message);
  else expect(err.message).toMatch(message);
}

describe('readGraphSummary', () => {
  it.each(REAL)('reads %s as python onnx and onnxruntime-node do', async (name) => {
    const bytes = read(`models/fixtures/${name}/model.onnx`);
    const s = readGraphSummary(bytes, `${name}/model.onnx`);
    const e = expected[name];
    expect(s).toEqual({
      irVersion: e.irVersion,
      opset: e.opset,
      inputs: e.inputs.map(fromPython),
      outputs: e.outputs.map(fromPython),
      opCounts: e.opCounts,
      externalData: [],
      initializers: e.initializers,
    });
    const session = await ortNode.InferenceSession.create(bytes);
    expect(expectSameAsOrt(s.inputs, session.inputMetadata)).toBe(0);
    expect(expectSameAsOrt(s.outputs, session.outputMetadata)).toBe(name === 'tiny-sd/text_encoder' ? 1 : 0);
    await session.release();
  });

  it.each(SMALL)('reads the small graph %s as python onnx does (op counts include If branches)', (name) => {
    const s = readGraphSummary(read(`${FIX}/${name}/model.onnx`), name);
    const e = expected[name];
    expect({ ...s }).toEqual({
      irVersion: e.irVersion,
      opset: e.opset,
      inputs: e.inputs.map(fromPython),
      outputs: e.outputs.map(fromPython),
      opCounts: e.opCounts,
      externalData: e.externalData,
      initializers: e.initializers,
    });
  });

  it.each(['ext-one', 'ext-two'])('lists the external data of %s exactly as onnx.external_data_helper does', (name) => {
    const s = readGraphSummary(read(`${FIX}/${name}/model.onnx`), `${name}/model.onnx`);
    expect(s.externalData).toEqual(expected[name].externalData);
    expect(s.externalData.length).toBeGreaterThan(0);
  });

  it('ext-two really keeps its weights at those offsets in those two files (onnxruntime-node computes x·A + B from them)', async () => {
    expect(new Set(readGraphSummary(read(`${FIX}/ext-two/model.onnx`), 'm').externalData.map((r) => r.location))).toEqual(new Set(['weights.pb', 'extra.bin']));
    const session = await ortNode.InferenceSession.create(`${FIX}/ext-two/model.onnx`);
    const { x, y } = expected['ext-two'].run!;
    const out = await session.run({ x: new ortNode.Tensor('float32', Float32Array.from(x), [1, 2]) });
    Array.from(out.y.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(y[i], 6));
    await session.release();
  });

  describe('a 50 MB weight', () => {
    afterEach(() => vi.restoreAllMocks());

    it('is stepped over, not decoded or copied', async () => {
      // The ControlNet plus a second ModelProto.graph field holding one 50 MB raw_data initializer:
      // protobuf merges repeated message fields, so this is the ControlNet with one more initializer.
      const base = read(CN_PATH);
      const raw = new Uint8Array(50 << 20).fill(0xff); // if the walker parsed these bytes as fields it would throw
      const W = protobuf.Writer;
      const tensor = W.create()
        .uint32((1 << 3) | 0)
        .int64(raw.length / 4)
        .uint32((2 << 3) | 0)
        .int32(1)
        .uint32((8 << 3) | 2)
        .string('big_weight')
        .uint32((9 << 3) | 2)
        .bytes(raw)
        .finish();
      const graph = W.create()
        .uint32((5 << 3) | 2)
        .bytes(tensor)
        .finish();
      const model = W.create()
        .uint32((7 << 3) | 2)
        .bytes(graph)
        .finish();
      const big = new Uint8Array(base.length + model.length);
      big.set(base);
      big.set(model, base.length);

      // Anything that copies or decodes a range of the weight would go through one of these.
      let largest = 0;
      const note = (n: number) => (largest = Math.max(largest, n));
      const slice = Uint8Array.prototype.slice;
      const set = Uint8Array.prototype.set;
      const decode = TextDecoder.prototype.decode;
      vi.spyOn(Uint8Array.prototype, 'slice').mockImplementation(function (this: Uint8Array, ...a: [number?, number?]) {
        const r = slice.apply(this, a);
        note(r.length);
        return r;
      });
      vi.spyOn(Uint8Array.prototype, 'set').mockImplementation(function (this: Uint8Array, src: ArrayLike<number>, at?: number) {
        note(src.length);
        return set.call(this, src, at);
      });
      vi.spyOn(TextDecoder.prototype, 'decode').mockImplementation(function (this: TextDecoder, input?: AllowSharedBufferSource, o?: TextDecodeOptions) {
        note((input as ArrayBufferView | undefined)?.byteLength ?? 0);
        return decode.call(this, input, o);
      });
      const before = process.memoryUsage().arrayBuffers;
      const s = readGraphSummary(big, 'big/model.onnx');
      const grown = process.memoryUsage().arrayBuffers - before;
      vi.restoreAllMocks();

      expect(largest).toBeLessThan(1 << 16);
      expect(grown).toBeLessThan(8 << 20);
      const plain = readGraphSummary(base, 'm');
      expect(s).toEqual({ ...plain, initializers: plain.initializers + 1 });
      // onnxruntime merges the two graph fields the same way.
      const session = await ortNode.InferenceSession.create(big);
      expect(s.inputs).toEqual(session.inputMetadata.map(fromOrt));
      await session.release();
    });
  });

  const garbage: Array<[string, Uint8Array, RegExp]> = [
    ['empty bytes', new Uint8Array(0), /^has no graph \(not an ONNX model\?\)$/],
    [
      'a git-lfs pointer',
      new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 736\n'),
      /^not a valid ONNX protobuf \(invalid wire type 6/,
    ],
    [
      'a field that runs past the end',
      new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2]),
      /^not a valid ONNX protobuf \(field 1 at byte 0 runs past the end/,
    ],
    [
      'a ControlNet cut short',
      read(CN_PATH).subarray(0, 50_000),
      /^not a valid ONNX protobuf \(field 7 at byte \d+ runs past the end of its message \(byte \d+ of 50000\)\)$/,
    ],
    [
      'a PNG',
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]),
      /^not a valid ONNX protobuf \(field number 0/,
    ],
    // ir_version 8, then a 4-byte graph whose node claims 5 bytes.
    [
      'a graph whose node runs past the graph',
      new Uint8Array([0x08, 8, 0x3a, 4, 0x0a, 0x05, 0xff, 0xff]),
      /^not a valid ONNX protobuf \(field 1 at byte 4 runs past the end of its message \(byte 11 of 8\)\)$/,
    ],
  ];
  it.each(garbage)('names the file when the bytes are not ONNX: %s', (_, bytes, why) => {
    for (const [label, fn] of [
      ['unet/model.onnx', () => readGraphSummary(bytes, 'unet/model.onnx')],
      [CN_LABEL, () => rewriteInputToFloat32(bytes, 'conditioning_scale', CN_LABEL)],
    ] as const) {
      const err = caught(fn);
      expect([err.problem, err.file]).toEqual(['malformed-file', label]);
      expect(err.message.startsWith(`${label}: `)).toBe(true);
      expect(err.message.slice(label.length + 2)).toMatch(why);
    }
  });
});

describe('rewriteInputToFloat32 (TensorStack conditioning_scale for onnxruntime-web)', () => {
  const original = read(CN_PATH);
  const rewritten = rewriteInputToFloat32(original, 'conditioning_scale', CN_LABEL);

  const feeds = (ort: Pick<typeof ortNode, 'Tensor'>, scaleType: 'float32' | 'float64', scale: number) => {
    const dim: Record<string, number> = { batch: 1, height: 8, width: 8, sequence: 7, image_height: 64, image_width: 64 };
    const f: Record<string, ortNode.Tensor> = {};
    for (const i of readGraphSummary(original, 'c').inputs) {
      const d = i.shape.map((x) => (typeof x === 'number' ? x : dim[x]));
      const n = d.reduce((a, b) => a * b, 1);
      if (i.name === 'conditioning_scale')
        f[i.name] =
          scaleType === 'float64' ? new ort.Tensor('float64', Float64Array.from([scale]), d) : new ort.Tensor('float32', Float32Array.from([scale]), d);
      else if (i.dtype === 'int64')
        f[i.name] = new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: n }, () => 500n),
          d,
        );
      else
        f[i.name] = new ort.Tensor(
          'float32',
          Float32Array.from({ length: n }, (_, k) => Math.sin(k * 0.37)),
          d,
        );
    }
    return f as Record<string, ortNode.Tensor>;
  };
  const worstDiff = (a: ortNode.InferenceSession.ReturnType, b: ortNode.InferenceSession.ReturnType, names: readonly string[]) => {
    let worst = 0;
    for (const name of names) {
      const x = a[name].data as Float32Array;
      const y = b[name].data as Float32Array;
      expect(y.length).toBe(x.length);
      x.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - y[i]))));
    }
    return worst;
  };

  it('emits exactly the bytes python onnx writes for the same edit (input FLOAT, /Cast_1 → Identity), no bigger than the original', () => {
    const e = expected[CN].rewrite!;
    expect(e.casts).toEqual(['/Cast_1']);
    expect(rewritten.length).toBe(e.length);
    expect(sha256(rewritten)).toBe(e.sha256);
    expect(rewritten.length).toBeLessThanOrEqual(original.length + 8);
  });

  it('keeps every initializer byte for byte (python onnx hashes both)', () => {
    const py = expected[CN].initializerSha256!;
    for (const model of [original, rewritten]) {
      const got = initializerBytes(model);
      expect(got.size).toBe(expected[CN].initializers);
      expect(Object.fromEntries([...got].map(([k, v]) => [k, sha256(v)]))).toEqual(py);
    }
  });

  it('changes only the input type and the Cast in the summary', () => {
    const before = readGraphSummary(original, 'c');
    const after = readGraphSummary(rewritten, 'c');
    expect(after).toEqual({
      ...before,
      inputs: before.inputs.map((i) => (i.name === 'conditioning_scale' ? { ...i, dtype: 'float32' } : i)),
      opCounts: { ...before.opCounts, Cast: before.opCounts.Cast - 1, Identity: before.opCounts.Identity + 1 },
    });
  });

  it('rewrites two Casts of one input (and its value_info) exactly as python does, and the graph computes the same', async () => {
    const path = `${FIX}/two-casts/model.onnx`;
    const src = read(path);
    const out = rewriteInputToFloat32(src, 'scale', 'two-casts/model.onnx');
    expect(sha256(out)).toBe(expected['two-casts'].rewrite!.sha256);
    const a = await ortNode.InferenceSession.create(src);
    const b = await ortNode.InferenceSession.create(out);
    const x = new ortNode.Tensor('float32', Float32Array.from([1, -2, 3.5]), [3]);
    for (const scale of [0, 0.5, 1.7]) {
      const ra = await a.run({ x, scale: new ortNode.Tensor('float64', Float64Array.from([scale]), [1]) });
      const rb = await b.run({ x, scale: new ortNode.Tensor('float32', Float32Array.from([scale]), [1]) });
      expect(Array.from(rb.y.data as Float32Array)).toEqual(Array.from(ra.y.data as Float32Array));
    }
  });

  it.each([0, 0.5, 1.7])('gives the float64 original’s residuals at scale %s (onnxruntime-node)', async (scale) => {
    const a = await ortNode.InferenceSession.create(original);
    const b = await ortNode.InferenceSession.create(rewritten);
    expect(b.inputMetadata.map(fromOrt)).toEqual(a.inputMetadata.map(fromOrt).map((m) => (m.name === 'conditioning_scale' ? { ...m, dtype: 'float32' } : m)));
    expect(b.outputMetadata.map(fromOrt)).toEqual(a.outputMetadata.map(fromOrt));
    const ra = await a.run(feeds(ortNode, 'float64', scale));
    const rb = await b.run(feeds(ortNode, 'float32', scale));
    expect(worstDiff(ra, rb, a.outputNames)).toBeLessThanOrEqual(1e-7);
    await a.release();
    await b.release();
  });

  // The browser worker imports 'onnxruntime-web/webgpu' (lib/onnx/web.ts); that build has no
  // Cast from double even on its wasm EP. (The plain 'onnxruntime-web' entry that Node gets
  // by default does run the float64 original, so it would prove nothing here.)
  it('onnxruntime-web/webgpu (wasm EP, in Node) refuses the float64 original and runs the rewrite, matching onnxruntime-node', async () => {
    const ortWeb = await import('onnxruntime-web/webgpu');
    ortWeb.env.wasm.numThreads = 1;
    const options = { executionProviders: ['wasm'] };
    await expect(ortWeb.InferenceSession.create(original, options)).rejects.toThrow(
      /Could not find an implementation for Cast\(13\) node with name '\/Cast_1'/,
    );
    const web = await ortWeb.InferenceSession.create(rewritten, options);
    const node = await ortNode.InferenceSession.create(original);
    for (const scale of [0, 0.5, 1.7]) {
      const rw = await web.run(feeds(ortWeb as unknown as typeof ortNode, 'float32', scale));
      const rn = await node.run(feeds(ortNode, 'float64', scale));
      // Different kernels (wasm vs MLAS) round differently: a few float32 ulps of the output range.
      const range = Math.max(1, ...node.outputNames.flatMap((n) => Array.from(rn[n].data as Float32Array, Math.abs)));
      expect(worstDiff(rn, rw as unknown as ortNode.InferenceSession.ReturnType, node.outputNames)).toBeLessThanOrEqual(1e-5 * range);
    }
    await web.release();
    await node.release();
  });

  it('refuses what it cannot rewrite, naming the file', () => {
    const L = CN_LABEL;
    expectFolderError(
      () => rewriteInputToFloat32(original, 'nope', L),
      'unsupported-model',
      L,
      'controlnet/model.onnx: has no input "nope" to rewrite to float32',
    );
    expectFolderError(
      () => rewriteInputToFloat32(original, 'sample', L),
      'unsupported-model',
      L,
      'controlnet/model.onnx: input "sample" is float32, not float64: cannot rewrite it to float32',
    );
    expectFolderError(
      () => rewriteInputToFloat32(rewritten, 'conditioning_scale', L),
      'unsupported-model',
      L,
      /input "conditioning_scale" is float32, not float64/,
    );
    const small = (name: string) => read(`${FIX}/${name}/model.onnx`);
    expectFolderError(
      () => rewriteInputToFloat32(small('double-mul'), 'scale', L),
      'unsupported-model',
      L,
      'controlnet/model.onnx: input "scale" feeds Mul "scale_mul", not a Cast to float: cannot rewrite it to float32',
    );
    expectFolderError(
      () => rewriteInputToFloat32(small('double-cast-half'), 'scale', L),
      'unsupported-model',
      L,
      'controlnet/model.onnx: input "scale" feeds Cast (to float16) "scale_to_half", not a Cast to float: cannot rewrite it to float32',
    );
    expectFolderError(
      () => rewriteInputToFloat32(small('double-if'), 'scale', L),
      'unsupported-model',
      L,
      'controlnet/model.onnx: input "scale" is read inside a subgraph of If "pick" (by Identity "else_read"): cannot rewrite it to float32',
    );
  });
});
