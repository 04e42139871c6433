/**
 * The audit's state bugs (issue 11), each reproduced in the built studio: one load after a reload
 * with a saved backend, a backend change during a run, untrusted lantern.json values and saved
 * settings, number boxes that edit like number boxes. Runs in the no-webgpu project only (wasm).
 */
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { CONTROLNET_MODEL, FIXTURE_MODEL, StudioPage } from './studio-page';

test.beforeEach(() => {
  test.skip(test.info().project.name !== 'no-webgpu', 'state bugs do not depend on the backend: wasm only');
});

/** Serves `model`'s lantern.json with `edit` applied (the rest of the folder as it is). */
async function editLantern(page: Page, model: string, edit: (json: Record<string, unknown>) => void) {
  const original = JSON.parse(await readFile(`models/${model.replace(/^\/models\//, '')}lantern.json`, 'utf8')) as Record<string, unknown>;
  edit(original);
  await page.route(`**${model}lantern.json`, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(original) }));
}

/** Counts the model loads the page starts (each reads the folder's model_index.json; worker requests included). */
function countLoads(page: Page, model: string): { loads: number } {
  const counter = { loads: 0 };
  page.on('request', (r) => {
    if (r.url().endsWith(`${model}model_index.json`)) counter.loads++;
  });
  return counter;
}

test('after choosing a non-auto backend, a reload opens the model once, on that backend, with no error', async ({ page }) => {
  const studio = new StudioPage(page);
  const counter = countLoads(page, FIXTURE_MODEL);
  await studio.open();
  expect(counter.loads).toBe(1);
  await page.getByTestId('backend').selectOption('wasm');
  await expect(page.getByTestId('message')).toContainText('model loaded in');
  await expect(page.getByTestId('generate')).toBeEnabled();
  expect(counter.loads).toBe(2);

  counter.loads = 0;
  await page.reload();
  await expect(page.getByTestId('backend-in-use')).toHaveText('wasm');
  await expect(page.getByTestId('generate')).toBeEnabled();
  await expect(page.getByTestId('backend')).toHaveValue('wasm');
  await page.waitForTimeout(1500); // a second load would be sent right after the first
  expect(counter.loads).toBe(1);
  await expect(page.getByTestId('error')).toHaveCount(0);
  await expect(page.getByTestId('message')).toContainText('model loaded in');
});

test('changing the backend during a run waits for it: model info, ControlNet and examples stay; the PNG names the model', async ({ page }) => {
  await editLantern(page, CONTROLNET_MODEL, (j) => (j.examplePrompts = ['a red circle', 'a blue square']));
  const studio = new StudioPage(page);
  await studio.open({ model: CONTROLNET_MODEL });
  await expect(page.getByTestId('control-enabled')).toBeChecked();
  await expect(page.getByTestId('example-prompts')).toBeVisible();
  await studio.configure({ prompt: 'a red circle', steps: 400, seed: 5 });
  await studio.generate();
  await expect(page.getByTestId('progress-text')).toContainText(/step [1-9]\d*\/400/);
  await page.getByTestId('backend').selectOption('wasm');
  // Still running on the model in use, nothing it shows is lost.
  await expect(page.getByTestId('message')).toContainText('opens when this run ends');
  await expect(page.getByTestId('model-name')).toHaveText('tiny-sd-controlnet-onnxweb');
  await expect(page.getByTestId('control-enabled')).toBeChecked();
  await expect(page.getByTestId('example-prompts')).toBeVisible();
  await expect(page.getByTestId('error')).toHaveCount(0);
  // The run ends, then the model reopens on the new backend.
  await expect(page.getByTestId('message')).toContainText('model loaded in', { timeout: 170_000 });
  await expect(page.getByTestId('generate')).toBeEnabled();
  await expect(page.getByTestId('error')).toHaveCount(0);
  await expect(page.getByTestId('control-enabled')).toBeChecked();
  await expect(page.getByTestId('example-prompts')).toBeVisible();
  await expect(page.getByTestId('result-canvas')).toBeVisible();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download').click()]);
  const text = (await readFile(await download.path())).toString('latin1');
  expect(text).toContain('Model: tiny-sd-controlnet-onnxweb');
  expect(text).not.toContain('Model: unknown');
});

test('a lantern.json recommending height "abc" opens the model and the page survives a reload', async ({ page }) => {
  await editLantern(page, FIXTURE_MODEL, (j) => (j.recommended = { steps: 3, guidance: 7.5, width: 64, height: 'abc', liveSteps: 'x' }));
  const studio = new StudioPage(page);
  await studio.open();
  await expect(page.getByTestId('model-name')).toHaveText('tiny-sd');
  await expect(page.getByTestId('height')).toHaveValue('64');
  await expect(page.getByTestId('steps')).toHaveValue('3');
  // Said beside the model, not only in the console.
  await expect(page.getByTestId('model-warning').filter({ hasText: 'lantern.json recommends height "abc": not a finite number — ignored' })).toHaveCount(1);
  await studio.configure({ prompt: 'a cat', seed: 1 });
  await studio.generate();
  await studio.waitForResult();
  await page.reload();
  await expect(page.getByTestId('generate')).toBeEnabled();
  await expect(page.getByTestId('height')).toHaveValue('64');
});

test('bad values saved in localStorage are repaired on the next visit, never a crash', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open();
  await page.evaluate(() =>
    localStorage.setItem(
      'lantern-settings',
      JSON.stringify({
        // defaultsAppliedFor: the model's recommendations were applied before, so what shows is the repaired saved value.
        state: {
          defaultsAppliedFor: '/models/fixtures/tiny-sd/',
          steps: -5,
          width: 65,
          height: 'abc',
          guidanceScale: 1e9,
          seed: -1,
          scheduler: 'nope',
          backend: 'cuda',
          model: { kind: 'url' },
          prompt: 7,
        },
        version: 2,
      }),
    ),
  );
  await page.reload();
  await expect(page.getByTestId('generate')).toBeEnabled();
  await expect(page.getByTestId('error')).toHaveCount(0);
  await expect(page.getByTestId('steps')).toHaveValue('1');
  await expect(page.getByTestId('guidance')).toHaveValue('20');
  await expect(page.getByTestId('width')).toHaveValue('64');
  await expect(page.getByTestId('backend')).toHaveValue('auto');
  // Garbage that is not even JSON.
  await page.evaluate(() => localStorage.setItem('lantern-settings', '{not json'));
  await page.reload();
  await expect(page.getByTestId('generate')).toBeEnabled();
});

test("number boxes edit like number boxes: clear and type 30 gives 30; the range (the sampler's own limit) applies on Enter/blur with a note", async ({
  page,
}) => {
  const studio = new StudioPage(page);
  await studio.open();
  const steps = page.getByTestId('steps');
  await steps.fill('');
  await steps.pressSequentially('30');
  await expect(steps).toHaveValue('30');
  await steps.press('Tab');
  await expect(steps).toHaveValue('30');
  // tiny-sd's DDIM (leading spacing, steps_offset 1) runs at most 999 steps.
  await steps.fill('5000');
  await steps.press('Enter');
  await expect(steps).toHaveValue('999');
  await expect(page.getByTestId('steps-note')).toContainText('set to 999');
  await steps.fill('');
  await steps.press('Tab');
  await expect(steps).toHaveValue('999');
  await expect(page.getByTestId('steps-note')).toContainText('needs a number');
});
