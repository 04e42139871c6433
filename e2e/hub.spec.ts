/**
 * Models from the Hub, end to end in Chromium, against a local Hub emulator (tests/helpers/
 * hub-emulator.ts: resolve → 302 to a second "CDN" origin, CORS, Range, the tree API, faults):
 * pick a catalogue entry → it says whether it fits → progress → an image; reload with the network
 * off → it opens from OPFS; a cut download resumes with Range; corrupted bytes are re-fetched; a
 * full quota says so and leaves nothing a later load would trust; delete frees the space.
 * One project only (wasm): downloads do not depend on the backend, and SwiftShader is slow.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { startHubEmulator, type HubEmulator } from '../tests/helpers/hub-emulator';
import { materialiseReplicaRepos } from '../tests/helpers/catalog-replicas';
import { LOOP, pixelSpread, StudioPage } from './studio-page';

// The shell must come from the service worker when the network is off.
test.use({ serviceWorkers: 'allow' });

const ENTRY = 'sd-turbo';
/** A plain repo for the fault tests: the diffusers-script replica, U-Net weights in unet/weights.pb (LFS). */
const PLAIN = 'lantern-test/sd15-script';
const PLAIN_WEIGHTS = 'unet/weights.pb';
const GATED = 'lantern-test/gated';
const TOKEN = 'hf_lantern_e2e_token';

let hub: HubEmulator;
let dir: string;
let entryRepo: string;
/** SD 1.5 + scribble: files from two repos (TensorStack's SD 1.5 with its residual U-Net, and ControlNet-onnx's SD/Scribble). */
const SCRIBBLE = 'sd15-scribble';
let scribbleRepos: string[];

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lantern-hub-e2e-'));
  const entry = await materialiseReplicaRepos(ENTRY, dir);
  entryRepo = entry.repos[0].id;
  // SD 1.5 first: its unet/ lands in the same repo folder, so the scribble download must leave it out.
  await materialiseReplicaRepos('sd15', dir);
  const scribble = await materialiseReplicaRepos(SCRIBBLE, dir);
  scribbleRepos = scribble.repos.map((r) => r.id);
  hub = await startHubEmulator({
    repos: [
      ...entry.repos,
      ...scribble.repos,
      { id: PLAIN, folder: 'models/fixtures/replicas/diffusers-script-sd15' },
      { id: GATED, folder: 'models/fixtures/replicas/diffusers-script-sd15', token: TOKEN },
    ],
    lfsThreshold: 50_000,
  });
});

