/**
 * One external-data file readdressed as several chunk "files". Checked on a graph written
 * here with protobufjs (independently of the code under test), whose outputs are known by
 * hand, and on the optimum LCM replica's U-Net, whose outputs after the split must equal
 * onnxruntime-node's on the original bit for bit — through onnxruntime-web (wasm, in Node)
 * too, with the chunks handed over as slices of a file-backed Blob, as the browser does.
 */
import { openAsBlob, readFileSync } from 'node:fs';
import * as ortNode from 'onnxruntime-node';
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { ModelFolderError } from '@/lib/errors';
import { loadModelFolder } from '@/lib/models/load-folder';
import { readPart } from '@/lib/models/read-part';
import { readGraphSummary, splitExternalData } from '@/lib/onnx/graph-edit';
import { createWebSessionFactory } from '@/lib/onnx/web';
import type { Feed } from '@/lib/onnx/types';
import { tensor } from '@/lib/tensor/tensor';
import { dirSource } from '../../helpers/dir-source';

const { Writer } = protobuf;
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
type W = protobuf.Writer;
const msg = (w: W, no: number, body: (w: W) => void) => {
  w.uint32((no << 3) | 2).fork();
  body(w);
  w.ldelim();
};
const str = (w: W, no: number, s: string) => w.uint32((no << 3) | 2).string(s);
const vint = (w: W, no: number, v: number) => w.uint32(no << 3).int64(v);

/** float32 [4] value info (onnx.proto: ValueInfoProto{name=1,type=2{tensor_type=1{elem_type=1,shape=2{dim=1{dim_value=1}}}}}). */
const valueInfo = (w: W, no: number, name: string) =>
  msg(w, no, (v) => {
    str(v, 1, name);
    msg(v, 2, (t) => msg(t, 1, (tt) => (vint(tt, 1, 1), msg(tt, 2, (s) => msg(s, 1, (d) => vint(d, 1, 4))))));
  });

/** y = x + A + B + …: each initializer float32 [4], external in "w.bin" at the given offset (length omitted when null). */
function addGraph(inits: Array<{ name: string; offset: number; length: number | null }>): Uint8Array {
  const w = Writer.create();
  vint(w, 1, 8); // ir_version
  msg(w, 8, (o) => vint(o, 2, 13)); // opset_import { version: 13 }
  msg(w, 7, (g) => {
    let prev = 'x';
    inits.forEach((init, i) => {
      const out = i === inits.length - 1 ? 'y' : `s${i}`;
      msg(g, 1, (n) => (str(n, 1, prev), str(n, 1, init.name), str(n, 2, out), str(n, 3, `add${i}`), str(n, 4, 'Add')));
      prev = out;
    });
    str(g, 2, 'g');
    for (const init of inits)
      msg(g, 5, (t) => {
        vint(t, 1, 4); // dims
        vint(t, 2, 1); // FLOAT
        str(t, 8, init.name);
        const entry = (k: string, v: string) => msg(t, 13, (e) => (str(e, 1, k), str(e, 2, v)));
        entry('location', 'w.bin');
        entry('offset', String(init.offset));
        if (init.length !== null) entry('length', String(init.length));
        vint(t, 14, 1); // EXTERNAL
      });
    valueInfo(g, 11, 'x');
    valueInfo(g, 12, 'y');
  });
  return w.finish();
}

const WEIGHTS = Float32Array.from({ length: 16 }, (_, i) => (i + 1) * 0.25);
const weightBytes = new Uint8Array(WEIGHTS.buffer);
const X = Float32Array.from([10, 20, 30, 40]);
const at = (floatOffset: number) => Array.from(WEIGHTS.subarray(floatOffset, floatOffset + 4));

async function runAdd(model: Uint8Array, files: Array<{ path: string; data: Uint8Array }>): Promise<number[]> {
  const s = await ortNode.InferenceSession.create(model, { externalData: files });
  const out = await s.run({ x: new ortNode.Tensor('float32', X, [4]) });
  await s.release();
  return Array.from(out.y.data as Float32Array);
}
const sliceFiles = (chunks: ReturnType<typeof splitExternalData>['chunks']) =>
  chunks.map((c) => ({ path: c.location, data: weightBytes.slice(c.start, c.end) }));

