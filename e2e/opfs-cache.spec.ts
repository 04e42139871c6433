/**
 * The OPFS cache in real Chromium, below the UI: lib/worker/cache.worker.ts bundled (esbuild,
 * which ships with tsx) into a blob module worker on the studio's origin, driven by its typed
 * protocol against the local Hub emulator (302 to a "CDN" origin, CORS, Range, faults).
 * Proves sync-access-handle writes, a cut resumed with Range, corrupted bytes re-fetched, a
 * full quota (CDP Storage.overrideQuotaForOrigin: Chromium's write() then returns fewer bytes)
 * answered as storage-full with nothing a later load would trust, and openCachedSnapshot reading
 * the cached files as OPFS `File`s in another worker.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { expect, test, type Page } from '@playwright/test';
import type { CacheEvent, HubModelRef } from '../lib/worker/cache-protocol';
import { startHubEmulator, type HubEmulator } from '../tests/helpers/hub-emulator';

const REPO = 'lantern-test/optimum-sd-turbo';
const FOLDER = 'models/fixtures/replicas/optimum-sd-turbo';
/** 267 kB: over the LFS threshold, so it comes from the CDN origin and is checked by sha256. */
const UNET = 'unet/model.onnx';
/** 93 kB: under the threshold, served by the Hub itself and checked by its git blob sha1. */
const TEXT_ENCODER = 'text_encoder/model.onnx';
const HARNESS = '/icon.svg';

let hub: HubEmulator;
let cacheWorker: string;
let readerWorker: string;