test.afterAll(async () => {
  await hub?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.beforeEach(() => {
  test.skip(test.info().project.name !== 'no-webgpu', 'one project is enough: downloads do not depend on the backend');
  hub.clearFaults();
  hub.throttle(null);
  hub.clearLog();
});

/** `model`: start from a small fixture instead of the embedded model (quicker); null keeps the saved choice, as a user's reload does. */
async function openStudio(page: Page, model: string | null = '/models/fixtures/tiny-sd/') {
  const q = new URLSearchParams({ backend: 'wasm', hub: hub.endpoint, ...(model ? { model } : {}) });
  await page.goto(`/?${q}`);
  await expect(page.getByTestId('backend-in-use')).toBeVisible({ timeout: 150_000 });
  await expect(page.getByTestId('generate')).toBeEnabled();
}

async function openPicker(page: Page) {
  if ((await page.getByTestId('model-picker').count()) === 0) await page.getByTestId('open-models').click();
  await expect(page.getByTestId('model-picker')).toBeVisible();
}

/** Opens a Hub repo by name and waits for the download plan. */
async function planRepo(page: Page, repo: string) {
  await openPicker(page);
  await page.getByTestId('hub-repo').fill(repo);
  await page.getByTestId('hub-repo-open').click();
  await expect(page.getByTestId('download-plan')).toBeVisible();
}

async function downloadAndWait(page: Page) {
  await page.getByTestId('download-start').click();
  await expect(page.getByTestId('download-summary')).toContainText('downloaded', { timeout: 60_000 });
  await expect(page.getByTestId('generate')).toBeEnabled({ timeout: 60_000 });
}

async function generateImage(page: Page) {
  const studio = new StudioPage(page);
  await studio.configure({ prompt: 'a red circle', seed: 3 });
  const rgba = await studio.generateAndRead();
  expect(pixelSpread(rgba)).toBeGreaterThan(1);
  return rgba;
}

async function storageUsage(page: Page): Promise<number> {
  return page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
}

test('a catalogue model: fits?, download with progress, an image; then offline from OPFS', async ({ page, context }) => {
  await openStudio(page, null);
  await openPicker(page);
  const card = page.getByTestId(`catalog-${ENTRY}`);
  await expect(card.getByTestId('catalog-fit')).toBeVisible();
  hub.throttle(400_000);
  await card.getByTestId('catalog-use').click();
  await expect(page.getByTestId('download-fits')).toHaveText('fits');
  await expect(page.getByTestId('download-device-fit')).toContainText('this device:');
  await page.getByTestId('download-start').click();
  await expect(page.getByTestId('download-progress')).toContainText(/MB\/s|kB\/s/);
  await expect(page.getByTestId('download-summary')).toContainText('downloaded', { timeout: 60_000 });
  await expect(page.getByTestId('model-family')).toContainText('SD-Turbo');
  await expect(page.getByTestId('model-in-use')).toContainText(entryRepo);
  const online = await generateImage(page);
  expect(hub.log.some((l) => l.origin === 'cdn')).toBe(true);

  // The network off: the page from the service worker, the model from OPFS, no request to the Hub.
  hub.clearLog();
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId('model-in-use')).toContainText(entryRepo, { timeout: 60_000 });
  await expect(page.getByTestId('model-in-use')).toContainText('cached');
  await expect(page.getByTestId('generate')).toBeEnabled();
  // For the record (not a timed assertion): how long opening from OPFS took.
  console.log(`offline, from OPFS: ${await page.getByTestId('message').textContent()}`);
  expect(await generateImage(page)).toEqual(online);
  expect(hub.log).toEqual([]);
  await context.setOffline(false);
});

test('a catalogue model assembled from two repos downloads both selections and follows the sketch', async ({ page }) => {
  await openStudio(page);
  await openPicker(page);
  await page.getByTestId(`catalog-${SCRIBBLE}`).getByTestId('catalog-use').click();
  await expect(page.getByTestId('download-plan')).toBeVisible();
  await downloadAndWait(page);
  expect(scribbleRepos).toHaveLength(2);
  for (const repo of scribbleRepos) expect(hub.log.filter((l) => l.repo === repo && l.method === 'GET').length).toBeGreaterThan(0);
  // Only the selected files: not the repo's own unet/ or the other ControlNets.
  expect(hub.log.filter((l) => l.method === 'GET' && /\/resolve\/.*\/unet\//.test(l.path))).toEqual([]);
  await expect(page.getByTestId('model-in-use')).toContainText('assembled from');
  const studio = new StudioPage(page);
  await studio.configure({ prompt: 'a red circle', seed: 3, steps: 2 });
  const { plain, sketched } = await studio.plainThenSketched();
  expect(sketched).not.toEqual(plain);
});

test('a cut download resumes with Range; corrupted bytes are detected and fetched again', async ({ page }) => {
  await openStudio(page);
  // Throttled: Chromium drops body bytes still queued when a connection resets, so an unthrottled burst may leave nothing to resume.
  hub.throttle(300_000);
  hub.cutOnce(PLAIN_WEIGHTS, 150_000);
  hub.corruptOnce('text_encoder/model.onnx');
  await planRepo(page, PLAIN);
  await downloadAndWait(page);
  const ranges = hub.rangeRequests(PLAIN_WEIGHTS, { repo: PLAIN });
  // The cut came after 150 000 bytes: the retry asks only for what did not arrive (what arrived, ≤ the cut, stays).
  const starts = ranges.map((r) => Number(/^bytes=(\d+)-/.exec(r.range ?? '')?.[1] ?? -1));
  expect(
    starts.some((n) => n > 0 && n <= 150_000),
    `Range requests: ${ranges.map((r) => r.range).join(', ')}`,
  ).toBe(true);
  expect(hub.fileRequests('text_encoder/model.onnx', { repo: PLAIN, method: 'GET' }).filter((r) => r.status < 300).length).toBe(2);
  await expect(page.getByTestId('model-family')).toContainText('Stable Diffusion');
  await generateImage(page);
});

test('a paused download survives a reload and resumes where it stopped', async ({ page }) => {
  await openStudio(page);
  hub.throttle(60_000);
  await planRepo(page, PLAIN);
  await page.getByTestId('download-start').click();
  // Some bytes in (the line starts with the bytes done), then pause.
  await expect(page.getByTestId('download-progress')).toHaveText(/^[1-9][\d.]* kB \//);
  await page.getByTestId('download-pause').click();
  await expect(page.getByTestId('download-progress')).toContainText('paused');
  await page.reload();
  hub.throttle(null);
  hub.clearLog();
  await planRepo(page, PLAIN);
  await expect(page.getByTestId('download-plan')).toContainText('already here');
  await expect(page.getByTestId('download-start')).toHaveText('Resume');
  await downloadAndWait(page);
  const resumed = hub.log.filter((l) => l.method === 'GET' && l.range && /^bytes=[1-9]\d*-$/.test(l.range));
  expect(resumed.length).toBeGreaterThan(0);
});

test('a full quota gives a clear message and nothing half-written is used; delete frees the space', async ({ page }) => {
  await openStudio(page);
  const origin = new URL(page.url()).origin;
  const cdp = await page.context().newCDPSession(page);
  const before = await storageUsage(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: before + 150_000 });
  try {
    await planRepo(page, PLAIN);
    await page.getByTestId('download-start').click();
    await expect(page.getByTestId('download-error')).toContainText('[storage-full]', { timeout: 60_000 });
    // Nothing complete was recorded: opening it again offers the download, not a broken model.
    await expect(page.getByTestId('cached-model').filter({ hasText: PLAIN })).toContainText('partial');
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  }
  await page.getByTestId('download-start').click();
  await expect(page.getByTestId('download-summary')).toContainText('downloaded', { timeout: 60_000 });
  const full = await storageUsage(page);
  await page.getByTestId('cached-model').filter({ hasText: PLAIN }).getByTestId('cached-delete').click();
  await expect(page.getByTestId('cached-model').filter({ hasText: PLAIN })).toHaveCount(0);
  await expect.poll(() => storageUsage(page)).toBeLessThan(full - 500_000);
});

test('a gated repo asks for a token, and opens with it', async ({ page }) => {
  await openStudio(page);
  await openPicker(page);
  await page.getByTestId('hub-repo').fill(GATED);
  await page.getByTestId('hub-repo-open').click();
  await expect(page.getByTestId('download-error')).toContainText(/gated or private.*Hub settings/);
  await page.getByText('Hub settings', { exact: true }).click();
  await page.getByTestId('hub-token').fill(TOKEN);
  await planRepo(page, GATED);
  await downloadAndWait(page);
  expect(hub.log.filter((l) => l.origin === 'hub' && l.authorization === `Bearer ${TOKEN}`).length).toBeGreaterThan(0);
  expect(hub.log.filter((l) => l.origin === 'cdn' && l.authorization).length).toBe(0);
});

test('a folder on this computer opens in place, and the prompt and sketch stay', async ({ page }) => {
  await openStudio(page);
  const studio = new StudioPage(page);
  await studio.configure({ prompt: 'kept across models' });
  await studio.drawStroke(LOOP);
  const sketch = await studio.canvasPixels('sketch-canvas');
  await openPicker(page);
  await page.getByTestId('local-folder-input').setInputFiles('models/fixtures/replicas/diffusers-script-sd15');
  await expect(page.getByTestId('model-in-use')).toContainText('local folder diffusers-script-sd15', { timeout: 60_000 });
  await expect(page.getByTestId('generate')).toBeEnabled();
  await expect(page.getByTestId('prompt')).toHaveValue('kept across models');
  expect(await studio.canvasPixels('sketch-canvas')).toEqual(sketch);
  await generateImage(page);
});
