#!/usr/bin/env node
// Check the replica folders (models/fixtures/replicas/*) with onnxruntime-node.
//
//   node training/replicas/check_replicas.mjs                          # I/O contract + reference replays
//   node training/replicas/check_replicas.mjs --probes DIR/manifest.json   (make_replicas.py does this)
//
// 1. Every graph loads (external data resolved next to it), and its input/output names, types and
//    dims are printed and must equal EXPECTED below (the contract the TypeScript loader is written
//    against).
// 2. --probes: the torch probe outputs written by make_replicas.py are compared with onnxruntime's
//    (max abs diff printed; fp16 graphs against their float32-compute torch twin, tolerance relative
//    to the output's magnitude; in-graph-sampling VAE encoders: (latent_sample − mean)/std must look
//    like N(0, 1)).
// 3. Every reference in tests/fixtures/replicas/*.json is replayed through the ONNX files (token ids,
//    noise draws and timesteps from the JSON; schedulers re-implemented here) and the final latents
//    and image are compared with the torch result.
// 4. The bad-input fixtures are what they claim (onnxruntime must fail on each).
// Exit code 1 on any failure.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROOT = join(REPO, 'models', 'fixtures', 'replicas');
const REFS = join(REPO, 'tests', 'fixtures', 'replicas');

let failures = 0;
function check(ok, message) {
  if (!ok) {
    failures += 1;
    console.log(`  FAIL ${message}`);
  }
  return ok;
}

