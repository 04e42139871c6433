/**
 * `npx tsx bench/wasm-path.ts`: the studio on wasm, end to end in Debian Chromium (issue #9).
 * For each configuration (a build of the studio × a model × a core count) a fresh page
 * (new context: cold HTTP cache, new worker) opens the model and generates 1 + `--warm` times
 * with the studio's own settings for it, clicking Generate as a user would. Measured:
 *   - load: the worker's `loadMs` (sessions opened), and `ready`: load-model sent → model-ready
 *     received on the page (includes a warm-up where the build runs one);
 *   - per generate: the worker's total and mean U-Net step (timings), the page's wall time
 *     (generate sent → result received), and the main thread's busy time over that span (CDP
 *     Performance.getMetrics TaskDuration / ScriptDuration deltas: what competes with the
 *     worker for the cores while it runs), plus `after`: the same over the next 500 ms (the
 *     result drawn, the history entry written);
 *   - which /ort/ runtime files the worker fetched (which onnxruntime-web build ran).
 * Cores: the diffusion worker's navigator.hardwareConcurrency is overridden through CDP before
 * its first line runs (Target.setAutoAttach, waitForDebuggerOnStart); each build derives its wasm
 * thread count from it by its own rule (before issue #9: min(4, cores); after: cores − 1, ≥ 1), so
 * `--cores 1,2` on the older build compares 1 and 2 threads, and `--cores 2` is this machine as is.
 * Configurations are interleaved round by round; medians are printed per configuration, with
 * /proc/loadavg before and after. Writes the report as JSON (`--out`). Not a test.
 *
 *   npx tsx bench/wasm-path.ts --build after=out [--build before=/path/to/other/out] \
 *     [--model /models/lantern-shapes/] [--model /models/fixtures/tiny-sd/] [--cores 1,2] \
 *     [--rounds 3] [--warm 4] [--port 3410] [--out bench/wasm-path.json]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type CDPSession } from 'playwright-core';
import { CHROMIUM_FLAGS, CHROMIUM_PATH, renderers } from './processes';

const { values } = parseArgs({
  options: {
    build: { type: 'string', multiple: true, default: ['after=out'] },
    model: { type: 'string', multiple: true, default: ['/models/lantern-shapes/', '/models/fixtures/tiny-sd/'] },
    cores: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    warm: { type: 'string', default: '4' },
    port: { type: 'string', default: '3410' },
    out: { type: 'string', default: 'bench/wasm-path.json' },
  },
});

interface Build {
  name: string;
  dir: string;
  origin: string;
}
interface Config {
  build: Build;
  model: string;
  cores: number;
}
interface GenerateSample {
  totalMs: number;
  /** The worker's timings: text encoder, each U-Net step, VAE (ms). */
  textEncoderMs: number;
  unetStepMs: number[];
  vaeMs: number;
  msPerStep: number;
  steps: number;
  wallMs: number;
  mainTaskMs: number;
  mainScriptMs: number;
  afterTaskMs: number;
  /** CPU time of the browser's renderers over the generate (main thread, worker, onnxruntime's threads, V8's compiler threads): steadier than wall time on a busy machine. */
  cpuMs: number;
}
interface Trial {
  config: string;
  round: number;
  loadMs: number;
  readyMs: number;
  warmupMs: number | null;
  runtimeFiles: string[];
  backend: string;
  generates: GenerateSample[];
}

/** What the page reports through the binding: requests sent to the diffusion worker and its final events. */
interface BenchEvent {
  kind: 'sent' | 'event';
  type: string;
  t: number;
  loadMs?: number;
  warmupMs?: number;
  backend?: string;
  timings?: { totalMs: number; unetStepMs: number[]; textEncoderMs: number; vaeMs: number };
}

// Runs in the page before its scripts: wraps Worker so the benchmark sees the diffusion worker's traffic.
const HOOK = `(() => {
  const Native = window.Worker;
  window.Worker = class extends Native {
    constructor(url, opts) {
      super(url, opts);
      if (!opts || opts.name !== 'lantern-diffusion') return;
      const report = (e) => window.__lanternBench(e);
      this.addEventListener('message', (m) => {
        const d = m.data;
        if (d.type === 'model-ready') report({ kind: 'event', type: d.type, t: performance.now(), loadMs: d.info.loadMs, warmupMs: d.info.warmupMs, backend: d.info.backend });
        else if (d.type === 'result') report({ kind: 'event', type: d.type, t: performance.now(), timings: { totalMs: d.timings.totalMs, unetStepMs: d.timings.unetStepMs, textEncoderMs: d.timings.textEncoderMs, vaeMs: d.timings.vaeMs } });
        else if (d.type === 'error' || d.type === 'cancelled') report({ kind: 'event', type: d.type, t: performance.now() });
      });
      const post = this.postMessage.bind(this);
      this.postMessage = (msg, transfer) => {
        if (msg && (msg.type === 'load-model' || msg.type === 'generate')) report({ kind: 'sent', type: msg.type, t: performance.now() });
        return post(msg, transfer);
      };
    }
  };
})();`;

