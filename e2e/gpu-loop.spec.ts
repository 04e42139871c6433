/**
 * The GPU-resident loop in real Chromium on SwiftShader WebGPU: the same seed gives the same
 * picture as the host loop (within fp32 rounding: at most one 8-bit level apart), for several
 * schedulers, with CFG and guidance rescale, and with a ControlNet sketch; and per step only
 * scalars cross to the GPU (bytes per step reported by the worker). Both loops run in one page.
 */
import { expect, test, type Page } from '@playwright/test';
import { StudioPage } from './studio-page';
import { ended, sendToWorker, tapDiffusionWorker, type TapEvent } from './worker-tap';

type Transfer = { loop: string; steps: number; noiseBytes: number; bytes: Record<string, { up: number; down: number }> };

async function run(page: Page, id: string, loop: 'host' | 'device' | 'auto', params: Record<string, unknown>, images?: unknown): Promise<TapEvent> {
  await sendToWorker(page, {
    id,
    type: 'generate',
    previews: false,
    loop,
    images,
    params: {
      prompt: 'a red circle',
      negativePrompt: 'blurry',
      seed: 11,
      steps: 3,
      guidanceScale: 7.5,
      guidanceRescale: 0,
      scheduler: 'ddim',
      width: 64,
      height: 64,
      ...params,
    },
  });
  const end = await ended(page, id);
  expect(end, end.message).toMatchObject({ type: 'result' });
  return end;
}

function maxLevelDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

function perStepUp(t: Transfer): number {
  return (Object.values(t.bytes).reduce((s, b) => s + b.up, 0) - t.noiseBytes) / t.steps;
}

async function openOnWebGpu(page: Page, model: string) {
  await tapDiffusionWorker(page, { keepPixels: true });
  await page.goto(`/?${new URLSearchParams({ model, backend: 'webgpu' })}`);
  const studio = new StudioPage(page);
  await expect(studio.backend()).toHaveText('webgpu');
  await expect(page.getByTestId('generate')).toBeEnabled();
}

test.describe('GPU-resident loop', () => {
  test.beforeEach(() => test.skip(test.info().project.name !== 'webgpu', 'needs WebGPU'));

  test('same seed, same picture as the host loop; only scalars cross per step', async ({ page }) => {
    test.setTimeout(420_000);
    await openOnWebGpu(page, '/models/fixtures/tiny-sd/');
    const cases: Array<[string, Record<string, unknown>]> = [
      ['ddim', {}],
      ['euler-ancestral', { scheduler: 'euler-ancestral' }],
      ['dpmpp-2m + rescale', { scheduler: 'dpmpp-2m', guidanceRescale: 0.7 }],
    ];
    for (const [name, params] of cases) {
      const host = await run(page, `${name}-host`, 'host', params);
      const device = await run(page, `${name}-device`, 'device', params);
      const t = device.transfer as Transfer;
      expect(t.loop, name).toBe('device');
      expect((host.transfer as Transfer).loop).toBe('host');
      expect(maxLevelDiff(device.rgba!, host.rgba!), name).toBeLessThanOrEqual(1);
      expect(perStepUp(t), name).toBeLessThan(1024);
      expect(
        Object.values(t.bytes).reduce((s, b) => s + b.down, 0),
        name,
      ).toBe(0);
    }
    // The default (auto) on WebGPU is the GPU loop.
    const auto = await run(page, 'auto', 'auto', {});
    expect((auto.transfer as Transfer).loop).toBe('device');
  });

  test('with a ControlNet sketch: residuals go straight into the U-Net', async ({ page }) => {
    test.setTimeout(300_000);
    await openOnWebGpu(page, '/models/fixtures/tiny-sd-controlnet/');
    const rgba = Array.from({ length: 64 * 64 * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i >> 8) % 3 === 0 ? 255 : 0));
    const images = { control: { width: 64, height: 64, data: rgba } };
    const params = { controlScale: 0.8, controlStart: 0, controlEnd: 0.7 };
    const host = await run(page, 'ctl-host', 'host', params, images);
    const device = await run(page, 'ctl-device', 'device', params, images);
    expect(maxLevelDiff(device.rgba!, host.rgba!)).toBeLessThanOrEqual(1);
    expect(perStepUp(device.transfer as Transfer)).toBeLessThan(1024);
  });
});
