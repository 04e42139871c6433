/**
 * /bench in the built studio: reached by the studio's own link, it runs real generates of the
 * model the studio has open (the tiny ControlNet fixture, 2 steps, 1 warm repeat: SwiftShader's
 * WebGPU runs lantern-shapes at seconds a step, which CI cannot afford), fills a number into every row, names the backend, and copies JSON that parses.
 * No speed is asserted: speeds are for `npm run bench`.
 */
import { expect, test, type Page } from '@playwright/test';
import { expectedBackend } from './studio-page';

const MODEL = '/models/fixtures/tiny-sd-controlnet-onnxweb/';
const NAME = 'tiny-sd-controlnet-onnxweb';
const ROWS = ['text-encoder', 'unet-step-cfg', 'unet-step', 'controlnet', 'vae-decode', 'other', 'image'];

/** What a copy button put out: the clipboard, or the box the page shows when the clipboard is refused. */
async function copied(page: Page, button: string): Promise<string> {
  await page.getByTestId(button).click();
  const fallback = page.getByTestId('bench-copy-fallback');
  await expect(page.getByTestId('bench-copied').or(fallback)).toBeVisible();
  if (await fallback.isVisible()) return fallback.inputValue();
  return page.evaluate(() => navigator.clipboard.readText());
}

test('/bench from the studio link: every row gets a number, the backend is named, the JSON copies', async ({ page, context }) => {
  test.setTimeout(600_000);
  const backend = expectedBackend();
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto(`/?${new URLSearchParams({ model: MODEL, backend: 'webgpu' })}`);
  await expect(page.getByTestId('backend-in-use')).toHaveText(backend, { timeout: 120_000 });

  await page.getByTestId('bench-link').click();
  await expect(page).toHaveURL(/\/bench\?model=/);
  await expect(page.getByTestId('bench-backend')).toHaveText(backend);
  await expect(page.getByTestId('bench-model-name')).toHaveText(NAME);
  await expect(page.getByTestId('bench-adapter')).toHaveText(backend === 'webgpu' ? /swiftshader.*software/i : 'no WebGPU adapter');
  await expect(page.getByTestId('publish-note')).toContainText('publish yours');
  await page.getByTestId('bench-steps').fill('2');
  await page.getByTestId('bench-repeats').fill('1');
  await page.getByTestId('bench-run').click();
  await expect(page.getByTestId('bench-done')).toBeVisible({ timeout: 540_000 });

  // Every row a number ('other' is a difference of timings: it may come out negative by a rounding).
  for (const id of ROWS) await expect(page.getByTestId(`bench-row-${id}`).getByTestId('bench-median'), id).toHaveText(/^-?\d+(\.\d+)?$/);
  await expect(page.getByTestId('bench-transfer-cfg').getByTestId('bench-overhead')).toHaveText(/^-?\d+\.\d %$/);
  await expect(page.getByTestId('bench-transfer-cfg').getByTestId('bench-bytes-total')).toContainText(/B \/ step/);

  const report = JSON.parse(await copied(page, 'bench-copy-json'));
  expect(report).toMatchObject({ schema: 'lantern-bench/1', environment: { backend }, model: { name: NAME, steps: 2 }, repeats: 1 });
  for (const key of ['date', 'rows', 'configs', 'firstRunCold', 'firstGenerateOverWarm', 'publish']) expect(report, key).toHaveProperty(key);
  expect(report.environment.wasmThreads).toBeGreaterThanOrEqual(1);
  expect(report.rows.map((r: { id: string }) => r.id)).toEqual(ROWS);
  expect(Object.keys(report.configs)).toEqual(['cfg', 'no-cfg', 'controlnet']);
  expect(report.configs.cfg.bytesPerStep.total).toBeGreaterThan(0);
  expect(typeof report.configs.cfg.overheadPct).toBe('number');

  const markdown = await copied(page, 'bench-copy-markdown');
  expect(markdown).toContain('| U-Net step with CFG (batch 2) |');
  expect(markdown).toContain(`${NAME} 64×64 · 2 steps`);
});
