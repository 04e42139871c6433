/**
 * `npm run bench`: one U-Net graph, three ways, on this machine —
 *   node:   onnxruntime-node (CPU), the graph alone;
 *   bare:   a bare onnxruntime-web page (bench/bare/: no studio, no React), the same graph, feeds,
 *           wasm build and thread count;
 *   studio: the studio's own /bench page (components/bench/), real generates through its worker,
 *           on wasm, and on WebGPU with few steps — in headless Chromium that is SwiftShader, a
 *           software adapter, so its numbers say nothing about a GPU.
 * Rounds interleave the configurations (node, bare, bare on the other thread count, studio, node, …); medians are
 * taken over the rounds. Writes bench/results.json and prints a table. Nothing asserts a speed.
 *
 *   npm run bench -- [--model models/lantern-shapes] [--steps 10] [--repeats 2] [--rounds 3]
 *                    [--runs 20] [--webgpu-steps 2] [--no-webgpu] [--port 3250] [--dir out] [--out bench/results.json]
 * (--dir: the static export to serve, `npm run build`'s out/ by default; --threads: node's and the bare
 * page's thread count instead of the one the studio asks for.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, posix } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import type { BenchReport } from '../components/bench/report';
import { BARE_PATH, prepareSite } from './bare-site';
import { openNodeUnet } from './node-unet';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from './processes';
import { openStudioBench } from './studio-bench';
import { summarize, table, type RoundTimes } from './summary';
import { captureUnetFeeds, serializeFeeds } from './unet-feeds';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/lantern-shapes' },
    steps: { type: 'string', default: '10' },
    repeats: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    runs: { type: 'string', default: '20' },
    'webgpu-steps': { type: 'string', default: '2' },
    'no-webgpu': { type: 'boolean', default: false },
    port: { type: 'string', default: '3250' },
    dir: { type: 'string', default: 'out' },
    threads: { type: 'string' },
    out: { type: 'string', default: 'bench/results.json' },
  },
});
const modelDir = values.model!.replace(/\/+$/, '');
const modelUrl = `/${modelDir.replace(/^\/+/, '')}/`;
const steps = Number(values.steps);
const repeats = Number(values.repeats);
const rounds = Number(values.rounds);
const runs = Number(values.runs);
const webgpuSteps = Number(values['webgpu-steps']);
const base = `http://127.0.0.1:${values.port}`;
/**
 * Runs before timing node and the bare page. V8 first compiles wasm with its baseline compiler and
 * tiers hot functions up to optimized code in the background: a few runs leave the bare page 2–3×
 * slower than the studio's long-running worker.
 */
const WARMUP_RUNS = 20;
/** SwiftShader compiles every WebGPU shader on the CPU: a first run can take minutes. */
const PAGE_TIMEOUT_MS = 600_000;

const loadavg = async () => (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).map(Number);

function startServer(root: string): Promise<ChildProcess> {
  // Its own process group, so it goes with everything it started when we are done.
  const server = spawn(process.execPath, ['scripts/serve-static.mjs', '--dir', root, '--port', values.port!, '--host', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  return new Promise((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`serve-static exited (${code}): is port ${values.port} free?`)));
    server.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('serving')) resolve(server);
    });
  });
}

function stopServer(server: ChildProcess | null): void {
  if (server?.pid !== undefined && server.exitCode === null) process.kill(-server.pid, 'SIGTERM');
}

interface BarePage {
  run(n: number): Promise<number[]>;
  threads: number;
  version: string;
}

async function openBare(page: Page, graph: { label: string; externalData: string[] }, threads: number): Promise<BarePage> {
  await page.goto(`${base}${BARE_PATH}`);
  await page.waitForFunction(() => 'bare' in window);
  const dir = posix.dirname(graph.label);
  const opts = {
    model: `${modelUrl}${graph.label}`,
    externalData: graph.externalData.map((path) => ({ path, data: `${modelUrl}${dir}/${path}` })),
    feedsIndex: `${BARE_PATH}feeds.json`,
    feedsBin: `${BARE_PATH}feeds.bin`,
    threads,
  };
  type Bare = { load(o: typeof opts): Promise<{ threads: number; version: string }>; run(n: number): Promise<number[]> };
  const loaded = await page.evaluate((o) => (window as unknown as { bare: Bare }).bare.load(o), opts);
  return {
    threads: loaded.threads,
    version: loaded.version,
    run: (n) => page.evaluate((k) => (window as unknown as { bare: Bare }).bare.run(k), n),
  };
}

