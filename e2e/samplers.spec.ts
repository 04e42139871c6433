/**
 * The samplers of issue #13 in the studio, on WebGPU (SwiftShader: the GPU-resident loop) and
 * on wasm (the no-webgpu project): each is offered with its label and one line of help, runs,
 * and counts its progress in steps (Heun's two model calls per step are one step).
 */
import { expect, test } from '@playwright/test';
import { StudioPage } from './studio-page';
import { tapDiffusionWorker, type TapEvent } from './worker-tap';

const SAMPLERS = [
  ['heun', 'Heun'],
  ['dpmpp-2m-sde-karras', 'DPM++ 2M SDE Karras'],
  ['vp-sde', 'VP-SDE (Euler–Maruyama)'],
  ['pf-ode', 'Probability-flow ODE (Euler)'],
] as const;

test('Heun, DPM++ 2M SDE Karras, VP-SDE and the probability-flow ODE run in the studio', async ({ page }) => {
  test.setTimeout(420_000);
  const studio = new StudioPage(page);
  await tapDiffusionWorker(page); // progress events as the worker sends them (the bar may skip a frame on a fast run)
  const events = () => page.evaluate(() => (window as unknown as { __events: TapEvent[] }).__events);
  await studio.openOnWebGpu();
  await studio.configure({ steps: 3, seed: 5 });
  const pictures = new Set<string>();
  for (const [name, label] of SAMPLERS) {
    const menu = page.getByTestId('scheduler');
    await expect(menu.locator(`option[value="${name}"]`)).toHaveText(label);
    await menu.selectOption(name);
    await expect(page.getByTestId('sampler-help')).not.toBeEmpty();
    await studio.resetMessage();
    const before = (await events()).length;
    await studio.generate();
    await studio.waitForResult();
    await expect(page.getByTestId('error')).toHaveCount(0);
    const steps = (await events())
      .slice(before)
      .filter((e) => e.type === 'progress')
      .map((e) => `${e.step}/${(e as { totalSteps?: number }).totalSteps}`);
    expect(steps, name).toEqual(['1/3', '2/3', '3/3']);
    pictures.add(JSON.stringify(await studio.pixels()));
  }
  expect(pictures.size).toBe(SAMPLERS.length); // four samplers, four different pictures
});
