/**
 * The page bench/graph-capture.ts drives (`window.graphCapture.run(plan)`): one U-Net graph on
 * onnxruntime-web's WebGPU EP (`onnxruntime-web/webgpu`, the build the studio's worker loads),
 * its sessions (protocol.ts: plain, static shapes, capture in three forms) side by side, each with
 * its own GPU buffers as feeds, refilled with queue.writeBuffer before every step, as graph
 * capture requires (a replay reads the buffers recorded at capture, nothing else).
 */
import * as ort from 'onnxruntime-web/webgpu';
import { VARIANTS, type CheckRow, type GpuCounts, type ModelPlan, type ModelResult, type RunSample, type VariantName, type VariantResult } from './protocol';

// The slice of WebGPU this page uses (the project has no WebGPU type package).
interface GpuBuffer {
  readonly size: number;
  readonly mapState: 'unmapped' | 'pending' | 'mapped';
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}
interface GpuDevice {
  readonly queue: {
    writeBuffer(buffer: GpuBuffer, offset: number, data: ArrayBufferLike, dataOffset: number, size: number): void;
    submit(buffers: unknown[]): void;
    onSubmittedWorkDone(): Promise<void>;
  };
  readonly adapterInfo?: { vendor?: string; architecture?: string; description?: string };
  createBuffer(desc: { size: number; usage: number }): GpuBuffer;
  createCommandEncoder(): { copyBufferToBuffer(a: GpuBuffer, ao: number, b: GpuBuffer, bo: number, size: number): void; finish(): unknown };
}
const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, STORAGE: 0x80 };
const MAP_READ = 0x1;

declare global {
  interface Window {
    graphCapture: { run(plan: ModelPlan): Promise<ModelResult> };
    /** Node's binding: tags the console lines that follow (ORT logs to the console). */
    __phase?: (phase: string) => Promise<void>;
  }
}

// Count the WebGPU calls ORT makes per run: a replay re-encodes recorded dispatches but builds no bind groups and writes no uniforms.
const counts: GpuCounts = { bindGroups: 0, buffers: 0, writes: 0, dispatches: 0, passes: 0, submits: 0, maps: 0 };
function countCalls(ctor: string, method: string, key: keyof GpuCounts): void {
  const proto = (globalThis as unknown as Record<string, { prototype: Record<string, unknown> } | undefined>)[ctor]?.prototype;
  const original = proto?.[method];
  if (!proto || typeof original !== 'function') return;
  proto[method] = function (this: unknown, ...args: unknown[]) {
    counts[key]++;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
}
countCalls('GPUDevice', 'createBindGroup', 'bindGroups');
countCalls('GPUDevice', 'createBuffer', 'buffers');
countCalls('GPUQueue', 'writeBuffer', 'writes');
countCalls('GPUComputePassEncoder', 'dispatchWorkgroups', 'dispatches');
countCalls('GPUComputePassEncoder', 'dispatchWorkgroupsIndirect', 'dispatches');
countCalls('GPUCommandEncoder', 'beginComputePass', 'passes');
countCalls('GPUQueue', 'submit', 'submits');
countCalls('GPUBuffer', 'mapAsync', 'maps');
const snapshot = (): GpuCounts => ({ ...counts });
const since = (from: GpuCounts): GpuCounts =>
  Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v - from[k as keyof GpuCounts]])) as unknown as GpuCounts;

/** Seeded normal draws (mulberry32 + Box–Muller): every session gets the same values. */
function randn(seed: number, n: number, scale: number): Float32Array {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return out;
}

interface Input {
  name: string;
  type: 'float32' | 'int64' | 'int32';
  dims: number[];
  bytes: number;
}
type Values = Record<string, ArrayBufferView>;