describe('splitExternalData on a graph with known outputs', () => {
  // A at 0, B at 16 overlapping C at 24, D at 48 with no length (to the end of the 64-byte file).
  const inits = [
    { name: 'A', offset: 0, length: 16 },
    { name: 'B', offset: 16, length: 16 },
    { name: 'C', offset: 24, length: 16 },
    { name: 'D', offset: 48, length: null },
  ];
  const model = addGraph(inits);
  const expected = [0, 1, 2, 3].map((i) => X[i] + at(0)[i] + at(4)[i] + at(6)[i] + at(12)[i]);

  it('the original runs as expected (the graph is valid)', async () => {
    const y = await runAdd(model, [{ path: 'w.bin', data: weightBytes }]);
    expect(y).toEqual(expected.map(Math.fround));
  });

  it('cuts at tensor boundaries, keeps overlapping tensors together, rebases offsets: same outputs', async () => {
    const split = splitExternalData(model, 'g.onnx', { maxChunkBytes: 20, fileSizes: new Map([['w.bin', 64]]) });
    expect(split.chunks).toEqual([
      { location: 'w.bin.part0', source: 'w.bin', start: 0, end: 16 },
      { location: 'w.bin.part1', source: 'w.bin', start: 16, end: 40 }, // B and C share bytes 24–32
      { location: 'w.bin.part2', source: 'w.bin', start: 48, end: 64 },
    ]);
    const refs = readGraphSummary(split.model, 'g.onnx').externalData.map((r) => [r.initializer, r.location, r.offset, r.length]);
    expect(refs).toEqual([
      ['A', 'w.bin.part0', 0, 16],
      ['B', 'w.bin.part1', 0, 16],
      ['C', 'w.bin.part1', 8, 16],
      ['D', 'w.bin.part2', 0, 16],
    ]);
    expect(await runAdd(split.model, sliceFiles(split.chunks))).toEqual(expected.map(Math.fround));
  });

  it('packs tensors up to the limit', () => {
    const split = splitExternalData(model, 'g.onnx', { maxChunkBytes: 48, fileSizes: new Map([['w.bin', 64]]) });
    expect(split.chunks.map((c) => [c.start, c.end])).toEqual([
      [0, 40],
      [48, 64],
    ]);
  });

  it('leaves a file under the limit alone and returns the same buffer', () => {
    const split = splitExternalData(model, 'g.onnx', { maxChunkBytes: 64, fileSizes: new Map([['w.bin', 64]]) });
    expect(split.model).toBe(model);
    expect(split.chunks).toEqual([]);
  });

  it('a tensor larger than the limit is a chunk of its own', () => {
    const split = splitExternalData(model, 'g.onnx', { maxChunkBytes: 8, fileSizes: new Map([['w.bin', 64]]) });
    expect(split.chunks.map((c) => c.end - c.start)).toEqual([16, 24, 16]);
  });

  it('needs the file size for a tensor that names no length', () => {
    const err = (() => {
      try {
        splitExternalData(model, 'g.onnx', { maxChunkBytes: 20 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ModelFolderError);
    expect((err as Error).message).toBe('g.onnx: initializer "D" names no length and the size of "w.bin" is unknown');
  });
});

describe('a split exporter graph (optimum LCM replica U-Net) computes the same', () => {
  const DIR = 'models/fixtures/replicas/optimum-lcm-dreamshaper';
  const model = new Uint8Array(readFileSync(`${DIR}/unet/model.onnx`));
  const data = new Uint8Array(readFileSync(`${DIR}/unet/model.onnx_data`));
  const LIMIT = 64 * 1024;
  const wave = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k) * 0.5);
  const feedsFor = <T extends { Tensor: typeof ortNode.Tensor }>(ort: T) => ({
    sample: new ort.Tensor('float32', wave(2 * 4 * 8 * 8, 0.37), [2, 4, 8, 8]),
    timestep: new ort.Tensor('int64', BigInt64Array.from([499n]), [1]),
    encoder_hidden_states: new ort.Tensor('float32', wave(2 * 77 * 32, 0.11), [2, 77, 32]),
    timestep_cond: new ort.Tensor('float32', wave(2 * 32, 0.7), [2, 32]),
  });
  const reference = (async () => {
    const s = await ortNode.InferenceSession.create(model, { externalData: [{ path: 'model.onnx_data', data }] });
    const out = await s.run(feedsFor(ortNode));
    await s.release();
    return out.out_sample.data as Float32Array;
  })();

  it('splits into chunks within the limit that together hold every tensor', () => {
    const split = splitExternalData(model, 'unet/model.onnx', { maxChunkBytes: LIMIT });
    expect(split.chunks.length).toBeGreaterThanOrEqual(Math.ceil(data.length / LIMIT));
    const original = readGraphSummary(model, 'unet/model.onnx');
    const after = readGraphSummary(split.model, 'unet/model.onnx');
    expect({ ...after, externalData: [] }).toEqual({ ...original, externalData: [] });
    const byName = new Map(split.chunks.map((c) => [c.location, c]));
    after.externalData.forEach((ref, i) => {
      const c = byName.get(ref.location)!;
      const was = original.externalData[i];
      expect(c.end - c.start <= LIMIT || c.end - c.start === was.length).toBe(true);
      const moved = data.subarray(c.start + ref.offset, c.start + ref.offset + ref.length!);
      expect(same(moved, data.subarray(was.offset, was.offset + was.length!)), ref.initializer).toBe(true);
    });
  });

  it('onnxruntime-node on the split graph: identical out_sample', async () => {
    const split = splitExternalData(model, 'unet/model.onnx', { maxChunkBytes: LIMIT });
    const s = await ortNode.InferenceSession.create(split.model, {
      externalData: split.chunks.map((c) => ({ path: c.location, data: data.slice(c.start, c.end) })),
    });
    const out = await s.run(feedsFor(ortNode));
    await s.release();
    expect(out.out_sample.data).toEqual(await reference);
  });

  it('readPart hands an over-limit Blob to onnxruntime-web (wasm) as slices of one file: the same out_sample as the whole Blob, and as onnxruntime-node', async () => {
    const ortWeb = await import('onnxruntime-web/webgpu');
    ortWeb.env.wasm.numThreads = 1;
    const blobs = new Map<string, Blob>([['unet/model.onnx_data', await openAsBlob(`${DIR}/unet/model.onnx_data`)]]);
    const source = { ...dirSource(DIR), locate: (path: string) => (blobs.has(path) ? { blob: blobs.get(path)! } : {}) };
    const folder = await loadModelFolder(source);
    const files = await readPart(folder, 'unet', { externalDataBy: 'url', blobChunkBytes: LIMIT });
    expect(files.externalData.length).toBeGreaterThan(1);
    for (const e of files.externalData) {
      expect('blob' in e && e.path.startsWith('model.onnx_data.part')).toBe(true);
      if ('blob' in e) expect(e.blob.size).toBeLessThanOrEqual(LIMIT);
    }
    expect(files.summary.externalData.every((r) => r.location.startsWith('model.onnx_data.part'))).toBe(true);
    const f = feedsFor(ortNode);
    const feed = (t: ortNode.Tensor): Feed => ({ kind: 'float', tensor: tensor(t.dims, t.data as Float32Array) });
    const run = async (parts: typeof files) => {
      const session = await createWebSessionFactory('wasm').create(parts);
      const out = await session.run({
        sample: feed(f.sample),
        timestep: { kind: 'int', dims: [1], values: [499] },
        encoder_hidden_states: feed(f.encoder_hidden_states),
        timestep_cond: feed(f.timestep_cond),
      });
      await session.release();
      return out.out_sample.data;
    };
    const sliced = await run(files);
    const whole = await run({ ...files, model, externalData: [{ path: 'model.onnx_data', blob: blobs.get('unet/model.onnx_data')! }] });
    expect(sliced).toEqual(whole);
    // Different kernels (wasm vs MLAS) round differently: a few float32 ulps.
    const ref = await reference;
    const worst = sliced.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i])), 0);
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it('readPart leaves a Blob under the limit whole', async () => {
    const blob = await openAsBlob(`${DIR}/unet/model.onnx_data`);
    const source = { ...dirSource(DIR), locate: (path: string) => (path === 'unet/model.onnx_data' ? { blob } : {}) };
    const files = await readPart(await loadModelFolder(source), 'unet', { externalDataBy: 'url' });
    expect(files.externalData).toEqual([{ path: 'model.onnx_data', blob }]);
    expect(same(files.model, model)).toBe(true);
  });
});
