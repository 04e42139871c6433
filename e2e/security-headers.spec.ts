/**
 * The security headers scripts/serve-static.mjs sends (scripts/csp.mjs): a Content-Security-Policy
 * that allows Next's inline scripts by hash, wasm compilation and connect-src to self and the Hub
 * origins only (here `--hub 'http://127.0.0.1:*'`, playwright.config.ts), with nosniff and no
 * framing. The studio must open a model and generate under it without one violation, in the page
 * or in its workers; a fetch elsewhere must be blocked, in both; and the Hub settings must warn
 * about an endpoint the policy blocks. On a host that sends no headers (`--plain`), the service
 * worker must add the same policy. One project only: headers do not depend on the GPU.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { expect, test, type Page, type Worker } from '@playwright/test';
import { StudioPage } from './studio-page';

interface Violation {
  where: string;
  directive: string;
  blocked: string;
}
type Recorder = { __csp?: Violation[] };

/** Records every securitypolicyviolation of the page (from its first script on) in window.__csp. */
async function recordViolations(page: Page) {
  await page.addInitScript(() => {
    const seen: Violation[] = [];
    (window as Recorder).__csp = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push({ where: 'page', directive: e.effectiveDirective, blocked: e.blockedURI }));
  });
}

/** The same in a worker, as soon as it appears (onnxruntime's pthreads in /ort/ block in Atomics.wait and cannot be evaluated in). */
async function recordInWorker(worker: Worker) {
  if (new URL(worker.url()).pathname.startsWith('/ort/')) return;
  await worker
    .evaluate(() => {
      const seen: Violation[] = [];
      (self as Recorder).__csp = seen;
      self.addEventListener('securitypolicyviolation', (e) =>
        seen.push({ where: self.name || 'worker', directive: e.effectiveDirective, blocked: e.blockedURI }),
      );
    })
    .catch(() => {}); // a worker that is gone already has nothing to report
}

const read = () => (globalThis as Recorder).__csp ?? [];
const violationsIn = (target: Page | Worker): Promise<Violation[]> => ('mainFrame' in target ? target.evaluate(read) : target.evaluate(read));

test.beforeEach(() => {
  test.skip(test.info().project.name !== 'webgpu', 'headers do not depend on the GPU');
});

test('the studio page and its assets carry the policy, nosniff and frame protection', async ({ request }) => {
  const page = await request.get('/');
  const headers = page.headers();
  const csp = headers['content-security-policy'];
  expect(csp).toBeTruthy();
  const directives = new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([name, ...sources]) => [name, sources] as const),
  );
  expect(directives.get('connect-src')).toEqual(["'self'", 'http://127.0.0.1:*']);
  expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
  expect(directives.get('object-src')).toEqual(["'none'"]);
  expect(directives.get('script-src')).toEqual(expect.arrayContaining(["'self'", "'wasm-unsafe-eval'"]));
  expect(csp).not.toContain("'unsafe-eval'");
  expect(directives.get('script-src')).not.toContain("'unsafe-inline'");
  // Every inline script Next wrote into the page is allowed by its hash.
  const inline = [...(await page.text()).matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)].filter((m) => !/\ssrc=/.test(m[1])).map((m) => m[2]);
  expect(inline.length).toBeGreaterThan(0);
  for (const body of inline) expect(directives.get('script-src')).toContain(`'sha256-${createHash('sha256').update(body).digest('base64')}'`);
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['referrer-policy']).toBeTruthy();
  expect(headers['cross-origin-embedder-policy']).toBe('require-corp');
  // Workers take the policy their script arrives with: every answer carries it.
  const runtime = await request.head('/ort/ort-wasm-simd-threaded.asyncify.mjs');
  expect(runtime.headers()['content-security-policy']).toBe(csp);
});

