/**
 * A lost WebGPU device in real Chromium (SwiftShader): the worker's test hook (`?test-hooks=1`)
 * destroys the GPUDevice, as a GPU reset would lose it. The next run, and a run in flight,
 * reload the model on a new device and retry once, ending in a result, not an error.
 */
import { expect, test, type Page, type Worker as PageWorker } from '@playwright/test';
import { FIXTURE_MODEL, StudioPage } from './studio-page';
import { ended, eventsOf, sendToWorker, tapDiffusionWorker } from './worker-tap';

/** Sends a generate straight to the worker (ids the UI never used, so the studio ignores the answers). */
async function send(page: Page, id: string, steps: number) {
  await sendToWorker(page, {
    id,
    type: 'generate',
    previews: false,
    params: {
      prompt: 'a red circle',
      negativePrompt: '',
      seed: 7,
      steps,
      guidanceScale: 7.5,
      guidanceRescale: 0,
      scheduler: 'ddim',
      width: 64,
      height: 64,
    },
  });
}

async function hookedWorker(page: Page): Promise<PageWorker> {
  for (const w of page.workers()) if (await w.evaluate(() => '__lanternTest' in self).catch(() => false)) return w;
  throw new Error('no worker with test hooks: was the page opened with ?test-hooks=1?');
}

const destroyDevice = (w: PageWorker) =>
  w.evaluate(() => (self as unknown as { __lanternTest: { destroyGpuDevice(): Promise<boolean> } }).__lanternTest.destroyGpuDevice());

test('a lost WebGPU device is recovered: the model is reloaded on a new device and the run retried', async ({ page }) => {
  test.skip(test.info().project.name !== 'webgpu', 'needs WebGPU');
  test.setTimeout(420_000);
  const modelReads: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes(FIXTURE_MODEL) && r.url().endsWith('.onnx')) modelReads.push(r.url());
  });
  await tapDiffusionWorker(page);
  await page.goto(`/?${new URLSearchParams({ model: FIXTURE_MODEL, backend: 'webgpu', 'test-hooks': '1' })}`);
  const studio = new StudioPage(page);
  await expect(studio.backend()).toHaveText('webgpu');
  await expect(page.getByTestId('generate')).toBeEnabled();
  const readsAtLoad = modelReads.length;
  const worker = await hookedWorker(page);

  // Lost between runs: the next run reloads first, then runs.
  await send(page, 'g1', 2);
  const first = await ended(page, 'g1');
  expect(first).toMatchObject({ type: 'result' });
  expect(await destroyDevice(worker)).toBe(true);
  await send(page, 'g2', 2);
  // Same seed, same picture: the new device computes what the lost one did.
  expect(await ended(page, 'g2')).toMatchObject({ type: 'result', checksum: first.checksum });
  expect((await eventsOf(page, 'g2'))[0]).toMatchObject({ type: 'recovering', reason: 'device-lost', attempt: 1 });
  expect(modelReads.length).toBe(2 * readsAtLoad); // every part read (here over HTTP: a URL model) and opened again

  // Lost in the middle of a run: that run fails, is retried once on a new device, and ends in a result.
  await send(page, 'g3', 12);
  await expect.poll(async () => (await eventsOf(page, 'g3')).some((e) => e.type === 'progress'), { timeout: 120_000 }).toBe(true);
  expect(await destroyDevice(worker)).toBe(true);
  const end = await ended(page, 'g3');
  expect(end, JSON.stringify(await eventsOf(page, 'g3'))).toMatchObject({ type: 'result' });
  const types = (await eventsOf(page, 'g3')).map((e) => e.type);
  expect(types.filter((t) => t === 'recovering')).toHaveLength(1);

  // Lost again in the retry: the request ends with device-lost, saying what was tried.
  await send(page, 'g4', 12);
  const progressAfter = async (type: string) => {
    const events = await eventsOf(page, 'g4');
    const at = events.findIndex((e) => e.type === type);
    return at >= 0 && events.slice(at + 1).some((e) => e.type === 'progress');
  };
  await expect.poll(async () => (await eventsOf(page, 'g4')).some((e) => e.type === 'progress'), { timeout: 120_000 }).toBe(true);
  expect(await destroyDevice(worker)).toBe(true);
  await expect.poll(() => progressAfter('recovering'), { timeout: 150_000 }).toBe(true);
  expect(await destroyDevice(worker)).toBe(true);
  const failed = await ended(page, 'g4');
  expect(failed, JSON.stringify(await eventsOf(page, 'g4'))).toMatchObject({ type: 'error', code: 'device-lost' });
  expect(failed.message).toMatch(/reloaded on a new device and the run retried once, and it was lost again/);

  // The studio itself still generates: its run finds the device lost and recovers first.
  await studio.configure({ steps: 2 });
  await studio.resetMessage();
  await studio.generate();
  await studio.waitForResult();
  await expect(page.getByTestId('error')).toHaveCount(0);
});
