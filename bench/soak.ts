/**
 * `npm run bench:soak`: many generations in one studio page, to show that memory stays flat (no
 * leak per run, history on). Serves the static export (out/) with scripts/serve-static.mjs, opens
 * the embedded model in Debian Chromium, clicks Generate `--runs` times waiting for each result,
 * and every `--every` runs samples: the renderer's resident set (VmRSS from /proc: dedicated
 * workers and their wasm heaps live in the page's renderer process), the JS heap of the page and
 * of each worker (CDP Runtime.getHeapUsage, after a forced GC so garbage is not counted), and the
 * number of history items on the page. Prints a table and a verdict; writes bench/soak.json.
 * Not a test: nothing fails on a number.
 *   npm run bench:soak -- [--runs 100] [--every 10] [--steps 4] [--backend wasm|webgpu] [--port 3210] [--no-server]
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chromium, type CDPSession } from 'playwright-core';
import { CHROMIUM_FLAGS, CHROMIUM_PATH, renderers, statusBytes } from './processes';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    every: { type: 'string', default: '10' },
    steps: { type: 'string', default: '4' },
    backend: { type: 'string', default: 'wasm' },
    model: { type: 'string', default: '/models/lantern-shapes/' },
    port: { type: 'string', default: '3210' },
    'no-server': { type: 'boolean', default: false },
    // Growth per `--every` runs below which a series counts as flat (see verdict()).
    'flat-mb': { type: 'string', default: '2' },
    out: { type: 'string', default: 'bench/soak.json' },
  },
});
const runs = Number(values.runs);
const every = Number(values.every);
const MB = 1024 * 1024;
const mb = (b: number) => +(b / MB).toFixed(1);
const TAG = `--lantern-bench-soak=${process.pid}`;

interface Sample {
  run: number;
  rendererRssMB: number;
  pageHeapMB: number;
  /** Worker name (or URL) → used JS heap. */
  workerHeapMB: Record<string, number>;
  /** Worker name → ArrayBuffer backing stores (tensors, images) outside the JS heap. */
  workerBuffersMB: Record<string, number>;
  historyItems: number | null;
  lastRunMs: number;
}

/** Used heap of every dedicated worker, through the browser's CDP session (Playwright offers no CDP session for a worker). */
async function workerHeaps(browserCdp: CDPSession): Promise<{ heap: Record<string, number>; buffers: Record<string, number> }> {
  const { targetInfos } = (await browserCdp.send('Target.getTargets')) as {
    targetInfos: Array<{ targetId: string; type: string; title: string; url: string }>;
  };
  const out: Record<string, number> = {};
  const buffers: Record<string, number> = {};
  // onnxruntime's pthread workers (/ort/) wait in Atomics.wait between runs and never answer; their memory is the shared wasm heap, in the RSS.
  for (const t of targetInfos.filter((t) => t.type === 'worker' && !new URL(t.url).pathname.startsWith('/ort/'))) {
    // Non-flattened session: messages go through Target.sendMessageToTarget and come back as events.
    const { sessionId } = (await browserCdp.send('Target.attachToTarget', { targetId: t.targetId, flatten: false })) as { sessionId: string };
    let id = 0;
    const call = (method: string) =>
      new Promise<Record<string, number>>((resolve, reject) => {
        const mine = ++id;
        const timer = setTimeout(() => reject(new Error(`${method}: no answer`)), 10_000);
        const onMessage = (e: { sessionId: string; message: string }) => {
          const msg = JSON.parse(e.message) as { id?: number; result?: Record<string, number> };
          if (e.sessionId !== sessionId || msg.id !== mine) return;
          clearTimeout(timer);
          browserCdp.off('Target.receivedMessageFromTarget' as never, onMessage as never);
          resolve(msg.result ?? {});
        };
        browserCdp.on('Target.receivedMessageFromTarget' as never, onMessage as never);
        void browserCdp.send('Target.sendMessageToTarget' as never, { sessionId, message: JSON.stringify({ id: mine, method }) } as never);
      });
    try {
      await call('HeapProfiler.collectGarbage');
      const heap = await call('Runtime.getHeapUsage');
      const name = t.title && !t.title.startsWith('http') ? t.title : new URL(t.url).pathname.split('/').pop()!;
      out[name] = mb(heap.usedSize ?? 0);
      buffers[name] = mb(heap.backingStorageSize ?? 0);
    } catch (err) {
      console.warn(`worker ${t.url}: ${(err as Error).message}`);
    } finally {
      await browserCdp.send('Target.detachFromTarget', { sessionId }).catch(() => {});
    }
  }
  return { heap: out, buffers };
}

/** Least-squares slope of y over x (MB per run). */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const num = xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0);
  const den = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/**
 * Growth per `every` runs from the first sample (run `every`: warm, the first run's one-off
 * allocations done) to the last, as a least-squares slope. Flat below `--flat-mb` (default 2 MB
 * per 10 runs): what a run rightly keeps (its history entry) is tens of KB (measured: page heap
 * +0.15 MB per 10 runs with 60 items), while a leaked working set of a run (a step's tensors, an
 * output canvas) is MBs per run, tens per 10; the renderer's RSS drifts by 1-2 MB per 10 runs on
 * its own (allocator, caches), so the threshold sits just above that.
 */
