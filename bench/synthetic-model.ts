/**
 * Synthetic Stable-Diffusion-shaped graphs of any weight size, for memory benchmarks: each
 * part has SD's input and output names and shapes, and its weights are banks of float32
 * initializers in one external-data file (`model.onnx_data`, as optimum writes it). Every
 * run reads every weight, scaled by a factor computed from an input, so no runtime can fold
 * the weights away or leave them unloaded (onnxruntime-node maps files by path: pages count
 * once touched). Built with protobufjs (no Python, runs in a browser
 * worker too); the weight bytes are a repeated pattern streamed out, never one buffer.
 */
import protobuf from 'protobufjs/minimal.js';

const { Writer } = protobuf;
type W = protobuf.Writer;

// onnx.proto field numbers (IR 8, opset 13).
const FLOAT = 1;
const INT64 = 7;
const ATTR_INT = 2;
const ATTR_STRING = 3;

const msg = (w: W, no: number, body: (w: W) => void) => {
  w.uint32((no << 3) | 2).fork();
  body(w);
  w.ldelim();
};
const str = (w: W, no: number, s: string) => w.uint32((no << 3) | 2).string(s);
const vint = (w: W, no: number, v: number) => w.uint32(no << 3).int64(v);

type Attr = { name: string; i: number } | { name: string; s: string };

interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Attr[];
}

interface ValueDecl {
  name: string;
  elemType: number;
  dims: Array<number | string>;
}

interface Bank {
  /** Initializer names `${prefix}${i}`, each [rows, cols] float32, contiguous in the data file. */
  prefix: string;
  count: number;
  rows: number;
  cols: number;
}

export interface SyntheticPart {
  /** The graph (model.onnx), a few kB. */
  graph: Uint8Array;
  /** Bytes of model.onnx_data. */
  dataBytes: number;
  /** Byte range of each initializer in model.onnx_data. */
  tensors: Array<{ name: string; offset: number; length: number }>;
}

function valueInfo(w: W, no: number, v: ValueDecl) {
  msg(w, no, (vi) => {
    str(vi, 1, v.name);
    msg(vi, 2, (t) =>
      msg(t, 1, (tt) => {
        vint(tt, 1, v.elemType);
        msg(tt, 2, (s) => {
          for (const d of v.dims) msg(s, 1, (dim) => (typeof d === 'number' ? vint(dim, 1, d) : str(dim, 2, d)));
        });
      }),
    );
  });
}

/** A small inline constant (raw_data). */
function constant(w: W, name: string, elemType: number, dims: number[], values: number[]) {
  msg(w, 5, (t) => {
    for (const d of dims) vint(t, 1, d);
    vint(t, 2, elemType);
    str(t, 8, name);
    const raw = elemType === FLOAT ? new Uint8Array(Float32Array.from(values).buffer) : new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
    t.uint32((9 << 3) | 2).bytes(raw);
  });
}

function buildGraph(
  name: string,
  inputs: ValueDecl[],
  outputs: ValueDecl[],
  nodes: Node[],
  consts: Array<[string, number, number[], number[]]>,
  banks: Bank[],
) {
  const tensors: SyntheticPart['tensors'] = [];
  let offset = 0;
  for (const b of banks)
    for (let i = 0; i < b.count; i++) {
      const length = b.rows * b.cols * 4;
      tensors.push({ name: `${b.prefix}${i}`, offset, length });
      offset += length;
    }
  const w = Writer.create();
  vint(w, 1, 8);
  str(w, 2, 'lantern-bench');
  msg(w, 8, (o) => vint(o, 2, 13));
  msg(w, 7, (g) => {
    nodes.forEach((n, k) =>
      msg(g, 1, (nw) => {
        for (const i of n.inputs) str(nw, 1, i);
        for (const o of n.outputs) str(nw, 2, o);
        str(nw, 3, `${n.op}_${k}`);
        str(nw, 4, n.op);
        for (const a of n.attrs ?? [])
          msg(nw, 5, (aw) => {
            str(aw, 1, a.name);
            if ('i' in a) {
              vint(aw, 3, a.i);
              vint(aw, 20, ATTR_INT);
            } else {
              aw.uint32((4 << 3) | 2).bytes(new TextEncoder().encode(a.s));
              vint(aw, 20, ATTR_STRING);
            }
          });
      }),
    );
    str(g, 2, name);
    for (const [cname, type, dims, values] of consts) constant(g, cname, type, dims, values);
    let k = 0;
    for (const b of banks)
      for (let i = 0; i < b.count; i++, k++) {
        const t = tensors[k];
        msg(g, 5, (tw) => {
          vint(tw, 1, b.rows);
          vint(tw, 1, b.cols);
          vint(tw, 2, FLOAT);
          str(tw, 8, t.name);
          const entry = (key: string, value: string) => msg(tw, 13, (e) => (str(e, 1, key), str(e, 2, value)));
          entry('location', 'model.onnx_data');
          entry('offset', String(t.offset));
          entry('length', String(t.length));
          vint(tw, 14, 1);
        });
      }
    for (const i of inputs) valueInfo(g, 11, i);
    for (const o of outputs) valueInfo(g, 12, o);
  });
  return { graph: w.finish(), dataBytes: offset, tensors };
}