const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r1 = (x: number) => Math.round(x * 10) / 10;
/** utime + stime of a process, ms (Linux: /proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}
const TAG = `--lantern-bench-wasm-path=${process.pid}`;
let browserPid = 0;
const rendererCpuMs = () => renderers(browserPid).reduce((sum, pid) => sum + cpuMsOf(pid), 0);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** The diffusion worker sees `cores` cores; every other worker starts untouched. */
async function overrideCores(cdp: CDPSession, cores: number): Promise<void> {
  let id = 0;
  const toTarget = (sessionId: string, method: string, params: object = {}) =>
    cdp.send('Target.sendMessageToTarget' as never, { sessionId, message: JSON.stringify({ id: ++id, method, params }) } as never);
  cdp.on(
    'Target.attachedToTarget' as never,
    ((e: { sessionId: string; targetInfo: { type: string; title: string; url: string } }) => {
      void (async () => {
        if (e.targetInfo.type === 'worker' && (e.targetInfo.title === 'lantern-diffusion' || e.targetInfo.url.includes('diffusion.worker'))) {
          await toTarget(e.sessionId, 'Runtime.evaluate', {
            expression: `Object.defineProperty(WorkerNavigator.prototype, 'hardwareConcurrency', { get: () => ${cores}, configurable: true })`,
          });
        }
        await toTarget(e.sessionId, 'Runtime.runIfWaitingForDebugger');
      })();
    }) as never,
  );
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: false });
}

async function metrics(cdp: CDPSession): Promise<{ task: number; script: number }> {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  const get = (name: string) => (list.find((m) => m.name === name)?.value ?? 0) * 1000;
  return { task: get('TaskDuration'), script: get('ScriptDuration') };
}

async function trial(browser: Browser, config: Config, round: number, warm: number): Promise<Trial> {
  const context = await browser.newContext({ serviceWorkers: 'block', viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    const events: BenchEvent[] = [];
    let wake: (() => void) | null = null;
    await page.exposeBinding('__lanternBench', (_source, e: BenchEvent) => {
      events.push(e);
      wake?.();
    });
    await page.addInitScript(HOOK);
    const runtimeFiles = new Set<string>();
    context.on('request', (req) => {
      const path = new URL(req.url()).pathname;
      if (path.startsWith('/ort/')) runtimeFiles.add(path.slice(5));
    });
    page.on('console', (m) => m.type() === 'error' && console.error('[page]', m.text()));
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    await overrideCores(cdp, config.cores);

    const next = async (type: string, from: number, timeout = 300_000) => {
      const deadline = Date.now() + timeout;
      for (;;) {
        const found = events.slice(from).find((e) => e.kind === 'event' && (e.type === type || e.type === 'error' || e.type === 'cancelled'));
        if (found) {
          if (found.type !== type) throw new Error(`${config.build.name} ${config.model}: ${found.type} while waiting for ${type}`);
          return found;
        }
        if (Date.now() > deadline) throw new Error(`no ${type} within ${timeout} ms`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 1000);
        });
      }
    };

    await page.goto(`${config.build.origin}/?${new URLSearchParams({ backend: 'wasm', model: config.model })}`);
    const ready = await next('model-ready', 0);
    const sent = events.find((e) => e.kind === 'sent' && e.type === 'load-model');
    await page.getByTestId('generate').waitFor({ state: 'visible' });
    await page.waitForFunction(() => !(document.querySelector('[data-testid="generate"]') as HTMLButtonElement | null)?.disabled);
    // Let the page settle (fonts, the history gallery's first read) before measuring its main thread.
    await page.waitForTimeout(500);

    const generates: GenerateSample[] = [];
    for (let i = 0; i <= warm; i++) {
      const from = events.length;
      const before = await metrics(cdp);
      const cpuBefore = rendererCpuMs();
      await page.getByTestId('generate').click();
      const result = await next('result', from);
      const during = await metrics(cdp);
      const cpuMs = rendererCpuMs() - cpuBefore;
      await page.waitForTimeout(500);
      const after = await metrics(cdp);
      const start = events.slice(from).find((e) => e.kind === 'sent' && e.type === 'generate');
      const steps = result.timings!.unetStepMs;
      generates.push({
        totalMs: result.timings!.totalMs,
        textEncoderMs: result.timings!.textEncoderMs,
        unetStepMs: steps.map(Math.round),
        vaeMs: result.timings!.vaeMs,
        msPerStep: steps.reduce((a, b) => a + b, 0) / Math.max(1, steps.length),
        steps: steps.length,
        wallMs: start ? result.t - start.t : NaN,
        mainTaskMs: during.task - before.task,
        mainScriptMs: during.script - before.script,
        afterTaskMs: after.task - during.task,
        cpuMs,
      });
      await page.waitForFunction(() => !(document.querySelector('[data-testid="generate"]') as HTMLButtonElement | null)?.disabled);
    }
    return {
      config: label(config),
      round,
      loadMs: ready.loadMs ?? NaN,
      readyMs: sent ? ready.t - sent.t : NaN,
      warmupMs: ready.warmupMs ?? null,
      runtimeFiles: [...runtimeFiles].sort(),
      backend: ready.backend ?? '?',
      generates,
    };
  } finally {
    await context.close();
  }
}