// --- float16 ------------------------------------------------------------------------------
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** float32 → float16 bits, round to nearest even (as numpy's astype(float16)). */
function toHalf(v) {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half += 1;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half += 1;
  return sign | half;
}
function fromHalf(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
/** A tensor's values as a Float64Array (float16 decoded). */
function values(t) {
  if (t.type === 'float16') {
    const d = t.data;
    if (d instanceof Uint16Array) return Float64Array.from(d, fromHalf);
    return Float64Array.from(d);
  }
  if (t.type === 'bool') return Float64Array.from(t.data, (v) => (v ? 1 : 0));
  return Float64Array.from(t.data, Number);
}
/** A tensor of `type` from plain numbers. */
function tensorOf(type, data, dims) {
  if (type === 'float16') return new ort.Tensor('float16', Uint16Array.from(data, toHalf), dims);
  if (type === 'float32') return new ort.Tensor('float32', Float32Array.from(data), dims);
  if (type === 'float64') return new ort.Tensor('float64', Float64Array.from(data), dims);
  if (type === 'int32') return new ort.Tensor('int32', Int32Array.from(data), dims);
  if (type === 'int64') return new ort.Tensor('int64', BigInt64Array.from(data, (v) => BigInt(Math.round(v))), dims);
  throw new Error(`tensorOf: ${type}`);
}

function maxAbs(a) {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}
function maxAbsDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// --- 1. I/O contract ------------------------------------------------------------------------
const F = 'float32';
const H = 'float16';
const EXPECTED = {
  'optimum-sd-turbo': {
    'text_encoder/model.onnx': {
      inputs: [['input_ids', 'int32', ['batch_size', 'sequence_length']]],
      outputs: [['last_hidden_state', F, ['batch_size', 77, 32]], ['pooler_output', F, ['batch_size', 32]]],
    },
    'unet/model.onnx': {
      inputs: [['sample', F, ['batch_size', 4, 'height', 'width']], ['timestep', 'int64', ['steps']], ['encoder_hidden_states', F, ['batch_size', 'sequence_length', 32]]],
      outputs: [['out_sample', F, ['batch_size', 4, 'height', 'width']]],
    },
    'vae_encoder/model.onnx': {
      inputs: [['sample', F, ['batch_size', 3, 'height', 'width']]],
      outputs: [['latent_parameters', F, ['batch_size', 8, 'height_latent', 'width_latent']]],
    },
    'vae_decoder/model.onnx': {
      inputs: [['latent_sample', F, ['batch_size', 4, 'height_latent', 'width_latent']]],
      outputs: [['sample', F, ['batch_size', 3, 'height', 'width']]],
    },
  },
  'optimum-lcm-dreamshaper': {
    'text_encoder/model.onnx': {
      inputs: [['input_ids', 'int32', ['batch_size', 'sequence_length']]],
      outputs: [['last_hidden_state', F, ['batch_size', 77, 32]], ['pooler_output', F, ['batch_size', 32]]],
    },
    'unet/model.onnx': {
      inputs: [['sample', F, ['batch_size', 4, 'height', 'width']], ['timestep', 'int64', ['steps']], ['encoder_hidden_states', F, ['batch_size', 'sequence_length', 32]], ['timestep_cond', F, ['batch_size', 32]]],
      outputs: [['out_sample', F, ['batch_size', 4, 'height', 'width']]],
    },
    'vae_encoder/model.onnx': {
      inputs: [['sample', F, ['batch_size', 3, 'height', 'width']]],
      outputs: [['latent_sample', F, ['batch_size', '*', 'height_latent', 'width_latent']]],
    },
    'vae_decoder/model.onnx': {
      inputs: [['latent_sample', F, ['batch_size', 4, 'height_latent', 'width_latent']]],
      outputs: [['sample', F, ['batch_size', 3, 'height', 'width']]],
    },
  },
  'diffusers-script-sd15': {
    'text_encoder/model.onnx': {
      inputs: [['input_ids', 'int32', ['batch', 'sequence']]],
      outputs: [['last_hidden_state', F, ['*', 77, 32]], ['pooler_output', F, ['*', 32]]],
    },
    'unet/model.onnx': {
      inputs: [['sample', F, ['batch', 'channels', 'height', 'width']], ['timestep', F, ['batch']], ['encoder_hidden_states', F, ['batch', 'sequence', 32]]],
      outputs: [['out_sample', F, ['*', 4, '*', '*']]],
    },
    'vae_encoder/model.onnx': {
      inputs: [['sample', F, ['batch', 'channels', 'height', 'width']]],
      outputs: [['latent_sample', F, ['*', '*', '*', '*']]],
    },
    'vae_decoder/model.onnx': {
      inputs: [['latent_sample', F, ['batch', 'channels', 'height', 'width']]],
      outputs: [['sample', F, ['*', 3, '*', '*']]],
    },
    'safety_checker/model.onnx': {
      inputs: [['clip_input', F, ['batch', 'channels', 'height', 'width']], ['images', F, ['batch', 'height', 'width', 'channels']]],
      outputs: [['out_images', F, ['*', '*', '*', '*']], ['has_nsfw_concepts', 'bool', ['*']]],
    },
  },
  'webnn-sd-turbo': {
    'text_encoder/model_layernorm.onnx': {
      inputs: [['input_ids', 'int32', [1, 77]]],
      outputs: [['last_hidden_state', H, [1, 77, 32]], ['pooler_output', H, [1, 32]]],
    },
    'unet/model_layernorm.onnx': {
      inputs: [['sample', H, [1, 4, 8, 8]], ['timestep', H, [1]], ['encoder_hidden_states', H, [1, 77, 32]]],
      outputs: [['out_sample', H, [1, 4, 8, 8]]],
    },
    'vae_decoder/model.onnx': {
      inputs: [['latent_sample', F, ['batch', 'channels', 'height', 'width']]],
      outputs: [['sample', F, ['*', 3, '*', '*']]],
    },
  },
  'tensorstack-sd15-controlnet': {
    'text_encoder/model.onnx': {
      inputs: [['input_ids', 'int32', ['batch', 'sequence']]],
      outputs: [['last_hidden_state', F, ['*', 77, 32]], ['pooler_output', F, ['*', 32]]],
    },
    'unet/model.onnx': {
      inputs: [
        ['sample', F, ['unet_sample_batch', 'unet_sample_channels', 'unet_sample_height', 'unet_sample_width']],
        ['timestep', F, ['unet_time_batch']],
        ['encoder_hidden_states', F, ['unet_hidden_batch', 'unet_hidden_sequence', 32]],
        ['down_block_0_additional_residual', F, ['cnet_db0_batch', 'cnet_db0_channels', 'cnet_db0_height', 'cnet_db0_width']],
        ['down_block_1_additional_residual', F, ['cnet_db1_batch', 'cnet_db1_channels', 'cnet_db1_height', 'cnet_db1_width']],
        ['down_block_2_additional_residual', F, ['cnet_db2_batch', 'cnet_db2_channels', 'cnet_db2_height2', 'cnet_db2_width2']],
        ['mid_block_additional_residual', F, ['cnet_mbar_batch', 'cnet_mbar_channels', 'cnet_mbar_height2', 'cnet_mbar_width2']],
      ],
      outputs: [['out_sample', F, ['*', 4, '*', '*']]],
    },
    'controlnet/model.onnx': {
      inputs: [
        ['sample', F, ['unet_sample_batch', 'unet_sample_channels', 'unet_sample_height', 'unet_sample_width']],
        ['timestep', F, ['unet_time_batch']],
        ['encoder_hidden_states', F, ['unet_hidden_batch', 'unet_hidden_sequence', 32]],
        ['controlnet_cond', F, ['controlnet_sample_batch', 'controlnet_sample_channels', 'controlnet_sample_height', 'controlnet_sample_width']],
        ['conditioning_scale', 'float64', [1]],
      ],
      // four outputs with torch's auto-generated numeric names (checked below), 16 channels each
      outputs: [['#', F, ['*', 16, '*', '*']], ['#', F, ['*', 16, '*', '*']], ['#', F, ['*', 16, '*', '*']], ['#', F, ['*', 16, '*', '*']]],
    },
    'vae_encoder/model.onnx': {
      inputs: [['sample', F, ['batch', 'channels', 'height', 'width']]],
      outputs: [['latent_sample', F, ['*', '*', '*', '*']]],
    },
    'vae_decoder/model.onnx': {
      inputs: [['latent_sample', F, ['batch', 'channels', 'height', 'width']]],
      outputs: [['sample', F, ['*', 3, '*', '*']]],
    },
  },
};

/** '*' = any symbolic dim (torch's generated names such as 'Addlast_hidden_state_dim_0'); '#' = a numeric name. */
function matches(meta, [name, type, dims]) {
  if (name === '#' ? !/^\d+$/.test(meta.name) : meta.name !== name) return false;
  if (meta.type !== type) return false;
  if (meta.shape.length !== dims.length) return false;
  return dims.every((d, i) => (d === '*' ? typeof meta.shape[i] === 'string' : meta.shape[i] === d));
}
const fmt = (m) => `${m.name}: ${m.type} [${m.shape.join(',')}]`;

const sessions = new Map();
async function session(path) {
  // One thread, as the pipeline tests run: float16 sums depend on the reduction order.
  if (!sessions.has(path)) sessions.set(path, await ort.InferenceSession.create(path, { intraOpNumThreads: 1 }));
  return sessions.get(path);
}

async function checkContract() {
  for (const [name, graphs] of Object.entries(EXPECTED)) {
    const folder = join(ROOT, name);
    const files = listFiles(folder).map((p) => relative(folder, p));
    console.log(`\n${relative(REPO, folder)} (${files.length} files)`);
    const onnxFiles = files.filter((f) => f.endsWith('.onnx')).sort();
    check(JSON.stringify(onnxFiles) === JSON.stringify(Object.keys(graphs).sort()), `${name}: graphs ${onnxFiles}, want ${Object.keys(graphs)}`);
    for (const [file, want] of Object.entries(graphs)) {
      const path = join(folder, file);
      const s = await session(path);
      console.log(`  ${file}`);
      console.log(`    inputs:  ${s.inputMetadata.map(fmt).join('; ')}`);
      console.log(`    outputs: ${s.outputMetadata.map(fmt).join('; ')}`);
      for (const [kind, metas, exp] of [['input', s.inputMetadata, want.inputs], ['output', s.outputMetadata, want.outputs]]) {
        check(metas.length === exp.length && metas.every((m, i) => matches(m, exp[i])), `${name}/${file}: ${kind}s differ from ${JSON.stringify(exp)}`);
      }
    }
  }
}

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

// --- 2. probes ------------------------------------------------------------------------------
function readProbe(dir, { file, dtype, shape }) {
  const buf = readFileSync(join(dir, file));
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const Typed = { float32: Float32Array, float16: Uint16Array, float64: Float64Array, int64: BigInt64Array, int32: Int32Array, bool: Uint8Array }[dtype];
  const data = new Typed(ab);
  return new ort.Tensor(dtype, dtype === 'bool' ? Array.from(data, Boolean) : data, shape);
}

async function checkProbes(manifestPath) {
  const dir = dirname(manifestPath);
  const { cases } = JSON.parse(readFileSync(manifestPath, 'utf8'));
  console.log(`\nprobes: ${cases.length} torch cases vs onnxruntime-node`);
  const worst = {};
  for (const c of cases) {
    const s = await session(join(REPO, c.model));
    const feeds = Object.fromEntries(Object.entries(c.inputs).map(([n, p]) => [n, readProbe(dir, p)]));
    const out = await s.run(feeds);
    const parts = [];
    for (const [n, p] of Object.entries(c.outputs)) {
      const got = out[n];
      if (!check(got, `${c.model}: no output ${n}`)) continue;
      const want = readProbe(dir, p);
      check(JSON.stringify(got.dims) === JSON.stringify(want.dims), `${c.model}.${n} dims ${got.dims} vs torch ${want.dims}`);
      if (c.kind === 'gaussian') {
        const mean = values(readProbe(dir, c.extra.mean));
        const std = values(readProbe(dir, c.extra.std));
        const g = values(got);
        let s1 = 0, s2 = 0;
        for (let i = 0; i < g.length; i++) {
          const z = (g[i] - mean[i]) / std[i];
          s1 += z;
          s2 += z * z;
        }
        const zm = s1 / g.length;
        const zs = Math.sqrt(s2 / g.length - zm * zm);
        check(Math.abs(zm) < 0.2 && Math.abs(zs - 1) < 0.2, `${c.model}: (latent_sample − mean)/std has mean ${zm}, std ${zs}`);
        parts.push(`${n} [${got.dims}] in-graph sample: z mean ${zm.toFixed(3)} std ${zs.toFixed(3)} (n ${g.length})`);
        continue;
      }
      const a = values(got);
      const b = values(want);
      const d = maxAbsDiff(a, b);
      const scale = Math.max(1, maxAbs(b));
      check(d <= c.tolerance * scale, `${c.model}.${n}: max abs diff ${d} > ${c.tolerance} × ${scale.toFixed(2)}`);
      const key = `${c.model} ${n}`;
      worst[key] = Math.max(worst[key] ?? 0, d);
      parts.push(`${n} [${got.dims}] ${got.type} max|Δ| ${d.toExponential(2)} (|ref| ≤ ${maxAbs(b).toFixed(2)})`);
    }
    console.log(`  ${c.model}: ${parts.join('; ')}`);
  }
  return worst;
}

// --- 3. reference replays ---------------------------------------------------------------------
function alphasCumprod(cfg) {
  const n = cfg.num_train_timesteps;
  const a = Math.sqrt(cfg.beta_start);
  const b = Math.sqrt(cfg.beta_end);
  const out = new Float64Array(n);
  let prod = 1;
  for (let i = 0; i < n; i++) {
    const beta = Math.fround(Math.fround(a + ((b - a) * i) / (n - 1)) ** 2);
    prod = Math.fround(prod * Math.fround(1 - beta));
    out[i] = prod;
  }
  return out;
}

/** One component of a folder: session + feeds built from the graph's own input types. */
class Part {
  constructor(s) {
    this.s = s;
    this.types = Object.fromEntries(s.inputMetadata.map((m) => [m.name, m.type]));
  }
  async run(inputs) {
    const feeds = {};
    for (const [n, [data, dims]] of Object.entries(inputs)) feeds[n] = tensorOf(this.types[n], data, dims);
    const out = await this.s.run(feeds);
    return this.s.outputNames.map((n) => ({ data: values(out[n]), dims: out[n].dims }));
  }
}

const PART_FILES = {
  'webnn-sd-turbo': { text_encoder: 'text_encoder/model_layernorm.onnx', unet: 'unet/model_layernorm.onnx' },
};
async function part(folderName, comp) {
  const file = PART_FILES[folderName]?.[comp] ?? `${comp}/model.onnx`;
  return new Part(await session(join(ROOT, folderName, file)));
}

const add = (a, b) => a.map((v, i) => v + b[i]);
const scale = (a, k) => a.map((v) => v * k);
function cfgCombine(u, c, g) {
  return u.map((v, i) => v + g * (c[i] - v));
}

async function replay(refPath) {
  const ref = JSON.parse(readFileSync(refPath, 'utf8'));
  const name = ref.folder.split('/').pop();
  const p = ref.params;
  const te = await part(name, 'text_encoder');
  const unet = await part(name, 'unet');
  const dec = await part(name, 'vae_decoder');
  const embed = async (ids) => (await te.run({ input_ids: [ids, [1, 77]] }))[0].data;
  const cond = await embed(ref.tokens.prompt);
  const uncond = ref.tokens.negative ? await embed(ref.tokens.negative) : null;
  const g = p.guidanceScale;
  const shape = [1, 4, p.height / 8, p.width / 8];
  const n = shape.reduce((x, y) => x * y, 1);
  const cfg = ref.schedulerConfig;
  const ac = alphasCumprod(cfg);
  const ts = ref.timesteps;
  const staticBatch1 = name === 'webnn-sd-turbo';
  const ctx2 = uncond ? Float64Array.from([...uncond, ...cond]) : null;
  const eps = async (x, t, extra = {}) => {
    const tIn = [[t], [1]];
    if (!uncond || g <= 1) return (await unet.run({ sample: [x, shape], timestep: tIn, encoder_hidden_states: [cond, [1, 77, 32]], ...extra }))[0].data;
    if (staticBatch1) {
      const u = (await unet.run({ sample: [x, shape], timestep: tIn, encoder_hidden_states: [uncond, [1, 77, 32]] }))[0].data;
      const c = (await unet.run({ sample: [x, shape], timestep: tIn, encoder_hidden_states: [cond, [1, 77, 32]] }))[0].data;
      return cfgCombine(u, c, g);
    }
    const x2 = Float64Array.from([...x, ...x]);
    const out = (await unet.run({ sample: [x2, [2, ...shape.slice(1)]], timestep: tIn, encoder_hidden_states: [ctx2, [2, 77, 32]], ...extra }))[0].data;
    return cfgCombine(out.subarray(0, n), out.subarray(n), g);
  };
  let lat;
  const cls = cfg._class_name;
  if (cls === 'EulerDiscreteScheduler') {
    // sigmas at the run's timesteps (integers), final sigma 0
    const sig = (t) => Math.fround(Math.sqrt((1 - ac[t]) / ac[t]));
    const all = ref.allTimesteps ?? ts;
    const sigmas = [...all.map(sig), 0];
    let idx = all.indexOf(ts[0]);
    if (ref.images.init) {
      const enc = await part(name, 'vae_encoder');
      const [H, W] = ref.images.init.shape;
      const hwc = ref.images.init.data;
      const chw = new Float64Array(3 * H * W);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) chw[c * H * W + y * W + x] = 2 * hwc[(y * W + x) * 3 + c] - 1;
      const params = (await enc.run({ sample: [chw, [1, 3, H, W]] }))[0].data;
      const post = ref.draws[0].data;
      const init = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const logvar = Math.min(20, Math.max(-30, params[n + i]));
        init[i] = (params[i] + Math.exp(0.5 * logvar) * post[i]) * 0.18215;
      }
      lat = add(init, scale(ref.draws[1].data, sigmas[idx]));
      const d = maxAbsDiff(init, ref.initLatents.data);
      console.log(`    init latents (vae_encoder latent_parameters + posterior draw) max|Δ| ${d.toExponential(2)}`);
    } else {
      lat = scale(ref.draws[0].data, ref.initNoiseSigma);
    }
    for (const t of ts) {
      const s = sigmas[idx];
      const e = await eps(scale(lat, 1 / Math.sqrt(s * s + 1)), t);
      const next = sigmas[idx + 1];
      lat = lat.map((v, i) => v + e[i] * (next - s)); // x + (x − x0)/σ · (σ_next − σ), x0 = x − σ·ε
      idx += 1;
    }
  } else if (cls === 'LCMScheduler') {
    lat = Float64Array.from(ref.draws[0].data);
    let denoised = lat;
    const w = ref.timestepCond.data;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i];
      const e = await eps(lat, t, { timestep_cond: [w, [1, w.length]] });
      const aT = ac[t];
      const prevT = i + 1 < ts.length ? ts[i + 1] : t;
      const aPrev = ac[prevT];
      const st = t * cfg.timestep_scaling;
      const cSkip = 0.25 / (st * st + 0.25);
      const cOut = st / Math.sqrt(st * st + 0.25);
      denoised = lat.map((x, k) => cOut * ((x - Math.sqrt(1 - aT) * e[k]) / Math.sqrt(aT)) + cSkip * x);
      if (i < ts.length - 1) {
        const z = ref.draws[i + 1].data;
        lat = denoised.map((d, k) => Math.sqrt(aPrev) * d + Math.sqrt(1 - aPrev) * z[k]);
      } else lat = denoised;
    }
  } else if (cls === 'DDIMScheduler') {
    lat = Float64Array.from(ref.draws[0].data);
    const stepRatio = cfg.num_train_timesteps / ts.length;
    const final = cfg.set_alpha_to_one ? 1 : ac[0];
    const cn = ref.images.control ? await part(name, 'controlnet') : null;
    const residualInputs = unet.s.inputNames.filter((x) => x.includes('residual'));
    let ctrl = null;
    if (cn) {
      const [H, W] = ref.images.control.shape;
      const hwc = ref.images.control.data;
      ctrl = new Float64Array(2 * 3 * H * W);
      for (let b = 0; b < 2; b++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) ctrl[b * 3 * H * W + c * H * W + y * W + x] = hwc[(y * W + x) * 3 + c];
    }
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i];
      const extra = {};
      if (residualInputs.length) {
        const x2 = Float64Array.from([...lat, ...lat]);
        let outs;
        if (cn) {
          outs = await cn.run({ sample: [x2, [2, ...shape.slice(1)]], timestep: [[t], [1]], encoder_hidden_states: [ctx2, [2, 77, 32]], controlnet_cond: [ctrl, [2, 3, p.height, p.width]], conditioning_scale: [[ref.condScales[i]], [1]] });
        }
        residualInputs.forEach((rn, k) => {
          const dims = cn ? outs[k].dims : [2, 16, shape[2] / (k >= 2 ? 2 : 1), shape[3] / (k >= 2 ? 2 : 1)];
          extra[rn] = [cn ? outs[k].data : new Float64Array(dims.reduce((a, b) => a * b, 1)), dims];
        });
      }
      const e = await eps(lat, t, extra);
      const prev = t - stepRatio;
      const aT = ac[t];
      const aPrev = prev >= 0 ? ac[prev] : final;
      lat = lat.map((x, k) => {
        const x0 = (x - Math.sqrt(1 - aT) * e[k]) / Math.sqrt(aT);
        return Math.sqrt(aPrev) * x0 + Math.sqrt(1 - aPrev) * e[k];
      });
    }
  } else throw new Error(cls);
  const image = (await dec.run({ latent_sample: [scale(lat, 1 / 0.18215), shape] }))[0];
  const [, , H, W] = image.dims;
  const hwc = new Float64Array(H * W * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) hwc[(y * W + x) * 3 + c] = Math.min(1, Math.max(0, image.data[c * H * W + y * W + x] / 2 + 0.5));
  const dl = maxAbsDiff(lat, ref.latents.data);
  const di = maxAbsDiff(hwc, ref.image.data);
  let mean = 0;
  for (let i = 0; i < hwc.length; i++) mean += Math.abs(hwc[i] - ref.image.data[i]);
  mean /= hwc.length;
  return { name, case: ref.case, dl, di, mean, latMax: maxAbs(ref.latents.data), hwc, shape: ref.image.shape };
}

