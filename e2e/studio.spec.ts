import { readFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import { expect, test } from '@playwright/test';
import { expectedBackend, pixelSpread, StudioPage } from './studio-page';
import { readPngSettings } from '../lib/png/result-png';

test.describe('studio', () => {
  test('a prompt becomes an image on the backend the status line names, with progress', async ({ page }) => {
    const studio = new StudioPage(page);
    await studio.openOnWebGpu();
    await studio.configure({ prompt: 'a red circle on a blue background', steps: 3, seed: 7 });
    await expect(page.getByTestId('prompt-tokens')).toHaveText(/^\d+\/75$/);
    await studio.recordProgress();
    await studio.generate();
    await studio.waitForResult();
    const progress = await studio.progressSteps();
    expect(
      progress.some((p) => p.step >= 1),
      JSON.stringify(progress),
    ).toBe(true);
    expect(progress.every((p, i) => p.total === 3 && (i === 0 || p.step > progress[i - 1].step))).toBe(true);
    const rgba = await studio.pixels();
    expect(rgba.length).toBe(64 * 64 * 4);
    expect(pixelSpread(rgba)).toBeGreaterThan(5);
    await expect(page.getByTestId('message')).toContainText(`on ${expectedBackend()}`);
  });

  test('the same seed gives identical pixels; another seed differs', async ({ page }) => {
    const studio = new StudioPage(page);
    await studio.openOnWebGpu();
    await studio.configure({ prompt: 'a green square', steps: 2, seed: 1234 });
    await studio.generate('keyboard');
    await studio.waitForResult();
    const first = await studio.pixels();
    await page.getByTestId('message').evaluate((el) => (el.textContent = ''));
    await studio.generate();
    await studio.waitForResult();
    expect(await studio.pixels()).toEqual(first);
    await studio.configure({ seed: 99 });
    await page.getByTestId('message').evaluate((el) => (el.textContent = ''));
    await studio.generate();
    await studio.waitForResult();
    expect(await studio.pixels()).not.toEqual(first);
  });

  test('cancel stops the run within a step', async ({ page }) => {
    const studio = new StudioPage(page);
    await studio.openOnWebGpu();
    await studio.configure({ prompt: 'a cat', steps: 200, seed: 3 });
    await studio.generate();
    await expect(page.getByTestId('progress-text')).toContainText(/step [1-9]\d*\/200/);
    await page.getByTestId('cancel').click();
    await expect(page.getByTestId('message')).toContainText(/cancelled after \d+ of 200 steps/);
    const stoppedAt = Number((await page.getByTestId('message').textContent())?.match(/after (\d+)/)?.[1]);
    expect(stoppedAt).toBeLessThan(200);
    await expect(page.getByTestId('generate')).toBeEnabled();
  });

  test('Download PNG gives a valid PNG carrying its parameters', async ({ page }) => {
    const studio = new StudioPage(page);
    await studio.openOnWebGpu();
    await studio.configure({ prompt: 'a blue star', steps: 2, seed: 42 });
    await studio.generate();
    await studio.waitForResult();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download').click()]);
    expect(download.suggestedFilename()).toBe('lantern-42.png');
    const bytes = await readFile(await download.path());
    const png = PNG.sync.read(bytes);
    expect([png.width, png.height]).toEqual([64, 64]);
    const text = bytes.toString('latin1');
    expect(text).toContain('parameters\0a blue star\nSteps: 2');
    expect(text).toContain('Sampler: DDIM, Schedule type: Automatic, CFG scale: 7.5, Seed: 42, Size: 64x64, Model: tiny-sd');
    // Read back by A1111's rules, the settings are the run's.
    const read = await readPngSettings(new Uint8Array(bytes));
    expect(read.ok && read.settings.params).toMatchObject({ prompt: 'a blue star', steps: 2, seed: 42, guidanceScale: 7.5, width: 64, height: 64 });
  });
});

test('controls: guidance slider and box agree; negative prompt greys out at guidance ≤ 1; token counter', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.openOnWebGpu();
  const slider = page.getByTestId('guidance-slider');
  await slider.fill('3.4');
  await expect(page.getByTestId('guidance')).toHaveValue('3.4');
  await expect(page.getByTestId('negative-prompt')).toBeEnabled();
  await page.getByTestId('guidance').fill('1');
  await expect(slider).toHaveValue('1');
  await expect(page.getByTestId('negative-prompt')).toBeDisabled();
  await page.getByTestId('prompt').fill('a red circle');
  await expect(page.getByTestId('prompt-tokens')).toHaveText('3/75');
  await page.getByTestId('prompt').fill('red '.repeat(80));
  await expect(page.getByTestId('prompt-tokens')).toHaveText('80/75 — truncated');
  await expect(page.getByTestId('scheduler').locator('option').first()).toHaveText('Model default (DDIM)');
});