const label = (c: Config) => `${c.build.name} ${c.model.replace(/^\/models\/(fixtures\/)?/, '').replace(/\/$/, '')} ${c.cores}c`;

function serve(dir: string, port: number): ChildProcess {
  return spawn(process.execPath, ['scripts/serve-static.mjs', '--dir', dir, '--port', String(port), '--host', '127.0.0.1'], {
    stdio: 'ignore',
    detached: true,
  });
}

async function waitFor(origin: string) {
  for (let waited = 0; ; waited += 250) {
    if (
      await fetch(origin).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    if (waited > 20_000) throw new Error(`no server on ${origin}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main() {
  const basePort = Number(values.port);
  const builds: Build[] = values.build!.map((b, i) => {
    const [name, dir] = b.includes('=') ? [b.slice(0, b.indexOf('=')), b.slice(b.indexOf('=') + 1)] : [b, b];
    return { name, dir, origin: `http://127.0.0.1:${basePort + i}` };
  });
  const cores = values.cores!.split(',').map(Number);
  const configs: Config[] = builds.flatMap((build) => values.model!.flatMap((model) => cores.map((n) => ({ build, model, cores: n }))));
  const rounds = Number(values.rounds);
  const warm = Number(values.warm);
  const servers = builds.map((b, i) => serve(b.dir, basePort + i));
  const load = { before: loadavg(), after: '' };
  const trials: Trial[] = [];
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [TAG, ...CHROMIUM_FLAGS] });
  try {
    // The browser's main process carries our tag (its children do not inherit it).
    browserPid = Number(execFileSync('pgrep', ['-o', '-f', '--', TAG], { encoding: 'utf8' }).trim());
    for (const b of builds) await waitFor(b.origin);
    for (let round = 0; round < rounds; round++) {
      // Rotate the order each round, so no configuration always runs first (or right after the heaviest).
      const order = configs.map((_, i) => configs[(i + round) % configs.length]);
      for (const config of order) {
        const t = await trial(browser, config, round, warm);
        trials.push(t);
        const [first, ...rest] = t.generates;
        console.log(
          `round ${round} ${t.config.padEnd(28)} load ${Math.round(t.loadMs)} ms, ready ${Math.round(t.readyMs)} ms` +
            `${t.warmupMs !== null ? ` (warm-up ${Math.round(t.warmupMs)})` : ''}, first ${Math.round(first.totalMs)} ms, warm ${Math.round(median(rest.map((g) => g.totalMs)))} ms, ` +
            `cpu ${Math.round(first.cpuMs)}/${Math.round(median(rest.map((g) => g.cpuMs)))} ms, main ${Math.round(median(t.generates.map((g) => g.mainTaskMs)))} ms · ${t.runtimeFiles.join(' ')} · ${loadavg()}`,
        );
      }
    }
  } finally {
    await browser.close();
    for (const s of servers) if (s.pid !== undefined) process.kill(-s.pid, 'SIGTERM');
  }
  load.after = loadavg();

  const summary = configs.map((c) => {
    const mine = trials.filter((t) => t.config === label(c));
    const firsts = mine.map((t) => t.generates[0]);
    const warms = mine.flatMap((t) => t.generates.slice(1));
    const all = mine.flatMap((t) => t.generates);
    const firstTotal = median(firsts.map((g) => g.totalMs));
    const warmTotal = median(warms.map((g) => g.totalMs));
    return {
      config: label(c),
      'load ms': Math.round(median(mine.map((t) => t.loadMs))),
      'ready ms': Math.round(median(mine.map((t) => t.readyMs))),
      'first ms': Math.round(firstTotal),
      'first ms/step': r1(median(firsts.map((g) => g.msPerStep))),
      'warm ms': Math.round(warmTotal),
      'warm ms/step': r1(median(warms.map((g) => g.msPerStep))),
      'first/warm': +(firstTotal / warmTotal).toFixed(2),
      'first cpu ms': Math.round(median(firsts.map((g) => g.cpuMs))),
      'warm cpu ms': Math.round(median(warms.map((g) => g.cpuMs))),
      'main busy ms': Math.round(median(all.map((g) => g.mainTaskMs))),
      'main script ms': Math.round(median(all.map((g) => g.mainScriptMs))),
      'main after ms': Math.round(median(all.map((g) => g.afterTaskMs))),
      'wall ms': Math.round(median(warms.map((g) => g.wallMs))),
      steps: all[0]?.steps ?? 0,
      runtime: [...new Set(mine.flatMap((t) => t.runtimeFiles))].join(' '),
    };
  });
  console.table(summary.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => k !== 'runtime'))));
  for (const s of summary) console.log(`${s.config}: ${s.runtime}`);
  console.log(`loadavg before ${load.before} · after ${load.after} · ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores`);
  const report = {
    date: new Date().toISOString(),
    settings: { builds, models: values.model, cores, rounds, warm },
    machine: {
      loadavg: load,
      cores: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
      chromium: execFileSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8' }).trim(),
    },
    summary,
    trials,
  };
  writeFileSync(values.out!, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`→ ${values.out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