async function checkReferences() {
  if (!existsSync(REFS)) return [];
  const files = readdirSync(REFS).filter((f) => f.endsWith('.json')).sort();
  console.log(`\nreference replays (${files.length}) through the ONNX files:`);
  const rows = [];
  for (const f of files) {
    const r = await replay(join(REFS, f));
    // fp16 replicas: the graphs compute in float16 against a float32 torch twin
    const fp16 = r.name === 'optimum-sd-turbo' || r.name === 'webnn-sd-turbo';
    const latTol = fp16 ? 0.05 * Math.max(1, r.latMax) : 1e-3 * Math.max(1, r.latMax);
    const imgTol = fp16 ? 0.1 : 1e-3;
    check(r.dl <= latTol, `${f}: latents max|Δ| ${r.dl} > ${latTol}`);
    check(r.di <= imgTol, `${f}: image max|Δ| ${r.di} > ${imgTol}`);
    console.log(`  ${f}: latents max|Δ| ${r.dl.toExponential(2)} (|latents| ≤ ${r.latMax.toFixed(2)}), image max|Δ| ${r.di.toExponential(2)}, mean|Δ| ${r.mean.toExponential(2)}`);
    // --write-replays: the replay's image, an independent run of the same ONNX files, is what
    // tests/pipeline/replicas.test.ts holds Lantern to for fp16 graphs (their float16 arithmetic
    // is the replay's too, so any difference left is the pipeline's).
    if (WRITE_REPLAYS) {
      mkdirSync(join(REFS, 'onnx-replay'), { recursive: true });
      writeFileSync(join(REFS, 'onnx-replay', f), JSON.stringify({ shape: r.shape, data: Array.from(r.hwc, (v) => Number(v.toPrecision(8))) }) + '\n');
    }
    rows.push({ file: f, name: r.name, case: r.case, dl: r.dl, di: r.di, mean: r.mean, latMax: r.latMax });
  }
  return rows;
}