/** A step's inputs: the sample and the timestep change per step, the rest stays (the text embedding, zero-ish residuals). */
function valuesFor(inputs: readonly Input[], sampleSeed: number, timestep: number): Values {
  const v: Values = {};
  inputs.forEach((input, i) => {
    const n = input.dims.reduce((a, b) => a * b, 1);
    if (input.name === 'timestep') {
      v[input.name] =
        input.type === 'int64'
          ? BigInt64Array.from({ length: n }, () => BigInt(timestep))
          : input.type === 'int32'
            ? Int32Array.from({ length: n }, () => timestep)
            : Float32Array.from({ length: n }, () => timestep);
    } else if (input.name === 'sample') v[input.name] = randn(sampleSeed, n, 1);
    else v[input.name] = randn(1000 + i, n, input.name === 'encoder_hidden_states' ? 0.5 : 0.1);
  });
  return v;
}

interface Live {
  name: VariantName;
  session: ort.InferenceSession;
  buffers: Record<string, GpuBuffer>;
  /** Where out_sample lands: our buffer (passed as fetches), or the one ORT returned from the first run (capture). */
  out: GpuBuffer | null;
  feeds: Record<string, ort.Tensor>;
  fetches: Record<string, ort.Tensor> | null;
  previous: Float32Array | null;
  result: VariantResult;
}

