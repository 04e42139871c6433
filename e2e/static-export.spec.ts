/**
 * The static export (out/) on a host that sends no COOP/COEP: the service worker must make the
 * page and its workers cross-origin isolated, and with the shell cached the studio must reload and
 * generate with the network off. One project only: what is tested is the same on both.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect, test, type Page } from '@playwright/test';
import { FIXTURE_MODEL, pixelSpread, StudioPage } from './studio-page';

test.use({ serviceWorkers: 'allow' });

const UNET = '/models/lantern-shapes/unet/model.onnx';

/** `node scripts/serve-static.mjs --plain` on a free port; `requests` collects what it was asked. */
async function startPlainServer(dir = 'out'): Promise<{ origin: string; requests: string[]; process: ChildProcess }> {
  const child = spawn(process.execPath, ['scripts/serve-static.mjs', '--dir', dir, '--plain', '--port', '0', '--log'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const requests: string[] = [];
  const lines = createInterface({ input: child.stdout! });
  const origin = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`serve-static exited with ${code}`)));
    lines.on('line', (line) => {
      const url = line.match(/^serving \S+ on (http:\/\/\S+?)\/ /)?.[1];
      if (url) resolve(url);
      else requests.push(line);
    });
  });
  return { origin, requests, process: child };
}

/** Loading lantern-shapes on wasm takes about a minute on a 2-core runner, offline from the cache too. */
async function expectStudioReady(page: Page, timeout = 60_000) {
  await expect(page.getByTestId('backend-in-use')).toBeVisible({ timeout });
  await expect(page.getByTestId('generate')).toBeEnabled({ timeout });
}

test('a plain static host: the service worker isolates the page and its worker, and the studio works offline', async ({ page, context }) => {
  test.skip(test.info().project.name !== 'no-webgpu', 'one project is enough: the service worker does not depend on the backend');
  test.setTimeout(360_000);
  const server = await startPlainServer();
  try {
    const home = await page.request.get(`${server.origin}/`);
    expect(home.headers()['cross-origin-embedder-policy'], 'the server must be plain for this test to mean anything').toBeUndefined();
    // What the loader and the runtime need of any static host: sizes by HEAD, ranges, wasm and module MIME types.
    const size = statSync(`out${UNET}`).size;
    expect((await page.request.head(`${server.origin}${UNET}`)).headers()['content-length']).toBe(String(size));
    const range = await page.request.get(`${server.origin}${UNET}`, { headers: { Range: 'bytes=-4' } });
    expect([range.status(), range.headers()['content-range'], (await range.body()).length]).toEqual([206, `bytes ${size - 4}-${size - 1}/${size}`, 4]);
    expect((await page.request.head(`${server.origin}/ort/ort-wasm-simd-threaded.asyncify.wasm`)).headers()['content-type']).toBe('application/wasm');
    expect((await page.request.head(`${server.origin}/ort/ort-wasm-simd-threaded.asyncify.mjs`)).headers()['content-type']).toMatch(/^text\/javascript/);

    // First visit: not isolated; the worker installs, caches the shell, takes control, and the page reloads once.
    // (The tiny fixture here only to be quick: the shell cache holds the embedded model whichever is open.)
    await page.goto(`${server.origin}/?${new URLSearchParams({ backend: 'wasm', model: FIXTURE_MODEL })}`);
    await expect
      .poll(() => page.evaluate(() => window.crossOriginIsolated && navigator.serviceWorker.controller !== null).catch(() => 'reloading'), { timeout: 90_000 })
      .toBe(true);
    expect(await page.evaluate(() => typeof SharedArrayBuffer)).toBe('function');
    await expectStudioReady(page);
    // The diffusion worker (where onnxruntime spawns its threads) is isolated too.
    // (Found by its URL: onnxruntime's own thread workers sit in Atomics.wait and never answer.)
    const diffusionWorker = () => page.workers().find((w) => w.url().includes('turbopack-worker'));
    await expect.poll(() => diffusionWorker()?.url() ?? page.workers().map((w) => w.url())).toContain('turbopack-worker');
    expect(await diffusionWorker()!.evaluate(() => self.crossOriginIsolated && typeof SharedArrayBuffer === 'function')).toBe(true);

    // Network off: the studio page, the runtime and the embedded (default) model all come from the worker's cache.
    const askedBefore = server.requests.length;
    await context.setOffline(true);
    await page.goto(`${server.origin}/?backend=wasm`);
    await expectStudioReady(page, 170_000);
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);

    const studio = new StudioPage(page);
    await studio.configure({ prompt: 'a red circle on a blue background', steps: 4, seed: 7 });
    const rgba = await studio.generateAndRead();
    expect(rgba.length).toBe(64 * 64 * 4);
    expect(pixelSpread(rgba)).toBeGreaterThan(5);
    await expect(page.getByTestId('message')).toContainText('on wasm');

    // HEAD (the loader's size probe) and Range keep working from the cache.
    const probe = await page.evaluate(async (url) => {
      const head = await fetch(url, { method: 'HEAD' });
      const part = await fetch(url, { headers: { Range: 'bytes=10-19' } });
      return {
        head: [head.status, head.headers.get('content-length')],
        part: [part.status, part.headers.get('content-range'), (await part.arrayBuffer()).byteLength],
      };
    }, UNET);
    expect(probe).toEqual({ head: [200, String(size)], part: [206, `bytes 10-19/${size}`, 10] });

    // The browser's own update check of /sw.js is the one request Playwright's offline mode lets through
    // (the worker's fetches are cut: a network-first page would show here); offline for real it just fails.
    const reached = server.requests.slice(askedBefore).filter((line) => !line.startsWith('GET /sw.js '));
    expect(reached, 'nothing but the worker update check may reach the server while offline').toEqual([]);
  } finally {
    await context.setOffline(false);
    server.process.kill();
  }
});