// --- 4. bad fixtures --------------------------------------------------------------------------
async function checkBad() {
  const bad = join(REFS, 'bad');
  if (!existsSync(bad)) return;
  console.log('\nbad-input fixtures:');
  const expectFail = async (label, path) => {
    try {
      await ort.InferenceSession.create(path);
      check(false, `${label}: onnxruntime loaded ${relative(REPO, path)}`);
    } catch (e) {
      console.log(`  ${label}: onnxruntime refuses it (${String(e.message ?? e).split('\n')[0].slice(0, 110)})`);
    }
  };
  await expectFail('escaping-location', join(bad, 'escaping-location', 'unet', 'model.onnx'));
  check(existsSync(join(bad, 'escaping-location', 'x.bin')), 'escaping-location/x.bin exists');
  await expectFail('missing-external', join(bad, 'missing-external', 'unet', 'model.onnx'));
  const empty = readdirSync(join(bad, 'empty-part', 'unet'));
  check(!empty.some((f) => f.endsWith('.onnx')), 'empty-part/unet has no graph');
  console.log(`  empty-part: unet/ holds ${JSON.stringify(empty)}`);
}

const WRITE_REPLAYS = process.argv.includes('--write-replays');

async function main() {
  const args = process.argv.slice(2);
  const probesAt = args.indexOf('--probes');
  await checkContract();
  if (probesAt >= 0) await checkProbes(args[probesAt + 1]);
  await checkReferences();
  await checkBad();
  for (const s of sessions.values()) await s.release();
  console.log(failures ? `\n${failures} replica check(s) FAILED` : '\nall replica checks passed');
  process.exit(failures ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
