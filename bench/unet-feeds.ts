/**
 * The U-Net's feeds exactly as the pipeline builds them (the second step of a CFG run, zero
 * ControlNet residuals included where the U-Net takes them), cast to the dtypes the graph
 * declares: what onnxruntime-node and the bare onnxruntime-web page run, so all three time one graph on one input.
 */
import { dirname, join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { generate } from '../lib/diffusion/pipeline';
import { loadPipeline } from '../lib/diffusion/load-pipeline';
import type { GenerateParams } from '../lib/diffusion/params';
import { loadModelFolder } from '../lib/models/load-folder';
import { createNodeSessionFactory } from '../lib/onnx/node';
import { readGraphSummary } from '../lib/onnx/graph-edit';
import type { ElementType, Feed, IoInfo, ModelSession, SessionFactory } from '../lib/onnx/types';
import { float32ToFloat16 } from '../lib/tensor/float16';
import { fsSource } from '../cli/fs-source';

export type RawData = Float32Array | Uint16Array | Float64Array | BigInt64Array | Int32Array;
export interface RawFeed {
  name: string;
  type: ElementType;
  dims: number[];
  data: RawData;
}

export interface UnetGraph {
  /** The graph's path in the model folder, e.g. "unet/model.onnx". */
  label: string;
  /** Its file on this machine. */
  path: string;
  /** External-data locations the graph names, relative to its folder. */
  externalData: string[];
}

/** As lib/onnx/wrap-session.ts casts a feed for the runtime (integers truncate like numpy's astype). */
function raw(info: IoInfo, feed: Feed): RawFeed {
  // Node runs the host loop: every feed is host data.
  if (feed.kind !== 'float' && feed.kind !== 'int') throw new Error(`U-Net input "${info.name}" was fed a device tensor`);
  const dims = [...(feed.kind === 'float' ? feed.tensor.dims : feed.dims)];
  const values = feed.kind === 'float' ? feed.tensor.data : Float32Array.from(feed.values);
  const base = { name: info.name, dims };
  switch (info.type) {
    case 'float32':
      return { ...base, type: 'float32', data: Float32Array.from(values) };
    case 'float16':
      return { ...base, type: 'float16', data: float32ToFloat16(Float32Array.from(values)) };
    case 'float64':
      return { ...base, type: 'float64', data: Float64Array.from(values) };
    case 'int64':
      return { ...base, type: 'int64', data: BigInt64Array.from(Array.from(values, (x) => BigInt(Math.trunc(x)))) };
    case 'int32':
      return { ...base, type: 'int32', data: Int32Array.from(values, (x) => Math.trunc(x)) };
    default:
      throw new Error(`U-Net input "${info.name}" has a type the bench does not feed`);
  }
}

/** Runs two steps of `params` (CFG) in Node and keeps the U-Net's feeds of the second. */
export async function captureUnetFeeds(modelDir: string, params: GenerateParams): Promise<{ graph: UnetGraph; feeds: RawFeed[] }> {
  const node = createNodeSessionFactory();
  let captured: { session: ModelSession; feeds: Record<string, Feed> } | null = null;
  let calls = 0;
  const sessions: ModelSession[] = [];
  const factory: SessionFactory = {
    ...node,
    async create(files) {
      const session = await node.create(files);
      sessions.push(session);
      if (!files.label.startsWith('unet/')) return session;
      return {
        ...session,
        run(feeds, outputNames) {
          if (++calls === 2) captured = { session, feeds };
          return session.run(feeds, outputNames);
        },
      };
    },
  };
  const models = await loadPipeline(await loadModelFolder(fsSource(modelDir)), factory);
  try {
    await generate(models, { ...params, steps: 2 });
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
  const got = captured as { session: ModelSession; feeds: Record<string, Feed> } | null;
  if (!got) throw new Error(`${modelDir}: the U-Net ran fewer than 2 times in a 2-step run`);
  const feeds = got.session.inputs.map((info) => raw(info, got.feeds[info.name]));
  const label = got.session.label;
  const path = join(modelDir, label);
  const summary = readGraphSummary(new Uint8Array(await readFile(path)), label);
  const externalData = [...new Set(summary.externalData.map((r) => r.location))];
  return { graph: { label, path, externalData }, feeds };
}

/** Feeds as one binary and its index (what the bare page fetches). */
export function serializeFeeds(feeds: readonly RawFeed[]): { index: Array<Omit<RawFeed, 'data'> & { offset: number; byteLength: number }>; bin: Buffer } {
  let offset = 0;
  const index = feeds.map((f) => {
    // Typed arrays need their element alignment; 8 covers every type.
    offset = Math.ceil(offset / 8) * 8;
    const entry = { name: f.name, type: f.type, dims: f.dims, offset, byteLength: f.data.byteLength };
    offset += f.data.byteLength;
    return entry;
  });
  const bin = Buffer.alloc(offset);
  feeds.forEach((f, i) => Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength).copy(bin, index[i].offset));
  return { index, bin };
}

export const graphDir = (graph: UnetGraph) => dirname(graph.label);
