/**
 * Every public layout opens in the studio with `?model=` and generates on the backend this
 * project runs (WebGPU on SwiftShader, or wasm without WebGPU), matching the torch run of
 * the same weights (tests/fixtures/replicas/) to within 8-bit rounding.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { expectedBackend, StudioPage } from './studio-page';

interface ReplicaCase {
  folder: string;
  params: { prompt: string; negativePrompt: string; seed: number; steps: number; guidanceScale: number; scheduler: string; width: number; height: number };
  image: { shape: number[]; data: number[] };
}
const ref = (name: string): ReplicaCase => JSON.parse(readFileSync(`tests/fixtures/replicas/${name}.json`, 'utf8'));

/** Largest and mean difference in 8-bit levels between the page's RGBA and the reference's float RGB. */
function levels(rgba: number[], image: ReplicaCase['image']): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let p = 0; p < image.data.length / 3; p++) {
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(rgba[p * 4 + c] - Math.round(image.data[p * 3 + c] * 255));
      max = Math.max(max, d);
      sum += d;
    }
  }
  return { max, mean: sum / image.data.length };
}

// fp32 graphs: 8-bit rounding of a ≤ 2e-3 difference. fp16 graphs: their float16 arithmetic (see
// tests/pipeline/replicas.test.ts) — mean ≤ 5e-3, max ≤ 5e-2 — and they need shader-f16 on WebGPU.
const FP32 = { max: 2, mean: 1, fp16: false };
const FP16 = { max: 13, mean: 1.3, fp16: true };
const CASES = [
  { name: 'optimum-sd-turbo.txt2img-1step', family: 'SD-Turbo', ...FP16 },
  { name: 'optimum-lcm-dreamshaper.txt2img-lcm4', family: 'Latent Consistency Model', ...FP32 },
  { name: 'diffusers-script-sd15.txt2img-ddim', family: 'Stable Diffusion', ...FP32 },
  { name: 'webnn-sd-turbo.txt2img-1step', family: 'SD-Turbo', ...FP16 },
  { name: 'tensorstack-sd15-controlnet.txt2img-zero-residuals', family: 'Stable Diffusion', ...FP32 },
] as const;

test.describe('public layouts', () => {
  for (const c of CASES) {
    test(`${c.name} opens, names its family and matches torch`, async ({ page }) => {
      const r = ref(c.name);
      const studio = new StudioPage(page);
      if (c.fp16 && expectedBackend() === 'webgpu') {
        // SwiftShader has no shader-f16: the load must fail with the runtime's reason, named, not hang.
        await page.goto(`/?model=/${r.folder}/&backend=webgpu`);
        await expect(page.getByTestId('error')).toContainText(/\[backend-failed\] unet\/model(_layernorm)?\.onnx: .*f16/);
        return;
      }
      await studio.openOnWebGpu(`/${r.folder}/`);
      await expect(page.getByTestId('model-family')).toContainText(c.family);
      const p = r.params;
      // The negative prompt is disabled at guidance ≤ 1: only type one where the run uses it.
      await studio.configure({
        prompt: p.prompt,
        steps: p.steps,
        guidance: p.guidanceScale,
        seed: p.seed,
        ...(p.negativePrompt && { negative: p.negativePrompt }),
      });
      await page.getByTestId('scheduler').selectOption(p.scheduler);
      await studio.setSize(p.width, p.height);
      await studio.generate();
      await studio.waitForResult();
      const rgba = await studio.pixels();
      expect(rgba.length).toBe(p.width * p.height * 4);
      const d = levels(rgba, r.image);
      expect(d.max).toBeLessThanOrEqual(c.max);
      expect(d.mean).toBeLessThanOrEqual(c.mean);
    });
  }

  test('the TensorStack ControlNet (float64 conditioning_scale, numeric output names) runs a sketch in the browser', async ({ page }) => {
    const studio = new StudioPage(page);
    await studio.openOnWebGpu('/models/fixtures/replicas/tensorstack-sd15-controlnet/');
    await expect(page.getByTestId('status')).toContainText('Stable Diffusion 1.x');
    await expect(page.getByTestId('model-warning').filter({ hasText: /controlnet/i })).toHaveCount(0);
    await studio.configure({ prompt: 'a red circle', steps: 2, seed: 3, guidance: 7.5 });
    await page.getByTestId('scheduler').selectOption('ddim');
    await studio.setSize(64, 64);
    const { plain, sketched } = await studio.plainThenSketched();
    expect(sketched).not.toEqual(plain);
  });
});