/**
 * Nodes that add Σ_i mean(sigmoid(mean(from)) · bank_i) × 1e-3 to `into`: every run reads
 * every weight (as a real model does), and the factor comes from an input, so nothing folds.
 */
function bankTerms(b: Bank, from: string, into: string, out: string): { nodes: Node[]; consts: Array<[string, number, number[], number[]]> } {
  const p = b.prefix;
  const nodes: Node[] = [
    { op: 'ReduceMean', inputs: [from], outputs: [`${p}m`], attrs: [{ name: 'keepdims', i: 0 }] },
    { op: 'Sigmoid', inputs: [`${p}m`], outputs: [`${p}s`] },
  ];
  let acc = into;
  for (let i = 0; i < b.count; i++) {
    nodes.push({ op: 'Mul', inputs: [`${p}${i}`, `${p}s`], outputs: [`${p}x${i}`] });
    nodes.push({ op: 'ReduceMean', inputs: [`${p}x${i}`], outputs: [`${p}r${i}`], attrs: [{ name: 'keepdims', i: 0 }] });
    nodes.push({ op: 'Mul', inputs: [`${p}r${i}`, `${p}eps`], outputs: [`${p}e${i}`] });
    const next = i === b.count - 1 ? out : `${p}acc${i}`;
    nodes.push({ op: 'Add', inputs: [acc, `${p}e${i}`], outputs: [next] });
    acc = next;
  }
  return { nodes, consts: [[`${p}eps`, FLOAT, [], [1e-3]]] };
}

/** Banks of ~`tensorBytes` tensors that add up to about `bytes`. */
function banksOf(prefix: string, bytes: number, rows: number, tensorBytes: number): Bank {
  const count = Math.max(1, Math.round(bytes / tensorBytes));
  const cols = Math.max(1, Math.round(bytes / count / rows / 4));
  return { prefix, count, rows, cols };
}

const DEFAULT_TENSOR_BYTES = 64 * 1024 * 1024;

/** input_ids [batch, 77] → last_hidden_state [batch, 77, hidden]: a token embedding table plus weight banks. */
export function syntheticTextEncoder(bytes: number, opts: { hidden?: number; vocab?: number; tensorBytes?: number } = {}): SyntheticPart {
  const hidden = opts.hidden ?? 768;
  const vocab = opts.vocab ?? 49408;
  const embeddingBytes = vocab * hidden * 4;
  const bank = banksOf('te_w', Math.max(0, bytes - embeddingBytes), 1024, opts.tensorBytes ?? DEFAULT_TENSOR_BYTES);
  // A size at or under the embedding table's: the table alone.
  const terms =
    bytes > embeddingBytes
      ? bankTerms(bank, 'emb', 'emb', 'last_hidden_state')
      : { nodes: [{ op: 'Identity', inputs: ['emb'], outputs: ['last_hidden_state'] }], consts: [] };
  return buildGraph(
    'text_encoder',
    [{ name: 'input_ids', elemType: INT64, dims: ['batch', 77] }],
    [{ name: 'last_hidden_state', elemType: FLOAT, dims: ['batch', 77, hidden] }],
    [{ op: 'Gather', inputs: ['te_embedding0', 'input_ids'], outputs: ['emb'], attrs: [{ name: 'axis', i: 0 }] }, ...terms.nodes],
    terms.consts,
    [{ prefix: 'te_embedding', count: 1, rows: vocab, cols: hidden }, ...(bytes > embeddingBytes ? [bank] : [])],
  );
}

