/**
 * `npx tsx bench/opfs-load.ts`: opening a ≥ 1 GB model from the Origin Private File System in
 * Debian Chromium, as the studio's worker does: a synthetic U-Net (bench/synthetic-model.ts,
 * 64 MiB float32 initializers in one `model.onnx_data`) is written into OPFS by a worker, then
 * opened with onnxruntime-web (wasm EP) from the OPFS File handed over as external data:
 *   whole        one Blob (onnxruntime-web reads it with one arrayBuffer())
 *   split        the graph readdressed by splitExternalData, the File as ≤ 512 MiB slices (what readPart does)
 *   jspi-*       the same through onnxruntime-web's JSPI build, which mounts a Blob without reading it first
 *   *-webgpu     on the WebGPU EP instead of wasm (SwiftShader here)
 * Each variant runs in a fresh worker (a fresh wasm heap). Reported: time to open, the renderer
 * process's peak resident set during the open (VmHWM from /proc, reset before each variant), and
 * what the worker itself can see (performance.measureUserAgentSpecificMemory on this
 * cross-origin-isolated page, where Chromium offers it). Results: stdout and bench/opfs-load.json.
 *   npx tsx bench/opfs-load.ts [--gb 1.2] [--variants whole,split,jspi-whole,jspi-split] [--out bench/opfs-load.json]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { BLOB_CHUNK_BYTES } from '../lib/models/read-part';
import { splitExternalData } from '../lib/onnx/graph-edit';
import { syntheticUnet } from './synthetic-model';
import { CHROMIUM_FLAGS, CHROMIUM_PATH, children, renderers, statusBytes } from './processes';

const { values } = parseArgs({
  options: {
    gb: { type: 'string', default: '1.2' },
    variants: { type: 'string', default: 'whole,split,jspi-whole,jspi-split' },
    out: { type: 'string', default: 'bench/opfs-load.json' },
    'chunk-mb': { type: 'string', default: String(BLOB_CHUNK_BYTES / 1024 / 1024) },
  },
});
const MB = 1024 * 1024;
const mb = (b: number) => +(b / MB).toFixed(1);
const dataBytesWanted = Math.round(Number(values.gb) * 1024 * MB);
const variants = values.variants!.split(',');

const unet = syntheticUnet(dataBytesWanted);
const split = splitExternalData(unet.graph, 'unet/model.onnx', { maxChunkBytes: Number(values['chunk-mb']) * MB });
const meta = { dataBytes: unet.dataBytes, chunks: split.chunks.map((c) => ({ location: c.location, start: c.start, end: c.end })) };

const tiny = syntheticUnet(1024 * 1024 * 1.5, { tensorBytes: 64 * 1024 });
const tinyData = new Uint8Array(tiny.dataBytes).fill(0);
const runtimeFiles = new Set<string>();

// The page and its worker: plain JS, served as they are (no bundler in the way).
const PAGE = `<!doctype html><meta charset="utf-8"><title>opfs-load</title><script type="module">
window.runWorker = (msg) => new Promise((resolve, reject) => {
  const w = new Worker('/worker.mjs', { type: 'module' });
  w.onmessage = (e) => { w.terminate(); e.data.error ? reject(new Error(e.data.error)) : resolve(e.data); };
  w.onerror = (e) => { w.terminate(); reject(new Error(e.message)); };
  w.postMessage(msg);
});
window.ready = true;
</script>`;

const WORKER = String.raw`
const MB = 1024 * 1024;
async function dir() { return (await navigator.storage.getDirectory()).getDirectoryHandle('lantern-bench', { create: true }); }
function probe() {
  return {
    crossOriginIsolated: self.crossOriginIsolated === true,
    performanceMemory: typeof performance.memory !== 'undefined',
    measureUserAgentSpecificMemory: typeof performance.measureUserAgentSpecificMemory === 'function',
    jspi: typeof WebAssembly.Suspending === 'function' && typeof WebAssembly.promising === 'function',
  };
}
async function uaMemory() {
  if (typeof performance.measureUserAgentSpecificMemory !== 'function') return null;
  try { const m = await performance.measureUserAgentSpecificMemory(); return m.bytes; } catch (e) { return String(e); }
}
async function write({ dataBytes }) {
  const t0 = performance.now();
  const handle = await (await dir()).getFileHandle('model.onnx_data', { create: true });
  const access = await handle.createSyncAccessHandle();
  access.truncate(0);
  const chunk = new Float32Array(8 * MB / 4);
  for (let i = 0; i < chunk.length; i++) chunk[i] = ((i % 1021) - 510) / 4096;
  const bytes = new Uint8Array(chunk.buffer);
  for (let at = 0; at < dataBytes; at += bytes.length) {
    const part = bytes.subarray(0, Math.min(bytes.length, dataBytes - at));
    const n = access.write(part, { at });
    if (n !== part.length) throw new Error('OPFS write returned ' + n + ' of ' + part.length + ' bytes at ' + at + ' (quota?)');
  }
  access.flush();
  const size = access.getSize();
  access.close();
  return { writeMs: Math.round(performance.now() - t0), size, estimate: await navigator.storage.estimate() };
}
// Every Blob read the runtime makes: how many, the largest single ArrayBuffer, the total.
const reads = { count: 0, largestMB: 0, totalMB: 0 };
const arrayBuffer = Blob.prototype.arrayBuffer;
Blob.prototype.arrayBuffer = function () {
  if (this.size < MB) return arrayBuffer.call(this);
  reads.count++;
  reads.largestMB = Math.max(reads.largestMB, this.size / MB);
  reads.totalMB += this.size / MB;
  return arrayBuffer.call(this);
};
async function open({ variant, meta }) {
  const jspi = variant.startsWith('jspi');
  const ort = await import(jspi ? '/ort/ort.jspi.min.mjs' : '/ort/ort.webgpu.min.mjs');
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1;
  const bytes = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());
  // A tiny session first, so that the wasm runtime's own start-up is not counted as opening the model.
  const i0 = performance.now();
  const tiny = await ort.InferenceSession.create(await bytes('/tiny.onnx'), { executionProviders: ['wasm'], externalData: [{ path: 'model.onnx_data', data: await bytes('/tiny.onnx_data') }] });
  await tiny.release();
  const initMs = performance.now() - i0;
  const graph = await bytes(variant.includes('split') ? '/graph-split.onnx' : '/graph.onnx');
  const file = await (await (await dir()).getFileHandle('model.onnx_data')).getFile();
  const externalData = variant.includes('split')
    ? meta.chunks.map((c) => ({ path: c.location, data: file.slice(c.start, c.end) }))
    : [{ path: 'model.onnx_data', data: file }];
  const before = await uaMemory();
  const t0 = performance.now();
  const ep = variant.endsWith('-webgpu') ? 'webgpu' : 'wasm';
  const session = await ort.InferenceSession.create(graph, { executionProviders: [ep], externalData });
  const openMs = performance.now() - t0;
  const afterOpen = await uaMemory();
  const t1 = performance.now();
  const f = (dims, fill) => new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b)).fill(fill), dims);
  const out = await session.run({
    sample: f([1, 4, 8, 8], 0.5),
    timestep: new ort.Tensor('int64', BigInt64Array.from([10n]), [1]),
    encoder_hidden_states: f([1, 77, 768], 0.1),
  });
  const runMs = performance.now() - t1;
  const y = out.out_sample.data;
  await session.release();
  return {
    variant, initMs: Math.round(initMs), openMs: Math.round(openMs), runMs: Math.round(runMs), externalFiles: externalData.length,
    largestPieceMB: Math.max(...externalData.map((e) => e.data.size)) / MB,
    output: [y[0], y[y.length - 1]], blobReads: reads, uaMemoryBytes: { before, afterOpen },
  };
}
self.onmessage = async (e) => {
  try {
    const r = e.data.type === 'write' ? await write(e.data) : e.data.type === 'open' ? await open(e.data) : probe();
    self.postMessage({ ...r, probe: probe() });
  } catch (err) {
    self.postMessage({ error: String(err && err.stack || err) });
  }
};
`;

const DIST = 'node_modules/onnxruntime-web/dist';
const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  // Cross-origin isolated, as the studio is (wasm threads; measureUserAgentSpecificMemory).
  const headers = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
  const send = (type: string, body: string | Uint8Array) => res.writeHead(200, { ...headers, 'Content-Type': type }).end(body);
  try {
    if (url.pathname === '/') return send('text/html', PAGE);
    if (url.pathname === '/worker.mjs') return send('text/javascript', WORKER);
    if (url.pathname === '/graph.onnx') return send('application/octet-stream', unet.graph);
    if (url.pathname === '/graph-split.onnx') return send('application/octet-stream', split.model);
    if (url.pathname === '/tiny.onnx') return send('application/octet-stream', tiny.graph);
    if (url.pathname === '/tiny.onnx_data') return send('application/octet-stream', tinyData);
    if (url.pathname.startsWith('/ort/') && /^[\w.-]+$/.test(url.pathname.slice(5))) {
      const name = url.pathname.slice(5);
      runtimeFiles.add(name);
      return send(name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript', await readFile(join(DIST, name)));
    }
    res.writeHead(404, headers).end();
  } catch {
    res.writeHead(404, headers).end();
  }
});

const TAG = `--lantern-bench-opfs=${process.pid}`;

async function main() {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A persistent profile under /tmp: a fresh context's storage is in memory with a small quota (a 2 GB write fails there).
  const profile = mkdtempSync('/tmp/lantern-opfs-bench-');
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, args: [TAG, ...CHROMIUM_FLAGS] });
  // The browser's main process carries our tag (Chromium ignores unknown switches; its children do not inherit it).
  const browserPid = Number(execFileSync('pgrep', ['-o', '-f', '--', TAG], { encoding: 'utf8' }).trim());
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => m.type() === 'error' && !m.text().includes('404') && console.error('[page]', m.text()));
  await page.goto(origin);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  type Run = (msg: unknown) => Promise<Record<string, unknown>>;
  const run = (msg: unknown) => page.evaluate((m) => (window as unknown as { runWorker: Run }).runWorker(m), msg as never);

  const written = await run({ type: 'write', dataBytes: meta.dataBytes });
  console.log(`wrote ${mb(meta.dataBytes)} MB into OPFS in ${String(written.writeMs)} ms`, written.probe);
  const rss = () => Math.max(...renderers(browserPid).map((p) => statusBytes(p, 'VmRSS:')));
  // A terminated worker's wasm heap is returned to the OS a little later: wait for the renderer to come back down.
  const idle = rss();
  const settle = async () => {
    for (let waited = 0; waited < 20_000 && rss() > idle + 64 * MB; waited += 250) await new Promise((r) => setTimeout(r, 250));
  };
  const results = [];
  for (const variant of variants) {
    await settle();
    const pids = renderers(browserPid);
    // The GPU process holds WebGPU buffers (SwiftShader: in its own memory).
    const gpu = children(browserPid, 'gpu-process');
    for (const pid of [...pids, ...gpu]) writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const baseline = Math.max(...pids.map((p) => statusBytes(p, 'VmRSS:')));
    const gpuBaseline = Math.max(0, ...gpu.map((p) => statusBytes(p, 'VmRSS:')));
    let sampledPeak = 0;
    const timer = setInterval(() => (sampledPeak = Math.max(sampledPeak, ...renderers(browserPid).map((p) => statusBytes(p, 'VmRSS:')))), 100);
    let r: Record<string, unknown>;
    try {
      r = await run({ type: 'open', variant, meta });
    } catch (err) {
      r = { variant, error: String((err as Error).message).split('\n')[0] };
    } finally {
      clearInterval(timer);
    }
    const peak = Math.max(...renderers(browserPid).map((p) => statusBytes(p, 'VmHWM:')));
    const row = {
      ...r,
      rendererBaselineMB: mb(baseline),
      rendererPeakRssMB: mb(peak),
      rendererPeakOverBaselineMB: mb(peak - baseline),
      sampledPeakRssMB: mb(sampledPeak),
      gpuProcessPeakOverBaselineMB: mb(Math.max(0, ...gpu.map((p) => statusBytes(p, 'VmHWM:'))) - gpuBaseline),
    };
    console.log(JSON.stringify(row));
    results.push(row);
  }
  await context.close();
  rmSync(profile, { recursive: true, force: true }); // the OPFS copy of the model
  server.close();
  const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const report = {
    date: new Date().toISOString(),
    machine: {
      loadavg,
      chromium: execFileSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8' }).trim(),
      runtimeFiles: [...runtimeFiles].sort(),
      onnxruntimeWeb: JSON.parse(readFileSync('node_modules/onnxruntime-web/package.json', 'utf8')).version,
    },
    model: {
      dataMB: mb(meta.dataBytes),
      tensors: unet.tensors.length,
      tensorMB: mb(unet.tensors[0].length),
      chunks: meta.chunks.length,
      chunkLimitMB: Number(values['chunk-mb']),
    },
    write: written,
    results,
  };
  writeFileSync(values.out!, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`→ ${values.out}`);
}

await main();
