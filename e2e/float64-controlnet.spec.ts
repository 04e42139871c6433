/** TensorStack's float64 conditioning_scale now runs in the browser: rewritten to float32 at load. */
import { expect, test } from '@playwright/test';
import { StudioPage } from './studio-page';

test('a ControlNet with a float64 conditioning_scale loads and follows the sketch in the browser', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.openOnWebGpu('/models/fixtures/tiny-sd-controlnet/');
  await expect(page.getByTestId('model-warning')).toHaveCount(0);
  await studio.configure({ prompt: 'a red circle', steps: 2, seed: 5 });
  const { plain, sketched } = await studio.plainThenSketched();
  expect(sketched).not.toEqual(plain);
});