test('a new build installs a new worker, which drops the old shell cache', async ({ page }) => {
  test.skip(test.info().project.name !== 'no-webgpu', 'one project is enough: the service worker does not depend on the backend');
  // A copy of the site to rebuild: hard links, so it is quick; changed files are replaced, never written through.
  const site = mkdtempSync(join(tmpdir(), 'lantern-site-'));
  execFileSync('cp', ['-al', 'out/.', site]);
  const server = await startPlainServer(site);
  const shellCaches = () => page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('lantern-shell-')));
  try {
    await page.goto(`${server.origin}/?${new URLSearchParams({ backend: 'wasm', model: FIXTURE_MODEL })}`);
    await expect
      .poll(() => page.evaluate(() => window.crossOriginIsolated && navigator.serviceWorker.controller !== null).catch(() => 'reloading'), { timeout: 90_000 })
      .toBe(true);
    const [first] = await shellCaches();
    expect(first).toMatch(/^lantern-shell-[0-9a-f]{16}$/);

    // The next build: one shell file changed, the worker script written again as `npm run build` does.
    const page404 = join(site, '404.html');
    writeFileSync(`${page404}.new`, `${readFileSync(page404, 'utf8')}<!-- next build -->`);
    renameSync(`${page404}.new`, page404);
    rmSync(join(site, 'sw.js'));
    execFileSync(process.execPath, ['scripts/write-service-worker.mjs', '--out', site]);
    const version = readFileSync(join(site, 'sw.js'), 'utf8').match(/"version":"([0-9a-f]{16})"/)?.[1];
    expect(`lantern-shell-${version}`).not.toBe(first);

    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
    await expect.poll(shellCaches, { timeout: 60_000 }).toEqual([`lantern-shell-${version}`]);
    const cached404 = await page.evaluate(async (name) => (await (await caches.open(name)).match('/404.html'))?.text(), `lantern-shell-${version}`);
    expect(cached404).toContain('<!-- next build -->');
  } finally {
    server.process.kill();
    rmSync(site, { recursive: true, force: true });
  }
});
