/**
 * A PNG brings its settings back: Lantern's own (downloaded from a run) and an A1111 one (made
 * here with A1111's parameters text), opened or dropped on the page; a summary says what was used.
 */
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { PNG } from 'pngjs';
import { writePngText } from '../lib/png/chunks';
import { StudioPage } from './studio-page';

/** An 8×8 PNG carrying a parameters text in A1111's format, written here by hand (with a field Lantern does not use). */
function a1111Png(): Buffer {
  const text =
    'a lighthouse, dusk\nNegative prompt: blurry\nSteps: 13, Sampler: Euler a, Schedule type: Automatic, CFG scale: 6.5, Seed: 1234, Size: 64x64, Model hash: abcdef1234, Model: dreamshaper_8, Hires upscale: 2, Version: v1.10.1';
  return Buffer.from(writePngText(new Uint8Array(PNG.sync.write(new PNG({ width: 8, height: 8 }))), [{ keyword: 'parameters', text }]));
}

async function dropFile(page: Page, name: string, bytes: Buffer) {
  const data = await page.evaluateHandle(
    ({ name, b64 }) => {
      const bin = atob(b64);
      const arr = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) arr[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([arr], name, { type: 'image/png' }));
      return dt;
    },
    { name, b64: bytes.toString('base64') },
  );
  await page.dispatchEvent('main', 'drop', { dataTransfer: data });
}

test('a Lantern PNG and an A1111 PNG bring their settings back', async ({ page }) => {
  test.skip(test.info().project.name !== 'no-webgpu', 'one project is enough: no inference involved');
  const studio = new StudioPage(page);
  await studio.open({ backend: 'wasm' });
  await studio.configure({ prompt: 'a blue star', steps: 2, seed: 42, guidance: 3 });
  await studio.generate();
  await studio.waitForResult();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download').click()]);
  const lantern = await readFile(await download.path());

  await studio.configure({ prompt: 'something else', steps: 9, seed: 7, guidance: 8 });
  await page.getByTestId('png-open').setInputFiles({ name: 'lantern-42.png', mimeType: 'image/png', buffer: lantern });
  await expect(page.getByTestId('png-restore-summary')).toContainText('(lantern)');
  await expect(page.getByTestId('prompt')).toHaveValue('a blue star');
  await expect(page.getByTestId('steps')).toHaveValue('2');
  await expect(page.getByTestId('seed')).toHaveValue('42');
  await expect(page.getByTestId('guidance')).toHaveValue('3');

  await dropFile(page, 'a1111.png', a1111Png());
  await expect(page.getByTestId('png-restore-summary')).toContainText('(a1111)');
  await expect(page.getByTestId('png-restore-summary')).toContainText('Hires upscale');
  await expect(page.getByTestId('prompt')).toHaveValue('a lighthouse, dusk');
  await expect(page.getByTestId('negative-prompt')).toHaveValue('blurry');
  await expect(page.getByTestId('steps')).toHaveValue('13');
  await expect(page.getByTestId('seed')).toHaveValue('1234');
  await expect(page.getByTestId('guidance')).toHaveValue('6.5');
  await expect(page.getByTestId('scheduler')).toHaveValue('euler-ancestral');
});
