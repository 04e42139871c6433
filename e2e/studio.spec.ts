import { readFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import { expect, test } from '@playwright/test';
import { pixelSpread, StudioPage } from './studio-page';

test.describe('studio on WebGPU', () => {
  test('a prompt becomes an image on the webgpu backend, with progress', async ({ page }) => {
    const studio = new StudioPage(page);
    await studio.open({ backend: 'webgpu' });
    await expect(studio.backend()).toHaveText('webgpu');
    await studio.configure({ prompt: 'a red circle on a blue background', steps: 3, seed: 7 });
    await expect(page.getByTestId('prompt-tokens')).toHaveText(/^\d+\/75$/);
    await studio.generate();
    await expect(page.getByTestId('progress-text')).toContainText(/step [1-3]\/3/);
    await studio.waitForResult();
    const rgba = await studio.pixels();
    expect(rgba.length).toBe(64 * 64 * 4);
    expect(pixelSpread(rgba)).toBeGreaterThan(5);
    await expect(page.getByTestId('message')).toContainText('on webgpu');
  });

  test('the same seed gives identical pixels; another seed differs', async ({ page }) => {
    const studio = new StudioPage(page);
    await studio.open({ backend: 'webgpu' });
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
    await studio.open({ backend: 'webgpu' });
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
    await studio.open({ backend: 'webgpu' });
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
    expect(text).toContain('Sampler: DDIM, CFG scale: 7.5, Seed: 42, Size: 64x64, Model: tiny-sd');
  });
});
