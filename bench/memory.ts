/**
 * `npm run bench:memory`: peak memory of a whole txt2img run, normal vs low-memory mode, on a
 * synthetic SD-1.5-sized folder (bench/synthetic-model.ts; written under /tmp, deleted after)
 * through Lantern's own pipeline on onnxruntime-node. Each mode runs in a fresh process; the
 * peak resident set per phase is the kernel's high-water mark (VmHWM, reset through
 * /proc/self/clear_refs), the JS heap and ArrayBuffer peaks are sampled every 2 ms. Results go
 * to stdout and bench/memory.json; nothing here asserts a figure.
 *   npm run bench:memory -- [--te-mb 246] [--unet-mb 1720] [--vae-mb 99] [--steps 2] [--external path|bytes] [--keep]
 * `--external bytes` hands weights to the runtime as JS buffers (as the browser's fallback does)
 * instead of by path.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cp, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fsSource } from '../cli/fs-source';
import type { GenerateParams } from '../lib/diffusion/check-inputs';
import { loadPipeline, releasePipeline } from '../lib/diffusion/load-pipeline';
import { generate } from '../lib/diffusion/pipeline';
import { loadModelFolder } from '../lib/models/load-folder';
import { createNodeSessionFactory } from '../lib/onnx/node';
import { syntheticTextEncoder, syntheticUnet, syntheticVaeDecoder, writeWeights, type SyntheticPart } from './synthetic-model';

const { values } = parseArgs({
  options: {
    'te-mb': { type: 'string', default: '246' },
    'unet-mb': { type: 'string', default: '1720' },
    'vae-mb': { type: 'string', default: '99' },
    steps: { type: 'string', default: '2' },
    external: { type: 'string', default: 'path' },
    dir: { type: 'string', default: '/tmp/lantern-bench-synthetic-sd' },
    keep: { type: 'boolean', default: false },
    child: { type: 'string' },
    out: { type: 'string', default: 'bench/memory.json' },
  },
});
const MB = 1024 * 1024;
const mb = (bytes: number) => +(bytes / MB).toFixed(1);

/** SD 1.5 fp16 as optimum exports it: text encoder 246 MB, U-Net 1.72 GB, VAE decoder 99 MB (sizes of the Hub's files). */
const sizes = { text_encoder: Number(values['te-mb']) * MB, unet: Number(values['unet-mb']) * MB, vae_decoder: Number(values['vae-mb']) * MB };

async function writeFolder(dir: string): Promise<void> {
  const stamp = JSON.stringify(sizes);
  if (existsSync(`${dir}/stamp.json`) && readFileSync(`${dir}/stamp.json`, 'utf8') === stamp) return;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  // Tokenizer and scheduler of the tiny fixture: the graphs are what is measured.
  await cp('models/fixtures/tiny-sd/tokenizer', `${dir}/tokenizer`, { recursive: true });
  await cp('models/fixtures/tiny-sd/scheduler', `${dir}/scheduler`, { recursive: true });
  const parts: Record<string, SyntheticPart> = {
    text_encoder: syntheticTextEncoder(sizes.text_encoder),
    unet: syntheticUnet(sizes.unet),
    vae_decoder: syntheticVaeDecoder(sizes.vae_decoder),
  };
  const index: Record<string, unknown> = {
    _class_name: 'OnnxStableDiffusionPipeline',
    scheduler: ['diffusers', 'DDIMScheduler'],
    tokenizer: ['transformers', 'CLIPTokenizer'],
  };
  for (const [name, part] of Object.entries(parts)) {
    index[name] = ['diffusers', 'OnnxRuntimeModel'];
    await mkdir(`${dir}/${name}`, { recursive: true });
    await writeFile(`${dir}/${name}/model.onnx`, part.graph);
    const fh = await open(`${dir}/${name}/model.onnx_data`, 'w');
    await writeWeights(part.dataBytes, async (chunk) => void (await fh.write(chunk)));
    await fh.close();
  }
  await writeFile(`${dir}/model_index.json`, JSON.stringify(index, null, 2));
  await writeFile(`${dir}/stamp.json`, stamp);
}

// ---- child: one mode, one process -------------------------------------------------------

const kb = (field: string) =>
  Number(
    /(\d+) kB/.exec(
      readFileSync('/proc/self/status', 'utf8')
        .split('\n')
        .find((l) => l.startsWith(field)) ?? '',
    )?.[1] ?? NaN,
  ) * 1024;