async function bundle(options: Parameters<typeof build>[0]): Promise<string> {
  const out = await build({ bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent', ...options });
  return out.outputFiles![0].text;
}

test.beforeAll(async () => {
  hub = await startHubEmulator({ repos: [{ id: REPO, folder: FOLDER }], lfsThreshold: 100_000 });
  cacheWorker = await bundle({ entryPoints: ['lib/worker/cache.worker.ts'] });
  // Any worker may open a cached snapshot read-only: this one only reads.
  readerWorker = await bundle({
    stdin: {
      resolveDir: process.cwd(),
      loader: 'ts',
      contents: `
        import { openCachedSnapshot } from './lib/hub/cache-source';
        self.onmessage = async (e) => {
          try {
            const source = await openCachedSnapshot(e.data.key);
            const blob = source.locate(e.data.path).blob;
            const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
            const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
            self.postMessage({ ok: true, isFile: blob instanceof File, size: blob.size, sha256, names: await source.list('unet') });
          } catch (err) {
            self.postMessage({ ok: false, code: err.code, file: err.file, message: err.message });
          }
        };`,
    },
  });
});

test.afterAll(async () => {
  await hub?.stop();
});

test.beforeEach(() => {
  test.skip(test.info().project.name !== 'no-webgpu', 'one project is enough: OPFS does not depend on the GPU backend');
  hub.clearFaults();
  hub.throttle(null);
  hub.clearLog();
});

const sha256 = (path: string) =>
  createHash('sha256')
    .update(readFileSync(`${FOLDER}/${path}`))
    .digest('hex');

/**
 * A page on the studio's origin running the bundled cache worker. A small file the static server
 * sends (with its COOP/COEP), not a page.route answer: Chromium's Local Network Access treats a
 * document without a server address as public and refuses its requests to the loopback emulator.
 */
async function openHarness(page: Page) {
  await page.goto(HARNESS);
  await page.evaluate(
    ([cacheCode, readerCode]) => {
      const url = (code: string) => URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
      const w = window as unknown as Record<string, unknown>;
      const worker = new Worker(url(cacheCode), { type: 'module' });
      const final = new Set(['plan', 'download-done', 'paused', 'cancelled', 'found', 'models', 'deleted', 'persisted', 'error']);
      const waiting = new Map<string, (e: CacheEvent) => void>();
      const events: CacheEvent[] = [];
      let n = 0;
      worker.onmessage = (e: MessageEvent<CacheEvent>) => {
        events.push(e.data);
        if (final.has(e.data.type)) waiting.get(e.data.id)?.(e.data);
      };
      w.events = events;
      w.send = (body: object) => {
        const id = `e${++n}`;
        w[`done:${id}`] = new Promise((resolve) => waiting.set(id, resolve));
        worker.postMessage({ ...body, id });
        return id;
      };
      w.readerUrl = url(readerCode);
    },
    [cacheWorker, readerWorker],
  );
}

const send = (page: Page, body: object) => page.evaluate((b) => (window as unknown as { send: (b: object) => string }).send(b), body);
const done = (page: Page, id: string) => page.evaluate((i) => (window as unknown as Record<string, Promise<CacheEvent>>)[`done:${i}`], id);
const ask = async (page: Page, body: object) => done(page, await send(page, body));

/** Every file in this origin's OPFS under hub*, with its size. */
const opfsFiles = (page: Page) =>
  page.evaluate(async () => {
    type Dir = FileSystemDirectoryHandle & { entries(): AsyncIterable<[string, FileSystemHandle]> };
    const walk = async (dir: Dir, prefix: string): Promise<Record<string, number>> => {
      let out: Record<string, number> = {};
      for await (const [name, h] of dir.entries()) {
        if (h.kind === 'file') out[prefix + name] = (await (h as FileSystemFileHandle).getFile()).size;
        else out = { ...out, ...(await walk(h as Dir, `${prefix}${name}/`)) };
      }
      return out;
    };
    return walk((await navigator.storage.getDirectory()) as Dir, '');
  });

function readCached(page: Page, key: string, path: string) {
  return page.evaluate(
    ([k, p]) =>
      new Promise<Record<string, unknown>>((resolve) => {
        const worker = new Worker((window as unknown as { readerUrl: string }).readerUrl, { type: 'module' });
        worker.onmessage = (e) => {
          resolve(e.data);
          worker.terminate();
        };
        worker.postMessage({ key: k, path: p });
      }),
    [key, path],
  );
}

test('downloads into OPFS: a cut resumes with Range, corrupted bytes are fetched again, another worker reads the Files', async ({ page }) => {
  await openHarness(page);
  const ref: HubModelRef = { endpoint: hub.endpoint, repo: REPO, revision: 'main', subfolder: '' };
  await ask(page, { type: 'delete-all' });
  // Half a second of bytes before the cut: Chromium drops what is still in its pipe at a reset, so a
  // cut right after a fast burst can leave nothing to resume from.
  hub.throttle(300_000);
  hub.cutOnce(UNET, 150_000);
  hub.corruptOnce(TEXT_ENCODER);

  const plan = await ask(page, { type: 'plan', ref });
  expect(plan, JSON.stringify(plan)).toMatchObject({ type: 'plan', plan: { fits: true } });
  const end = await ask(page, { type: 'download', ref });
  expect(end).toMatchObject({ type: 'download-done', model: { complete: true } });
  if (end.type !== 'download-done' || plan.type !== 'plan') throw new Error('no download');
  expect(end.fetchedBytes).toBe(plan.plan.totalBytes + readFileSync(`${FOLDER}/${TEXT_ENCODER}`).length); // the corrupted file twice, the cut one once
  // One resume, from what reached OPFS before the cut (the chunk in flight at the reset may be lost).
  const ranges = hub.rangeRequests(UNET).map((r) => r.range);
  expect(ranges).toHaveLength(1);
  const from = Number(/^bytes=(\d+)-$/.exec(ranges[0]!)?.[1]);
  expect(from).toBeGreaterThan(0);
  expect(from).toBeLessThanOrEqual(150_000);
  expect(hub.fileRequests(TEXT_ENCODER, { method: 'GET' })).toHaveLength(2);

  // Committed files under their names, no partial left; refs/main holds the commit.
  const files = await opfsFiles(page);
  const snapshot = `hub@${encodeURIComponent(new URL(hub.endpoint).host)}/models--lantern-test--optimum-sd-turbo/snapshots/${end.model.commit}`;
  expect(files[`${snapshot}/${UNET}`]).toBe(readFileSync(`${FOLDER}/${UNET}`).length);
  expect(Object.keys(files).filter((f) => f.endsWith('.incomplete'))).toEqual([]);
  expect(Object.keys(files)).toContain(`hub@${encodeURIComponent(new URL(hub.endpoint).host)}/models--lantern-test--optimum-sd-turbo/refs/main`);

  // Another worker opens the snapshot read-only and gets OPFS Files with the Hub's bytes.
  expect(await readCached(page, end.model.key, UNET)).toEqual({
    ok: true,
    isFile: true,
    size: readFileSync(`${FOLDER}/${UNET}`).length,
    sha256: sha256(UNET),
    names: ['config.json', 'model.onnx'],
  });

  // A new page (a reload) finds it through refs/ without asking the Hub.
  await openHarness(page);
  hub.clearLog();
  expect(await ask(page, { type: 'find', ref })).toMatchObject({ type: 'found', model: { key: end.model.key, complete: true } });
  expect(hub.log).toEqual([]);
});

test('a full quota answers storage-full and leaves no file a later load would trust; with room it resumes; delete frees it', async ({ page, baseURL }) => {
  await openHarness(page);
  const ref: HubModelRef = { endpoint: hub.endpoint, repo: REPO, revision: 'main', subfolder: '' };
  await ask(page, { type: 'delete-all' });
  const origin = new URL(baseURL!).origin;
  const cdp = await page.context().newCDPSession(page);
  const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 120_000 });
  try {
    const end = await ask(page, { type: 'download', ref, concurrency: 1 });
    expect(end).toMatchObject({ type: 'error', code: 'storage-full', file: UNET });
    // Which way Chromium said it: a short write() ("wrote N of M bytes") or a QuotaExceededError.
    if (end.type === 'error') test.info().annotations.push({ type: 'storage-full', description: end.message });
    const files = await opfsFiles(page);
    expect(Object.keys(files).some((f) => f.endsWith(`/${UNET}`))).toBe(false);
    expect(await ask(page, { type: 'find', ref })).toMatchObject({ type: 'found', model: null });
    const listed = await ask(page, { type: 'list' });
    expect(listed).toMatchObject({ type: 'models', models: [{ complete: false }] });
    if (listed.type !== 'models') throw new Error('no list');
    await expect(readCached(page, listed.models[0].key, UNET)).resolves.toMatchObject({ ok: false, code: 'model-missing-file' });
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  }

  // What reached the disk before the quota stopped it stays a partial and is resumed (a write of one
  // big chunk may have stored nothing).
  const partial = (await opfsFiles(page))[Object.keys(await opfsFiles(page)).find((f) => f.endsWith(`/${UNET}.incomplete`)) ?? ''] ?? 0;
  hub.clearLog();
  const resumed = await ask(page, { type: 'download', ref, concurrency: 1 });
  expect(resumed).toMatchObject({ type: 'download-done', model: { complete: true } });
  if (resumed.type !== 'download-done') throw new Error('no download');
  expect(resumed.resumedBytes).toBe(partial);
  expect(hub.rangeRequests(UNET)).toHaveLength(partial > 0 ? 1 : 0);
  expect((await readCached(page, resumed.model.key, UNET)).sha256).toBe(sha256(UNET));

  const before = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  expect(await ask(page, { type: 'delete', key: resumed.model.key })).toMatchObject({ type: 'deleted' });
  expect(Object.keys(await opfsFiles(page)).filter((f) => f.startsWith('hub'))).toEqual([]);
  const after = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  expect(after).toBeLessThan(before);
});

test('pause keeps the partial in OPFS and the next download resumes it', async ({ page }) => {
  await openHarness(page);
  const ref: HubModelRef = { endpoint: hub.endpoint, repo: REPO, revision: 'main', subfolder: '' };
  await ask(page, { type: 'delete-all' });
  hub.throttle(300_000);
  const id = await send(page, { type: 'download', ref, concurrency: 1 });
  await expect
    .poll(() =>
      page.evaluate(
        (i) => (window as unknown as { events: CacheEvent[] }).events.some((e) => e.id === i && e.type === 'download-progress' && e.bytesDone > 0),
        id,
      ),
    )
    .toBe(true);
  await send(page, { type: 'pause', target: id });
  const paused = await done(page, id);
  expect(paused).toMatchObject({ type: 'paused', model: { complete: false } });
  expect(Object.keys(await opfsFiles(page)).some((f) => f.endsWith(`${UNET}.incomplete`))).toBe(true);

  hub.throttle(null);
  hub.clearLog();
  const end = await ask(page, { type: 'download', ref });
  expect(end).toMatchObject({ type: 'download-done', model: { complete: true } });
  expect(hub.rangeRequests(UNET)).toHaveLength(1);
});
