import { expect, test } from '@playwright/test';
import { pixelSpread, StudioPage } from './studio-page';

// Chromium started without WebGPU: asking for webgpu must fall back to wasm and say so.
test('without WebGPU the studio falls back to wasm and still generates', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open({ backend: 'webgpu' });
  await expect(studio.backend()).toHaveText('wasm');
  await expect(page.getByTestId('backend-reason')).toContainText(/no WebGPU|has no WebGPU/);
  await studio.configure({ prompt: 'a red circle', steps: 3, seed: 5 });
  await studio.generate();
  await studio.waitForResult();
  expect(pixelSpread(await studio.pixels())).toBeGreaterThan(5);
  await expect(page.getByTestId('message')).toContainText('on wasm');
});
