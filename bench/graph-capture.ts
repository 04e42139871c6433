/**
 * `npx tsx bench/graph-capture.ts`: what onnxruntime-web's WebGPU graph capture
 * (`enableGraphCapture`, static shapes through `freeDimensionOverrides`) does for one U-Net step
 * (issue #9), in Debian Chromium on its WebGPU (SwiftShader here: a CPU implementation).
 * Per model, sessions of the same graph on the WebGPU EP, every feed a GPU buffer refilled with
 * queue.writeBuffer before each step (a replay reads exactly the buffers it captured):
 *   plain          — dynamic shapes, our GPU buffer as the fetch, no capture (the studio's device loop);
 *   static         — freeDimensionOverrides only (static shapes alone);
 *   capture        — freeDimensionOverrides + enableGraphCapture, no fetches (ORT's own output buffer);
 *   captureFetches — the same with our output buffer as the fetch;
 *   stringEp       — capture asked for with `executionProviders: ['webgpu']` (the string form).
 * A warm-up session (plain options) is opened and run first and kept open, so the variants' first
 * runs show only their own extra cost (ORT keeps its device and pipeline cache while a session is open).
 * Reported: whether each session was created (ORT's refusal text if not), first and second run
 * (for capture: the capturing run and the first replay), medians of the timed rounds (variants
 * interleaved, order rotated), WebGPU calls per run (a replay builds no bind groups), and
 * out_sample against the plain session, including after new inputs were written into the bound
 * buffers. Prints a markdown table, writes JSON (`--out`). Not a test; asserts nothing.
 *
 *   npx tsx bench/graph-capture.ts [--model models/fixtures/tiny-sd/unet/model.onnx] [--model …] [--variants plain,static,capture] \
 *     [--rounds 30] [--budget-s 90] [--batch 2] [--sequence 77] [--port 3460] [--out bench/graph-capture/results.json]
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { format, resolveConfig } from 'prettier';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from './processes';
import { VARIANTS, type ModelPlan, type ModelResult, type RunSample, type VariantName, type VariantResult } from './graph-capture/protocol';

const { values } = parseArgs({
  options: {
    // lantern-shapes takes ~15–20 s a step on SwiftShader (10 min for a run on 2 loaded cores): run it on its own, e.g.
    // --model models/lantern-shapes/unet/model.onnx --rounds 3 --variants plain,static,capture --out bench/graph-capture/results-lantern-shapes.json
    model: { type: 'string', multiple: true, default: ['models/fixtures/tiny-sd/unet/model.onnx'] },
    rounds: { type: 'string', default: '30' },
    variants: { type: 'string', default: VARIANTS.join(',') },
    'budget-s': { type: 'string', default: '90' },
    batch: { type: 'string', default: '2' },
    sequence: { type: 'string', default: '77' },
    port: { type: 'string', default: '3460' },
    out: { type: 'string', default: 'bench/graph-capture/results.json' },
  },
});

const ROOT = process.cwd();
const ORT_DIST = resolve('node_modules/onnxruntime-web/dist');
const MODELS = resolve('models');
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};
const f1 = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(1));
const sci = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? '—' : x === 0 ? '0' : x.toExponential(1));

/**
 * Values for the graph's symbolic dimensions, from the model folder's lantern.json: batch (CFG: 2),
 * sequence (77 tokens), height/width = the latent side, and height_k/width_k = latent / k (the
 * exporter's names for the ControlNet residuals' down-sampled sides).
 */
async function dimsFor(modelPath: string): Promise<Record<string, number>> {
  const lanternJson = join(dirname(dirname(modelPath)), 'lantern.json');
  const lantern = existsSync(lanternJson)
    ? (JSON.parse(await readFile(lanternJson, 'utf8')) as { vaeDownsampleFactor?: number; recommended?: { width?: number; height?: number } })
    : {};
  const factor = lantern.vaeDownsampleFactor ?? 8;
  const h = (lantern.recommended?.height ?? 512) / factor;
  const w = (lantern.recommended?.width ?? 512) / factor;
  const dims: Record<string, number> = { batch: Number(values.batch), sequence: Number(values.sequence), height: h, width: w };
  for (const k of [1, 2, 4, 8]) Object.assign(dims, { [`height_${k}`]: h / k, [`width_${k}`]: w / k });
  return dims;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
};
const HEADERS = {
  // Cross-origin isolation, as the studio is served (SharedArrayBuffer for onnxruntime's wasm).
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};
const INDEX = '<!doctype html><meta charset="utf-8"><title>graph capture</title><p id="status">loading</p><script type="module" src="/page.js"></script>';