async function main() {
  const loadBefore = await loadavg();
  const started = Date.now();
  const site = await prepareSite(values.dir!, []);
  let server: ChildProcess | null = null;
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_FLAGS] });
  try {
    server = await startServer(site.root);
    const studioOpts = { model: modelUrl, steps, repeats, timeoutMs: PAGE_TIMEOUT_MS };
    const wasm = await openStudioBench(browser, base, { ...studioOpts, backend: 'wasm' });
    const { size } = wasm;
    const threads = values.threads ? Number(values.threads) : wasm.threads;
    console.log(`studio /bench open on wasm: ${size.width}×${size.height}, asks for ${wasm.threads} wasm threads; node and bare run ${threads}`);

    // The feeds of the studio's own run (its size), for node and the bare page.
    const lantern = JSON.parse(await readFile(join(modelDir, 'lantern.json'), 'utf8').catch(() => '{}')) as { recommended?: { guidance?: number } };
    const captured = await captureUnetFeeds(modelDir, {
      prompt: 'a red circle on a blue background',
      negativePrompt: '',
      seed: 1,
      steps: 2,
      guidanceScale: Math.max(lantern.recommended?.guidance ?? 7.5, 1.5),
      guidanceRescale: 0,
      scheduler: 'default',
      ...size,
    });
    const { index, bin } = serializeFeeds(captured.feeds);
    await writeFile(join(site.root, BARE_PATH, 'feeds.json'), JSON.stringify(index));
    await writeFile(join(site.root, BARE_PATH, 'feeds.bin'), bin);
    console.log(`U-Net feeds: ${captured.feeds.map((f) => `${f.name} ${f.type}[${f.dims.join(',')}]`).join(', ')}`);

    const node = await openNodeUnet(captured.graph.path, captured.feeds, threads);
    const bareContext = await browser.newContext({ serviceWorkers: 'block' });
    const bare = await openBare(await bareContext.newPage(), captured.graph, threads);
    // The same page on another thread count (1 ↔ 2), to show what the studio's choice of threads costs or saves here.
    const altThreads = threads > 1 ? 1 : Math.min(2, cpus().length);
    const bareAlt = altThreads !== threads ? await openBare(await bareContext.newPage(), captured.graph, altThreads) : null;
    await node.run(WARMUP_RUNS);
    await bare.run(WARMUP_RUNS);
    await bareAlt?.run(WARMUP_RUNS);

    const times: RoundTimes[] = [];
    const reports: { wasm: BenchReport[]; webgpu: BenchReport[] } = { wasm: [], webgpu: [] };
    for (let r = 0; r < rounds; r++) {
      // Blocks, not run by run: alternating single runs made each runtime's idle-spinning threads slow the other's next run (2× here).
      const nodeMs = await node.run(runs);
      const bareMs = await bare.run(runs);
      const bareAltMs = bareAlt ? await bareAlt.run(runs) : [];
      reports.wasm.push(await wasm.run());
      times.push({ nodeMs, bareMs, bareAltMs });
      console.log(`round ${r + 1}/${rounds}: node, bare, studio wasm done`);
      // SwiftShader is far slower than wasm: CFG runs only (one cold, one warm), once, in the middle of the rounds.
      if (!values['no-webgpu'] && r === Math.floor((rounds - 1) / 2)) {
        const webgpu = await openStudioBench(browser, base, { ...studioOpts, steps: webgpuSteps, repeats: 1, configs: 'cfg', backend: 'webgpu' });
        reports.webgpu.push(await webgpu.run());
        await webgpu.close();
        console.log(`studio WebGPU (${webgpuSteps} steps) done`);
      }
    }
    await wasm.close();
    await node.release();

    const results = summarize({
      date: new Date().toISOString(),
      model: modelDir,
      graph: captured.graph.label,
      feeds: captured.feeds.map((f) => ({ name: f.name, type: f.type, dims: f.dims })),
      size,
      steps,
      webgpuSteps,
      rounds,
      runsPerRound: runs,
      studioRepeats: repeats,
      machine: { cores: cpus().length, loadavgBefore: loadBefore, loadavgAfter: await loadavg(), seconds: (Date.now() - started) / 1000 },
      chromiumVersion: browser.version(),
      threads: { wasm: wasm.threads, bareWasm: bare.threads, bareAltWasm: bareAlt?.threads ?? null, nodeIntraOp: threads },
      bareBuild: `onnxruntime-web/wasm ${bare.version}`,
      times,
      reports,
    });
    await writeFile(values.out!, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\n${table(results)}\n\nwrote ${values.out}`);
  } finally {
    await browser.close();
    stopServer(server);
    await site.remove();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
