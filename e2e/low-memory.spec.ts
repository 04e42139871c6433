/**
 * Low-memory mode in the studio: the toggle reloads the model with the text encoder and the
 * VAE decoder opened only while they run; the model bar says so and the same seed gives the
 * same pixels as the normal mode. One project: the mode does not depend on the backend.
 */
import { expect, test } from '@playwright/test';
import { StudioPage } from './studio-page';

test('low-memory mode reloads the model, says so, and draws the same picture', async ({ page }) => {
  test.skip(test.info().project.name !== 'no-webgpu', 'one project is enough: the mode does not depend on the backend');
  const studio = new StudioPage(page);
  await studio.open({ backend: 'wasm' });
  await studio.configure({ prompt: 'a red circle', seed: 11, steps: 3 });
  const normal = await studio.generateAndRead();
  await expect(page.getByTestId('model-in-use')).not.toContainText('low-memory');

  await page.getByTestId('open-models').click();
  await page.getByTestId('low-memory').check();
  await expect(page.getByTestId('model-in-use')).toContainText('low-memory', { timeout: 60_000 });
  await expect(page.getByTestId('generate')).toBeEnabled();
  expect(await studio.generateAndRead()).toEqual(normal);
  // A second run opens the two parts again.
  expect(await studio.generateAndRead()).toEqual(normal);
});