/** `/` the page, `/page.js` its bundle, `/ort/*` the runtime's .mjs/.wasm, `/models/*` the graphs; nothing else. */
async function serve(pageJs: string, port: number): Promise<Server> {
  const inside = (root: string, rel: string) => {
    const file = resolve(root, `.${rel}`);
    return file.startsWith(root + sep) ? file : null;
  };
  const server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      let body: Buffer | string | null = null;
      let type = MIME[extname(path)] ?? 'application/octet-stream';
      if (path === '/favicon.ico') {
        res.writeHead(204, HEADERS).end();
        return;
      }
      if (path === '/') [body, type] = [INDEX, MIME['.html']];
      else if (path === '/page.js') body = pageJs;
      else if (path.startsWith('/ort/') && /\.(mjs|wasm)$/.test(path)) {
        const file = inside(ORT_DIST, path.slice(4));
        if (file && (await stat(file).catch(() => null))?.isFile()) body = await readFile(file);
      } else if (path.startsWith('/models/')) {
        const file = inside(MODELS, path.slice(7));
        if (file && (await stat(file).catch(() => null))?.isFile()) body = await readFile(file);
      }
      if (body === null) {
        res.writeHead(404, HEADERS).end();
        return;
      }
      res.writeHead(200, { ...HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) }).end(body);
    })().catch((e: unknown) => res.writeHead(500, HEADERS).end(String(e)));
  });
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(port, '127.0.0.1', () => ok()));
  return server;
}

interface Summary {
  model: string;
  variant: string;
  created: boolean;
  error: string | null;
  createMs: number | null;
  firstDoneMs: number | null;
  secondDoneMs: number | null;
  runs: number;
  medianDoneMs: number;
  p10DoneMs: number;
  p90DoneMs: number;
  medianRunMs: number;
  perRun: { bindGroups: number; writes: number; dispatches: number; buffers: number; submits: number };
  firstRunGpu: RunSample['gpu'] | null;
  secondRunGpu: RunSample['gpu'] | null;
  /** What its runs returned as out_sample, in order, repeats counted. */
  outputs: string;
  maxDiffVsPlain: number | null;
}

/** ['a', 'a', 'b'] → 'a ×2, b'. */
function runLengths(xs: string[]): string {
  const out: string[] = [];
  for (let i = 0; i < xs.length;) {
    let j = i;
    while (j < xs.length && xs[j] === xs[i]) j++;
    out.push(j - i > 1 ? `${xs[i]} ×${j - i}` : xs[i]);
    i = j;
  }
  return out.join(', ');
}

function summarize(r: ModelResult, v: VariantResult): Summary {
  const done = v.runs.map((s) => s.doneMs);
  const per = (k: keyof RunSample['gpu']) => median(v.runs.map((s) => s.gpu[k]));
  const diffs = r.checks.map((c) => c.vsPlain[v.name]).filter((d): d is number => d !== null);
  return {
    model: r.label,
    variant: v.name,
    created: v.createMs !== null,
    error: v.error,
    createMs: v.createMs,
    firstDoneMs: v.first?.doneMs ?? null,
    secondDoneMs: v.second?.doneMs ?? null,
    runs: v.runs.length,
    medianDoneMs: median(done),
    p10DoneMs: quantile(done, 0.1),
    p90DoneMs: quantile(done, 0.9),
    medianRunMs: median(v.runs.map((s) => s.runMs)),
    perRun: { bindGroups: per('bindGroups'), writes: per('writes'), dispatches: per('dispatches'), buffers: per('buffers'), submits: per('submits') },
    firstRunGpu: v.first?.gpu ?? null,
    secondRunGpu: v.second?.gpu ?? null,
    outputs: runLengths([v.first, v.second, ...v.runs].filter((x): x is RunSample => x !== null).map((x) => x.output)),
    maxDiffVsPlain: v.name === 'plain' || diffs.length === 0 ? null : Math.max(...diffs),
  };
}

/**
 * Capture engaged when the session was made, its runs worked, and its replays built no bind groups
 * and wrote no uniforms while the plain session's runs did (per-kernel work skipped: a replay).
 */
function engagement(rows: Summary[], variant: VariantName): string {
  const cap = rows.find((s) => s.variant === variant);
  const plain = rows.find((s) => s.variant === 'plain');
  if (!cap) return 'not run';
  if (!cap.created) return `refused at session creation: ${cap.error ?? 'no result'}`;
  const replays = cap.runs > 0 && cap.perRun.bindGroups === 0 && cap.perRun.writes === 0 && (plain?.perRun.bindGroups ?? 0) > 0;
  const first = cap.firstRunGpu ? `; its 1st run (the capture): ${cap.firstRunGpu.bindGroups} bind groups, ${cap.firstRunGpu.dispatches} dispatches` : '';
  const how = replays
    ? `replaying: 0 bind groups / 0 writeBuffer / ${cap.perRun.dispatches} dispatches per step (plain: ${plain?.perRun.bindGroups} / ${plain?.perRun.writes} / ${plain?.perRun.dispatches})${first}`
    : cap.runs > 0
      ? `not replaying: ${cap.perRun.bindGroups} bind groups / ${cap.perRun.writes} writeBuffer per step`
      : 'no timed run';
  const wrong = cap.maxDiffVsPlain !== null && cap.maxDiffVsPlain > 1e-3 ? `; out_sample differs from plain by up to ${sci(cap.maxDiffVsPlain)}` : '';
  return `${how}${wrong}${cap.error ? `; failed: ${cap.error}` : ''}`;
}

