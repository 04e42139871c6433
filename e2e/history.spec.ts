/**
 * The history gallery (IndexedDB): results survive a reload and restore their settings; a
 * deletion sticks; the download is the PNG with its parameters; a full quota (CDP
 * Storage.overrideQuotaForOrigin) keeps the newest result in the gallery as not saved until
 * "Delete oldest" makes room. Storage does not depend on the backend: webgpu project only.
 */
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { readPngTextSync } from '../lib/png/chunks';
import { StudioPage } from './studio-page';

test.beforeEach(() => {
  test.skip(test.info().project.name !== 'webgpu', 'IndexedDB history does not depend on the backend: one project');
});

const items = (page: Page) => page.getByTestId('history-item');
const item = (page: Page, prompt: string, seed: number) => page.getByRole('button', { name: `${prompt}, seed ${seed}`, exact: true });

/** Generates one image and waits until the gallery holds it, saved. */
async function generateKept(studio: StudioPage, s: { prompt: string; seed: number; steps: number }, saved = true) {
  await studio.configure(s);
  await studio.resetMessage();
  await studio.generate();
  await studio.waitForResult();
  await expect(item(studio.page, s.prompt, s.seed).or(studio.page.getByRole('button', { name: `${s.prompt}, seed ${s.seed}, not saved` }))).toBeVisible();
  if (saved) await expect(studio.page.getByTestId('history-saving')).toHaveCount(0);
}

test('two results survive a reload; restoring the first brings back its prompt, seed and steps', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open();
  await generateKept(studio, { prompt: 'a red circle', seed: 11, steps: 2 });
  await generateKept(studio, { prompt: 'a blue square', seed: 22, steps: 3 });

  await page.reload();
  await expect(page.getByTestId('generate')).toBeEnabled();
  await expect(items(page)).toHaveCount(2);
  // Newest first.
  await expect(items(page).first()).toHaveAccessibleName('a blue square, seed 22');
  await expect(page.getByTestId('history-usage')).toContainText('2 kept');

  await item(page, 'a red circle', 11).click();
  await page.getByTestId('history-restore').click();
  await expect(page.getByTestId('history-summary')).toContainText('restored “a red circle”, seed 11, 2 steps');
  await expect(page.getByTestId('prompt')).toHaveValue('a red circle');
  await expect(page.getByTestId('seed')).toHaveValue('11');
  await expect(page.getByTestId('seed-mode')).toHaveValue('fixed');
  await expect(page.getByTestId('steps')).toHaveValue('2');
});

test('a deleted result stays deleted after a reload; the download is the PNG with its parameters', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open();
  await generateKept(studio, { prompt: 'keep me', seed: 5, steps: 2 });
  await generateKept(studio, { prompt: 'delete me', seed: 6, steps: 2 });

  await page.getByRole('checkbox', { name: 'Select delete me, seed 6' }).check();
  await page.getByTestId('history-delete-selected').click();
  await expect(items(page)).toHaveCount(1);
  await page.reload();
  await expect(page.getByTestId('generate')).toBeEnabled();
  await expect(items(page)).toHaveCount(1);
  await expect(items(page).first()).toHaveAccessibleName('keep me, seed 5');

  await items(page).first().click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('history-download').click()]);
  expect(download.suggestedFilename()).toBe('lantern-5.png');
  const png = new Uint8Array(await readFile(await download.path()));
  const text = readPngTextSync(png);
  expect(text.ok).toBe(true);
  const parameters = text.texts.find((t) => t.keyword === 'parameters')?.text ?? '';
  expect(parameters).toMatch(/^keep me\n/);
  expect(parameters).toContain('Seed: 5');
  expect(parameters).toContain('Steps: 2');
});

/** Whether IndexedDB takes a 1-byte write now (a throwaway database, not the studio's). */
function probeWrite(page: Page): Promise<boolean> {
  return page.evaluate(
    () =>
      new Promise<boolean>((resolve) => {
        const open = indexedDB.open('quota-probe', 1);
        open.onupgradeneeded = () => open.result.createObjectStore('s');
        open.onerror = () => resolve(false);
        open.onsuccess = () => {
          const tx = open.result.transaction('s', 'readwrite');
          tx.objectStore('s').put(new Uint8Array(1), Date.now());
          tx.oncomplete = () => {
            open.result.close();
            resolve(true);
          };
          tx.onabort = () => {
            open.result.close();
            resolve(false);
          };
        };
      }),
  );
}

/**
 * Chromium keeps an origin's remaining IndexedDB space cached for about 30 s after a write, so an
 * overridden quota bites only once that runs out: the test waits for a probe write to be refused.
 * Deleting records does not lower the usage Chromium checks against (the database files do not
 * shrink at once), so "Delete oldest" cannot make room under the override here: the test checks
 * the newest stays kept (unsaved) through it, then lifts the override (space freed, as a real
 * browser eventually counts it) and "Try again" saves it.
 */
test('a full quota keeps the newest result, unsaved, through "Delete oldest"; it is saved once there is room', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open();
  await generateKept(studio, { prompt: 'the oldest', seed: 1, steps: 2 });
  const origin = new URL(page.url()).origin;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1 });
  try {
    await expect.poll(() => probeWrite(page), { timeout: 60_000, intervals: [2000] }).toBe(false);
    await generateKept(studio, { prompt: 'the newest', seed: 2, steps: 2 }, false);
    await expect(page.getByTestId('history-full')).toBeVisible();
    await expect(page.getByTestId('history-full')).toHaveRole('alert');
    await expect(page.getByRole('button', { name: 'the newest, seed 2, not saved' })).toBeVisible();
    await expect(page.getByTestId('history-usage')).toContainText('1 kept');
    await expect(page.getByTestId('history-usage')).toContainText('1 not saved');

    await page.getByTestId('history-delete-oldest').click();
    await expect(page.getByTestId('history-message')).toContainText('deleted the oldest; still not saved');
    await expect(page.getByTestId('history-usage')).toContainText('0 kept');
    await expect(items(page)).toHaveCount(1);
    await expect(page.getByTestId('history-unsaved')).toHaveCount(1);
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  }
  await page.getByTestId('history-retry').click();
  await expect(page.getByTestId('history-full')).toHaveCount(0);
  await expect(page.getByTestId('history-unsaved')).toHaveCount(0);
  await expect(page.getByTestId('history-usage')).toContainText('1 kept');
  await page.reload();
  await expect(items(page)).toHaveCount(1);
  await expect(items(page).first()).toHaveAccessibleName('the newest, seed 2');
});