const align4 = (n: number) => Math.ceil(n / 4) * 4;
// ORT's WebGPU EP sizes its own buffers in 16-byte steps and copies/binds whole 16-byte blocks, so a bound 8-byte int64 timestep buffer fails validation.
const align16 = (n: number) => Math.max(16, Math.ceil(n / 16) * 16);
const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function download(device: GpuDevice, buffer: GpuBuffer, bytes: number): Promise<Float32Array> {
  const staging = device.createBuffer({ size: align4(bytes), usage: USAGE.MAP_READ | USAGE.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buffer, 0, staging, 0, align4(bytes));
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(MAP_READ);
  const data = new Float32Array(staging.getMappedRange().slice(0, bytes));
  staging.unmap();
  staging.destroy();
  return data;
}

const MIN_ROUNDS = 3;

async function run(plan: ModelPlan): Promise<ModelResult> {
  const phase = (p: string) => window.__phase?.(`${plan.label} ${p}`);
  ort.env.wasm.wasmPaths = '/ort/';
  // One wasm thread: the two cores also run SwiftShader's own workers, and the WebGPU EP dispatches from one thread anyway.
  ort.env.wasm.numThreads = 1;
  const bytes = new Uint8Array(await (await fetch(plan.url)).arrayBuffer());
  // The object form of the EP: onnxruntime-web passes enableGraphCapture on to the WebGPU EP only from an EP object.
  const base = { executionProviders: [{ name: 'webgpu' }], graphOptimizationLevel: 'all', preferredOutputLocation: 'gpu-buffer', logSeverityLevel: 2 } as const;
  const options: Record<VariantName, ort.InferenceSession.SessionOptions> = {
    plain: { ...base },
    static: { ...base, freeDimensionOverrides: plan.dims },
    capture: { ...base, freeDimensionOverrides: plan.dims, enableGraphCapture: true },
    // Fetches on a capture session: onnxruntime-web 1.31 counts them as pre-allocated only in the first run (when it binds);
    // later runs look the output up by that run's buffer handle, released when it returned.
    captureFetches: { ...base, freeDimensionOverrides: plan.dims, enableGraphCapture: true },
    // The string form: the JS side still binds once and keeps the binding (capture semantics), the EP never captures.
    stringEp: { ...base, executionProviders: ['webgpu'], freeDimensionOverrides: plan.dims, enableGraphCapture: true },
  };
  const names = VARIANTS.filter((n) => plan.variants.includes(n));
  const results: VariantResult[] = names.map((name) => ({
    name,
    options: options[name] as Record<string, unknown>,
    createMs: null,
    error: null,
    first: null,
    second: null,
    runs: [],
  }));

  // A warm-up session (plain options) loads the runtime, makes the device and compiles the shared pipelines, so each
  // variant's first run shows only its own extra cost. It stays open: ORT drops the device and its caches with the last session.
  await phase('create warm-up');
  let t0 = performance.now();
  const warmSession = await ort.InferenceSession.create(bytes, options.plain);
  const warmCreateMs = performance.now() - t0;
  // ORT's default WebGPU context: one device while any WebGPU session is open (every buffer below lives on it).
  const device = (ort.env.webgpu as unknown as { device: GpuDevice }).device;
  const info = device.adapterInfo;
  const adapter = info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' / ') : 'unknown';

  const dimsOf = (shape: ReadonlyArray<number | string>) =>
    shape.map((d) => {
      const v = typeof d === 'number' ? d : plan.dims[d];
      if (v === undefined || v < 0) throw new Error(`${plan.label}: no value for dimension ${String(d)}`);
      return v;
    });
  const meta = warmSession.inputMetadata.filter((m): m is ort.InferenceSession.TensorValueMetadata => m.isTensor);
  const inputs: Input[] = meta.map((m) => {
    const type = m.type as Input['type'];
    if (type !== 'float32' && type !== 'int64' && type !== 'int32') throw new Error(`${plan.label}: input ${m.name} is ${m.type}`);
    const dims = dimsOf(m.shape);
    return { name: m.name, type, dims, bytes: dims.reduce((a, b) => a * b, 1) * (type === 'int64' ? 8 : 4) };
  });
  const outMeta = warmSession.outputMetadata.find((m): m is ort.InferenceSession.TensorValueMetadata => m.isTensor && m.name === 'out_sample');
  if (!outMeta) throw new Error(`${plan.label}: no out_sample output`);
  const outDims = dimsOf(outMeta.shape);
  const outBytes = outDims.reduce((a, b) => a * b, 1) * 4;

  /** Its own buffers for a session, wrapped once as the feeds and fetches of every run. */
  function bind(name: VariantName, session: ort.InferenceSession, result: VariantResult): Live {
    const usage = USAGE.STORAGE | USAGE.COPY_DST | USAGE.COPY_SRC;
    const buffers: Record<string, GpuBuffer> = {};
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of inputs) {
      buffers[input.name] = device.createBuffer({ size: align16(input.bytes), usage });
      feeds[input.name] = ort.Tensor.fromGpuBuffer(buffers[input.name] as unknown as ort.Tensor.GpuBufferType, { dataType: input.type, dims: input.dims });
    }
    // 'capture' passes no fetches: ORT allocates out_sample in the capturing run and the replays keep writing it.
    if (name === 'capture') return { name, session, buffers, out: null, feeds, fetches: null, previous: null, result };
    const out = device.createBuffer({ size: align16(outBytes), usage });
    const fetches = { out_sample: ort.Tensor.fromGpuBuffer(out as unknown as ort.Tensor.GpuBufferType, { dataType: 'float32', dims: outDims }) };
    return { name, session, buffers, out, feeds, fetches, previous: null, result };
  }

  // Every step writes into the same buffers: a captured graph replays against exactly those.
  async function step(v: Live, values: Values): Promise<RunSample> {
    for (const input of inputs) {
      const data = values[input.name];
      device.queue.writeBuffer(v.buffers[input.name], 0, data.buffer, data.byteOffset, data.byteLength);
    }
    await device.queue.onSubmittedWorkDone();
    const from = snapshot();
    const start = performance.now();
    const got = v.fetches ? await v.session.run(v.feeds, v.fetches) : await v.session.run(v.feeds);
    const ran = performance.now();
    await device.queue.onSubmittedWorkDone();
    const done = performance.now();
    const returned = (got.out_sample as unknown as { gpuBuffer?: GpuBuffer } | undefined)?.gpuBuffer;
    let output: string;
    if (v.fetches) {
      // A capture session's later runs look the output up by its first run's (since released) buffer handle.
      const input = inputs.find((i) => v.buffers[i.name] === returned)?.name;
      output = returned === v.out ? 'fetch' : input ? `input ${input}` : returned ? 'another buffer' : 'none';
    } else {
      output = !v.out ? 'ORT buffer (new)' : returned === v.out ? 'ORT buffer (same)' : 'ORT buffer (changed)';
      v.out = returned ?? null;
    }
    return { runMs: ran - start, doneMs: done - start, gpu: since(from), output };
  }

  await phase('warm-up run');
  const warm = bind('plain', warmSession, { ...results[0], runs: [] });
  const warmFirst = await step(warm, valuesFor(inputs, 1, 999));

  // Node placement, static shapes with and without capture: verbose sessions, made and released while the warm-up session holds the device.
  for (const name of ['static', 'capture'] as const) {
    await phase(`placement ${name}`);
    try {
      const verbose = await ort.InferenceSession.create(bytes, { ...options[name], logSeverityLevel: 0, logVerbosityLevel: 0 });
      await verbose.release();
    } catch (e) {
      console.warn(`placement probe (${name}) failed: ${message(e)}`);
    }
  }

  const live: Live[] = [];
  for (const [i, name] of names.entries()) {
    await phase(`create ${name}`);
    t0 = performance.now();
    try {
      const session = await ort.InferenceSession.create(bytes, options[name]);
      results[i].createMs = performance.now() - t0;
      live.push(bind(name, session, results[i]));
    } catch (e) {
      results[i].error = `create: ${message(e)}`;
    }
  }
  const alive = () => live.filter((v) => v.result.error === null);

  const checks: CheckRow[] = [];
  async function check(name: string, values: Values): Promise<void> {
    await phase(`check ${name}`);
    const outs: Partial<Record<VariantName, Float32Array>> = {};
    for (const v of alive()) {
      try {
        const sample = await step(v, values);
        if (!v.result.first) v.result.first = sample;
        else if (!v.result.second) v.result.second = sample;
        if (!v.out) throw new Error('no out_sample buffer');
        outs[v.name] = await download(device, v.out, outBytes);
      } catch (e) {
        v.result.error = `run (${name}): ${message(e)}`;
      }
    }
    const ref = outs.plain;
    const row: CheckRow = { name, plainMaxAbs: ref ? ref.reduce((m, x) => Math.max(m, Math.abs(x)), 0) : NaN, vsPlain: {}, vsPrevious: {} };
    for (const v of live) {
      const o = outs[v.name];
      if (!o) continue;
      if (ref) row.vsPlain[v.name] = maxAbsDiff(o, ref);
      if (v.previous) row.vsPrevious[v.name] = maxAbsDiff(o, v.previous);
      v.previous = o;
    }
    checks.push(row);
  }

  // The capture session's first run records; every later one replays. New values go into the bound buffers each time.
  await check('t=999, sample A (1st run: capture)', valuesFor(inputs, 1, 999));
  await check('t=500, sample B (1st replay)', valuesFor(inputs, 2, 500));
  await check('t=20, sample B (timestep only)', valuesFor(inputs, 2, 20));

  await phase('timed rounds');
  const timedFrom = performance.now();
  let rounds = 0;
  for (; rounds < plan.rounds && (rounds < MIN_ROUNDS || performance.now() - timedFrom < plan.budgetMs); rounds++) {
    const values = valuesFor(inputs, 100 + rounds, 980 - 20 * (rounds % 49));
    const order = alive();
    const k = rounds % Math.max(1, order.length);
    // Rotated each round so no variant always runs right after another's GPU work.
    for (const v of [...order.slice(k), ...order.slice(0, k)]) {
      try {
        v.result.runs.push(await step(v, values));
      } catch (e) {
        v.result.error = `run (round ${rounds}): ${message(e)}`;
      }
    }
  }
  await check(`t=999, sample A again (after ${rounds} rounds)`, valuesFor(inputs, 1, 999));

  await phase('release');
  for (const v of [...live, warm]) {
    await v.session.release();
    for (const b of [...Object.values(v.buffers), ...(v.fetches && v.out ? [v.out] : [])]) b.destroy();
  }
  return {
    label: plan.label,
    inputs: meta.map((m, i) => ({ name: m.name, type: m.type, shape: [...m.shape], dims: inputs[i].dims })),
    warmup: { createMs: warmCreateMs, firstRun: warmFirst },
    rounds,
    variants: results,
    checks,
    adapter,
  };
}

window.graphCapture = { run };
document.getElementById('status')!.textContent = 'ready';