/** From ORT's verbose session log: copy nodes added, nodes per EP, and the CPU EP's nodes by name. */
function placementLines(lines: string[]): string[] {
  const out: string[] = [];
  let cpu = false;
  for (const text of lines)
    for (const raw of text.split('\n')) {
      const line = raw
        .replace(/\x1b\[[0-9;]*m/g, '')
        .replace(/^.*VerifyEachNodeIsAssignedToAnEp\] /, '')
        .replace(/^.*AddCopyNode\] /, '');
      if (/placed on \[/.test(line)) {
        cpu = /CPUExecutionProvider/.test(line);
        out.push(line.trim());
      } else if (/^Add Memcpy/.test(line)) out.push(line.trim());
      else if (cpu && /^\s{2,}\S+ \(/.test(line)) out.push(`  ${line.trim()}`);
      else cpu = false;
    }
  return out;
}

async function main(): Promise<void> {
  const port = Number(values.port);
  const rounds = Number(values.rounds);
  const started = Date.now();
  const loadBefore = loadavg();
  const bundle = await build({
    entryPoints: ['bench/graph-capture/page.ts'],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'warning',
  });
  const pageJs = bundle.outputFiles[0].text;
  const variants = values.variants!.split(',').map((v) => v.trim()) as VariantName[];
  for (const v of variants) if (!VARIANTS.includes(v)) throw new Error(`--variants: unknown ${v} (one of ${VARIANTS.join(', ')})`);
  if (variants[0] !== 'plain') throw new Error('--variants: plain comes first (the reference)');
  const plans: ModelPlan[] = [];
  for (const m of values.model!) {
    const file = resolve(m);
    if (!file.startsWith(MODELS + sep)) throw new Error(`${m}: models are served from ${MODELS} only`);
    plans.push({
      label: m,
      url: `/models/${file
        .slice(MODELS.length + 1)
        .split(sep)
        .join('/')}`,
      dims: await dimsFor(file),
      rounds,
      variants,
      budgetMs: Number(values['budget-s']) * 1000,
    });
  }

  let server: Server | null = null;
  let browser: Browser | null = null;
  const results: ModelResult[] = [];
  const logs: Array<{ phase: string; type: string; text: string }> = [];
  try {
    server = await serve(pageJs, port);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_FLAGS], headless: true });
    for (const plan of plans) {
      // A fresh page per model: ORT's device and wasm heap start clean.
      const page = await browser.newPage();
      let phase = `${plan.label} load`;
      await page.exposeFunction('__phase', (p: string) => {
        phase = p;
        console.error(`  … ${p}`);
      });
      page.on('console', (msg) => logs.push({ phase, type: msg.type(), text: msg.text() }));
      page.on('pageerror', (err) => logs.push({ phase, type: 'pageerror', text: err.message }));
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', undefined, { timeout: 60_000 });
      try {
        results.push(await page.evaluate((p) => window.graphCapture.run(p), plan));
      } catch (e) {
        results.push({ label: plan.label, inputs: [], variants: [], checks: [], adapter: '', error: e instanceof Error ? e.message : String(e) });
      }
      await page.close();
    }
  } finally {
    await browser?.close();
    await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
  }
  const loadAfter = loadavg();

  const rows = results.flatMap((r) => r.variants.map((v) => summarize(r, v)));
  const engaged = Object.fromEntries(
    results.map((r) => {
      const mine = rows.filter((s) => s.model === r.label);
      const capturing = r.variants.map((v) => v.name).filter((n) => n !== 'plain' && n !== 'static');
      return [r.label, r.error ? { error: r.error } : Object.fromEntries(capturing.map((n) => [n, engagement(mine, n)]))];
    }),
  );
  const table = [
    '| model | session | created | 1st run ms | 2nd run ms | median ms/step (p10–p90) | median run() ms | bind groups / writes / dispatches per step | max abs diff vs plain | out_sample returned |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (s) =>
        `| ${basename(dirname(dirname(s.model)))} | ${s.variant} | ${s.created ? `yes (${f1(s.createMs)} ms)` : 'no'} | ${f1(s.firstDoneMs)} | ${f1(s.secondDoneMs)} | ` +
        `${f1(s.medianDoneMs)} (${f1(s.p10DoneMs)}–${f1(s.p90DoneMs)}) | ${f1(s.medianRunMs)} | ` +
        `${s.runs ? `${s.perRun.bindGroups} / ${s.perRun.writes} / ${s.perRun.dispatches}` : '—'} | ${s.variant === 'plain' ? '(reference)' : sci(s.maxDiffVsPlain)} | ${s.outputs} |`,
    ),
  ].join('\n');
  const checkTables = results
    .filter((r) => r.checks.length)
    .map((r) => {
      const others = r.variants.map((v) => v.name).filter((n) => n !== 'plain');
      return [
        `\n${basename(dirname(dirname(r.label)))} — out_sample, every session fed the same values through its own bound buffers (max abs diff vs plain / vs the same session's previous check):`,
        `| check | max abs out (plain) | plain vs previous | ${others.join(' | ')} |`,
        `|---|---:|---:|${others.map(() => '---:|').join('')}`,
        ...r.checks.map(
          (c) =>
            `| ${c.name} | ${c.plainMaxAbs.toFixed(3)} | ${sci(c.vsPrevious.plain)} | ${others.map((n) => `${sci(c.vsPlain[n])} / ${sci(c.vsPrevious[n])}`).join(' | ')} |`,
        ),
      ].join('\n');
    })
    .join('\n');
  // ORT's own words about capture, placement and CPU fallbacks, from the console.
  for (const r of results)
    r.placement = Object.fromEntries(
      ['static', 'capture'].map((n) => [n, placementLines(logs.filter((l) => l.phase === `${r.label} placement ${n}`).map((l) => l.text))]),
    );
  const relevant = logs
    .filter((l) => !/ placement \w+$/.test(l.phase))
    .filter((l) => /capture|replay|placed|assigned|Memcpy|CPUExecutionProvider|error|warn/i.test(l.text) || l.type === 'error' || l.type === 'warning');

  console.log(`\nChromium ${CHROMIUM_PATH} · adapter: ${results.map((r) => r.adapter).find(Boolean) ?? 'unknown'} · rounds ${rounds}`);
  console.log(`loadavg before ${loadBefore} · after ${loadAfter} · ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  console.log(table);
  for (const r of results)
    if (r.warmup)
      console.log(
        `\n${r.label}: ${r.rounds} timed rounds; warm-up session (opened first: wasm, device, shared pipelines) created in ${f1(r.warmup.createMs)} ms, first run ${f1(r.warmup.firstRun.doneMs)} ms`,
      );
  console.log(checkTables);
  for (const r of results)
    for (const [n, lines] of Object.entries(r.placement ?? {}))
      console.log(
        `\n${r.label} node placement, ${n} session (ORT verbose log):\n${lines.map((l) => `    ${l}`).join('\n') || '    (no placement lines seen)'}`,
      );
  console.log('\nCapture:');
  for (const [label, e] of Object.entries(engaged)) for (const [variant, what] of Object.entries(e)) console.log(`- ${label} ${variant}: ${what}`);
  if (relevant.length) {
    // One line per distinct message (timestamps and colours dropped), with the phases it came up in.
    const distinct = new Map<string, Set<string>>();
    for (const l of relevant) {
      const text = `${l.type}: ${l.text
        .replace(/\x1b\[[0-9;]*m/g, '')
        .replace(/\d{4}-\d\d-\d\d [\d:.]+ /, '')
        .trim()}`.slice(0, 400);
      distinct.set(text, (distinct.get(text) ?? new Set()).add(l.phase.replace(/^\S+ /, '')));
    }
    console.log('\nORT console lines (warnings, errors), each once:');
    for (const [text, phases] of [...distinct].slice(0, 30)) console.log(`- ${text} [${[...phases].join('; ')}]`);
  }
  await mkdir(dirname(resolve(values.out!)), { recursive: true });
  const report = {
    date: new Date().toISOString(),
    chromium: CHROMIUM_PATH,
    flags: CHROMIUM_FLAGS,
    ort: JSON.parse(readFileSync(join(ROOT, 'node_modules/onnxruntime-web/package.json'), 'utf8')).version,
    rounds,
    loadavg: { before: loadBefore, after: loadAfter },
    engaged,
    summary: rows,
    results,
    logs: relevant,
  };
  // Formatted as the repository's prettier check expects, so a committed report stays lint-clean.
  const json = await format(JSON.stringify(report), { ...(await resolveConfig(resolve(values.out!))), parser: 'json' });
  await writeFile(values.out!, json);
  console.log(`\nwrote ${values.out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