function verdict(samples: Sample[], pick: (s: Sample) => number) {
  const warm = samples.filter((s) => s.run >= every);
  if (warm.length < 2) return { perEveryMB: null, flat: null, samples: warm.length };
  const perEveryMB = +(
    slope(
      warm.map((s) => s.run),
      warm.map(pick),
    ) * every
  ).toFixed(2);
  return { perEveryMB, flat: Math.abs(perEveryMB) < Number(values['flat-mb']), samples: warm.length };
}

async function main() {
  const origin = `http://127.0.0.1:${values.port}`;
  const server = values['no-server']
    ? null
    : spawn(process.execPath, ['scripts/serve-static.mjs', '--dir', 'out', '--port', values.port!, '--host', '127.0.0.1'], { stdio: 'ignore', detached: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [TAG, ...CHROMIUM_FLAGS] });
  try {
    // The browser's main process carries our tag (its children do not inherit it).
    const browserPid = Number(execFileSync('pgrep', ['-o', '-f', '--', TAG], { encoding: 'utf8' }).trim());
    // No service worker: its shell cache (in another process) is not what is measured.
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && console.error('[page]', m.text()));
    for (let waited = 0; ; waited += 250) {
      if (
        await fetch(origin).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (waited > 20_000) throw new Error(`no server on ${origin}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const t0 = performance.now();
    await page.goto(`${origin}/?${new URLSearchParams({ backend: values.backend!, model: values.model! })}`);
    await page.getByTestId('backend-in-use').waitFor({ timeout: 300_000 });
    await page.getByTestId('generate').waitFor({ state: 'visible' });
    console.log(`studio ready in ${Math.round(performance.now() - t0)} ms on ${await page.getByTestId('backend-in-use').textContent()}`);
    await page.getByTestId('steps').fill(values.steps!);
    const pageCdp = await context.newCDPSession(page);
    const browserCdp = await browser.newBrowserCDPSession();
    // The studio's renderer is the largest one (others: a spare renderer, the omnibox popup).
    const rss = () => Math.max(...renderers(browserPid).map((p) => statusBytes(p, 'VmRSS:')));

    const samples: Sample[] = [];
    const sample = async (run: number, lastRunMs: number) => {
      await pageCdp.send('HeapProfiler.collectGarbage');
      const pageHeap = (await pageCdp.send('Runtime.getHeapUsage')).usedSize;
      const history = await page.getByTestId('history-item').count();
      const workers = await workerHeaps(browserCdp);
      const s: Sample = {
        run,
        rendererRssMB: mb(rss()),
        pageHeapMB: mb(pageHeap),
        workerHeapMB: workers.heap,
        workerBuffersMB: workers.buffers,
        historyItems: history > 0 || run === 0 ? history : null,
        lastRunMs: Math.round(lastRunMs),
      };
      samples.push(s);
      const named = Object.entries(s.workerHeapMB)
        .map(([k, v]) => `${k} ${v} (+${s.workerBuffersMB[k]} buffers)`)
        .join(', ');
      console.log(
        `run ${String(run).padStart(4)}  renderer ${s.rendererRssMB} MB  page heap ${s.pageHeapMB} MB  workers [${named}]  history ${s.historyItems ?? '-'}  last run ${s.lastRunMs} ms`,
      );
    };
    await sample(0, 0);
    for (let run = 1; run <= runs; run++) {
      await page.getByTestId('message').evaluate((el) => (el.textContent = ''));
      const t = performance.now();
      await page.getByTestId('generate').click();
      await page.getByTestId('message').filter({ hasText: 'done in' }).waitFor({ timeout: 600_000 });
      if (run % every === 0 || run === runs) await sample(run, performance.now() - t);
    }

    const worker = (s: Sample) => Math.max(0, ...Object.values(s.workerHeapMB));
    const workerBuffers = (s: Sample) => Math.max(0, ...Object.values(s.workerBuffersMB));
    const report = {
      date: new Date().toISOString(),
      settings: { runs, every, steps: Number(values.steps), backend: values.backend, model: values.model, flatBelowMBPerEvery: Number(values['flat-mb']) },
      machine: {
        loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
        chromium: execFileSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8' }).trim(),
      },
      backendInUse: await page.getByTestId('backend-in-use').textContent(),
      samples,
      growthPerEvery: {
        rendererRssMB: verdict(samples, (s) => s.rendererRssMB),
        pageHeapMB: verdict(samples, (s) => s.pageHeapMB),
        workerHeapMB: verdict(samples, worker),
      },
    };
    console.table(
      samples.map((s) => ({
        run: s.run,
        'renderer RSS MB': s.rendererRssMB,
        'page heap MB': s.pageHeapMB,
        'worker heap MB': worker(s),
        'worker buffers MB': workerBuffers(s),
        history: s.historyItems ?? '-',
        'last run ms': s.lastRunMs,
      })),
    );
    for (const [name, v] of Object.entries(report.growthPerEvery))
      console.log(
        `${name}: ${v.perEveryMB === null ? 'too few samples' : `${v.perEveryMB >= 0 ? '+' : ''}${v.perEveryMB} MB per ${every} runs → ${v.flat ? 'flat' : 'GROWING'}`}`,
      );
    if (report.growthPerEvery.rendererRssMB.samples < 4)
      console.log(
        `only ${report.growthPerEvery.rendererRssMB.samples} samples from run ${every} on: the renderer's RSS moves by a few MB on its own, so use more runs for a verdict`,
      );
    writeFileSync(values.out!, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`→ ${values.out}`);
  } finally {
    await browser.close();
    if (server?.pid !== undefined) process.kill(-server.pid, 'SIGTERM');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