test('the studio opens a model and generates without a policy violation; other origins are blocked, in the page and its worker', async ({ page }) => {
  await recordViolations(page);
  page.on('worker', (w) => void recordInWorker(w));
  const messages: string[] = [];
  page.on('console', (m) => /Content Security Policy/i.test(m.text()) && messages.push(m.text()));

  const studio = new StudioPage(page);
  await studio.open({ backend: 'wasm' });
  await studio.configure({ steps: 2 });
  await studio.generate();
  await studio.waitForResult();

  const workers = page.workers().filter((w) => !new URL(w.url()).pathname.startsWith('/ort/'));
  expect(workers.length, 'the diffusion worker is running').toBeGreaterThan(0);
  expect(await violationsIn(page)).toEqual([]);
  for (const w of workers) expect(await violationsIn(w)).toEqual([]);
  expect(messages).toEqual([]);

  // Not in connect-src: refused before a request is made (TypeError), and reported as a violation.
  const elsewhere = 'http://127.0.0.2:9/blocked';
  const attempt = (url: string) =>
    fetch(url).then(
      () => 'fetched',
      (e: Error) => e.name,
    );
  expect(await page.evaluate(attempt, elsewhere)).toBe('TypeError');
  await expect.poll(() => violationsIn(page)).toEqual([{ where: 'page', directive: 'connect-src', blocked: elsewhere }]);
  const worker = workers[0];
  expect(await worker.evaluate(attempt, elsewhere)).toBe('TypeError');
  await expect.poll(async () => (await violationsIn(worker)).map((v) => [v.directive, v.blocked])).toEqual([['connect-src', elsewhere]]);
});

test('the Hub settings warn about an endpoint the policy blocks', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open({ backend: 'wasm' });
  if ((await page.getByTestId('model-picker').count()) === 0) await page.getByTestId('open-models').click();
  await page.getByText('Hub settings', { exact: true }).click();
  const endpoint = page.getByTestId('hub-endpoint');
  // The default, https://huggingface.co, is not in this server's connect-src (only the emulator's 127.0.0.1 is).
  await expect(page.getByTestId('hub-endpoint-blocked')).toContainText('https://huggingface.co');
  await endpoint.fill('http://127.0.0.1:4321');
  await expect(page.getByTestId('hub-endpoint-blocked')).toHaveCount(0);
  await endpoint.fill('https://hf-mirror.example');
  await expect(page.getByTestId('hub-endpoint-blocked')).toContainText('https://hf-mirror.example');
});

test.describe('a host that sends no headers', () => {
  test.use({ serviceWorkers: 'allow' });

  test('the service worker adds the policy baked in at build time', async ({ page }) => {
    const child = spawn(process.execPath, ['scripts/serve-static.mjs', '--dir', 'out', '--plain', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const origin = await new Promise<string>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`serve-static exited with ${code}`)));
        createInterface({ input: child.stdout! }).on('line', (line) => {
          const url = line.match(/^serving \S+ on (http:\/\/\S+?)\/ /)?.[1];
          if (url) resolve(url);
        });
      });
      expect((await page.request.get(`${origin}/`)).headers()['content-security-policy'], 'the server must be plain').toBeUndefined();
      await recordViolations(page);
      // The worker takes control and the page reloads once (see e2e/static-export.spec.ts).
      await page.goto(`${origin}/?backend=wasm`);
      await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null && crossOriginIsolated), { timeout: 60_000 }).toBe(true);
      const headers = await page.evaluate(async () => {
        const res = await fetch(location.pathname, { method: 'HEAD', cache: 'no-store' });
        return { csp: res.headers.get('content-security-policy'), nosniff: res.headers.get('x-content-type-options') };
      });
      // Built with the default Hub origins (no LANTERN_HUB_ORIGINS).
      expect(headers.csp).toContain("connect-src 'self' https://huggingface.co https://*.huggingface.co");
      expect(headers.nosniff).toBe('nosniff');
      expect(
        await page.evaluate(() =>
          fetch('http://127.0.0.2:9/blocked').then(
            () => 'fetched',
            (e: Error) => e.name,
          ),
        ),
      ).toBe('TypeError');
      await expect.poll(() => violationsIn(page)).toContainEqual({ where: 'page', directive: 'connect-src', blocked: 'http://127.0.0.2:9/blocked' });
    } finally {
      child.kill();
    }
  });
});