function resetPeak(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

/** Runs `fn` and reports the kernel's RSS high-water mark and sampled JS heap / ArrayBuffer peaks during it. */
async function phase<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; ms: number; peakRssMB: number; rssAfterMB: number; peakHeapMB: number; peakArrayBuffersMB: number }> {
  resetPeak();
  let heap = 0;
  let buffers = 0;
  const sample = () => {
    const m = process.memoryUsage();
    heap = Math.max(heap, m.heapUsed);
    buffers = Math.max(buffers, m.arrayBuffers);
  };
  const timer = setInterval(sample, 2);
  const t0 = performance.now();
  try {
    const value = await fn();
    sample();
    return {
      value,
      ms: Math.round(performance.now() - t0),
      peakRssMB: mb(kb('VmHWM:')),
      rssAfterMB: mb(kb('VmRSS:')),
      peakHeapMB: mb(heap),
      peakArrayBuffersMB: mb(buffers),
    };
  } finally {
    clearInterval(timer);
  }
}

async function child(mode: 'normal' | 'low'): Promise<void> {
  const params: GenerateParams = {
    prompt: 'a red circle on a blue background',
    negativePrompt: '',
    seed: 1,
    steps: Number(values.steps),
    guidanceScale: 7.5,
    guidanceRescale: 0,
    scheduler: 'default',
    width: 64,
    height: 64,
  };
  const inner = fsSource(values.dir!);
  // `bytes`: a source that cannot locate files, so weights pass through JS as buffers.
  const source = values.external === 'bytes' ? { ...inner, locate: undefined } : inner;
  const factory = createNodeSessionFactory({ intraOpNumThreads: 1 });
  const baseline = { rssMB: mb(kb('VmRSS:')) };
  const folder = await loadModelFolder(source);
  const load = await phase(() => loadPipeline(folder, factory, undefined, { lowMemory: mode === 'low' }));
  const models = load.value;
  const first = await phase(() => generate(models, params));
  const second = await phase(() => generate(models, params));
  const strip = <T extends { value: unknown }>(p: T) => ({ ...p, value: undefined });
  const result = {
    mode,
    external: values.external,
    baseline,
    load: strip(load),
    generate: strip(first),
    generateAgain: strip(second),
    timings: {
      textEncoderMs: Math.round(second.value.timings.textEncoderMs),
      vaeMs: Math.round(second.value.timings.vaeMs),
      totalMs: Math.round(second.value.timings.totalMs),
    },
    imageChecksum: second.value.image.data.reduce((s, v, i) => s + v * ((i % 7) + 1), 0),
  };
  await releasePipeline(models);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

// ---- parent -----------------------------------------------------------------------------

function runChild(mode: string): Promise<Record<string, unknown>> {
  const script = fileURLToPath(import.meta.url);
  const args = [...process.execArgv, script, '--child', mode, ...process.argv.slice(2)];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`child ${mode} exited ${code}: ${out}`));
      else resolve(JSON.parse(line.slice(7)) as Record<string, unknown>);
    });
  });
}

async function parent(): Promise<void> {
  const t0 = performance.now();
  await writeFolder(values.dir!);
  const writeMs = Math.round(performance.now() - t0);
  const runs = [];
  for (const mode of ['normal', 'low']) runs.push(await runChild(mode));
  const loadavg = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  const report = {
    date: new Date().toISOString(),
    machine: { loadavg, cores: (await import('node:os')).cpus().length, node: process.version },
    model: { sizesMB: Object.fromEntries(Object.entries(sizes).map(([k, v]) => [k, mb(v)])), writeMs },
    runs,
  };
  console.log(JSON.stringify(report, null, 2));
  type Phase = { peakRssMB: number; rssAfterMB: number; ms: number };
  for (const r of runs as Array<{ mode: string; load: Phase; generate: Phase; generateAgain: Phase; timings: { totalMs: number } }>)
    console.log(
      `${r.mode.padEnd(6)} load peak RSS ${r.load.peakRssMB} MB (${r.load.ms} ms) · generate peak ${r.generate.peakRssMB} MB, again ${r.generateAgain.peakRssMB} MB (${r.timings.totalMs} ms) · RSS between runs ${r.generateAgain.rssAfterMB} MB`,
    );
  await writeFile(values.out!, `${JSON.stringify(report, null, 2)}\n`);
  if (!values.keep) await rm(values.dir!, { recursive: true, force: true });
}

if (values.child === 'normal' || values.child === 'low') await child(values.child);
else await parent();