/** sample, timestep, encoder_hidden_states → out_sample = 0.5·sample + ε(weights). */
export function syntheticUnet(bytes: number, opts: { hidden?: number; tensorBytes?: number } = {}): SyntheticPart {
  const bank = banksOf('unet_w', bytes, 1024, opts.tensorBytes ?? DEFAULT_TENSOR_BYTES);
  const terms = bankTerms(bank, 'mixed', 'half', 'out_sample');
  return buildGraph(
    'unet',
    [
      { name: 'sample', elemType: FLOAT, dims: ['batch', 4, 'height', 'width'] },
      { name: 'timestep', elemType: INT64, dims: ['steps'] },
      { name: 'encoder_hidden_states', elemType: FLOAT, dims: ['batch', 77, opts.hidden ?? 768] },
    ],
    [{ name: 'out_sample', elemType: FLOAT, dims: ['batch', 4, 'height', 'width'] }],
    [
      { op: 'Mul', inputs: ['sample', 'half_c'], outputs: ['half'] },
      { op: 'ReduceMean', inputs: ['encoder_hidden_states'], outputs: ['ehs_m'], attrs: [{ name: 'keepdims', i: 0 }] },
      { op: 'Cast', inputs: ['timestep'], outputs: ['t_f'], attrs: [{ name: 'to', i: FLOAT }] },
      { op: 'ReduceMean', inputs: ['t_f'], outputs: ['t_m'], attrs: [{ name: 'keepdims', i: 0 }] },
      { op: 'Mul', inputs: ['t_m', 't_c'], outputs: ['t_s'] },
      { op: 'Add', inputs: ['ehs_m', 't_s'], outputs: ['mixed'] },
      ...terms.nodes,
    ],
    [['half_c', FLOAT, [], [0.5]], ['t_c', FLOAT, [], [1e-3]], ...terms.consts],
    [bank],
  );
}

/** latent_sample [b, 4, h, w] → sample [b, 3, 8h, 8w] (nearest upsampling of 3 channels, plus ε(weights)). */
export function syntheticVaeDecoder(bytes: number, opts: { tensorBytes?: number } = {}): SyntheticPart {
  const bank = banksOf('vae_w', bytes, 1024, opts.tensorBytes ?? DEFAULT_TENSOR_BYTES);
  const terms = bankTerms(bank, 'latent_sample', 'rgb', 'sample');
  return buildGraph(
    'vae_decoder',
    [{ name: 'latent_sample', elemType: FLOAT, dims: ['batch', 4, 'height', 'width'] }],
    [{ name: 'sample', elemType: FLOAT, dims: ['batch', 3, 'out_height', 'out_width'] }],
    [
      { op: 'Resize', inputs: ['latent_sample', '', 'scales'], outputs: ['up'], attrs: [{ name: 'mode', s: 'nearest' }] },
      { op: 'Slice', inputs: ['up', 'starts', 'ends', 'axes'], outputs: ['rgb'] },
      ...terms.nodes,
    ],
    [['scales', FLOAT, [4], [1, 1, 8, 8]], ['starts', INT64, [1], [0]], ['ends', INT64, [1], [3]], ['axes', INT64, [1], [1]], ...terms.consts],
    [bank],
  );
}

/** Streams `bytes` of weights (a small repeated float32 pattern) to `write`, `chunkBytes` at a time. */
export async function writeWeights(bytes: number, write: (chunk: Uint8Array) => Promise<void> | void, chunkBytes = 8 * 1024 * 1024): Promise<void> {
  const block = new Float32Array(chunkBytes / 4);
  for (let i = 0; i < block.length; i++) block[i] = ((i % 1021) - 510) / 4096;
  const bytesView = new Uint8Array(block.buffer);
  for (let at = 0; at < bytes; at += chunkBytes) await write(bytesView.subarray(0, Math.min(chunkBytes, bytes - at)));
}
