/// <reference lib="webworker" />
/**
 * The bare page's worker: onnxruntime-web's plain wasm build (`onnxruntime-web/wasm`, the build
 * the studio runs wasm on, lib/onnx/web.ts) with the studio's session options, timing
 * `session.run` on the captured U-Net feeds. Nothing else: no pipeline, no seam, no React.
 */
import * as ort from 'onnxruntime-web/wasm';
import type { BareReply, BareRequest } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

let session: ort.InferenceSession | null = null;
let feeds: Record<string, ort.Tensor> = {};

type Index = Array<{ name: string; type: 'float32' | 'float16' | 'float64' | 'int64' | 'int32'; dims: number[]; offset: number; byteLength: number }>;

const ARRAYS = { float32: Float32Array, float16: Uint16Array, float64: Float64Array, int64: BigInt64Array, int32: Int32Array } as const;

async function handle(msg: BareRequest): Promise<BareReply> {
  if (msg.type === 'load') {
    ort.env.wasm.wasmPaths = '/ort/';
    ort.env.wasm.numThreads = msg.threads;
    const start = performance.now();
    session = await ort.InferenceSession.create(msg.model, {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
      ...(msg.externalData.length > 0 && { externalData: msg.externalData }),
    });
    const loadMs = performance.now() - start;
    const [index, bin] = await Promise.all([fetch(msg.feedsIndex).then((r) => r.json() as Promise<Index>), fetch(msg.feedsBin).then((r) => r.arrayBuffer())]);
    feeds = Object.fromEntries(
      index.map((f) => {
        const View = ARRAYS[f.type];
        return [f.name, new ort.Tensor(f.type, new View(bin, f.offset, f.byteLength / View.BYTES_PER_ELEMENT), f.dims)];
      }),
    );
    return { type: 'loaded', loadMs, threads: ort.env.wasm.numThreads ?? msg.threads, version: ort.env.versions.web ?? 'unknown' };
  }
  if (!session) throw new Error('run before load');
  const times: number[] = [];
  for (let i = 0; i < msg.n; i++) {
    const start = performance.now();
    const out = await session.run(feeds);
    // Read the outputs as the studio does (they are host tensors on wasm).
    for (const t of Object.values(out)) void t.data;
    times.push(performance.now() - start);
    for (const t of Object.values(out)) t.dispose();
  }
  return { type: 'ran', times };
}

// onnxruntime's pthreads start this same bundle (import.meta.url): only the page's worker answers the page.
if (!self.name.startsWith('em-pthread')) {
  self.addEventListener('message', (e: MessageEvent<BareRequest>) => {
    handle(e.data).then(
      (reply) => self.postMessage(reply),
      (err: unknown) => self.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies BareReply),
    );
  });
}
