/**
 * The studio's default model, lantern-shapes, in the real app: it loads without `?model=`
 * with its recommended settings, and what it draws is checked by Lantern's evaluator
 * (lib/eval), not by eye: background colour, object colour and place, sketch edges.
 */
import { expect, test } from '@playwright/test';
import { analyzeImage, sketchEdgeF1, type DetectedObject } from '../lib/eval';
import { SHAPES_SPEC as spec } from '../lib/eval/default-spec';
import { StudioPage } from './studio-page';

const asImage = (data: number[]) => ({ width: 64, height: 64, data: Uint8ClampedArray.from(data) });
const describe = (objects: DetectedObject[]) => JSON.stringify(objects.map((o) => [o.colour, o.shape, Math.round(o.area), o.centroid.map(Math.round)]));
/** Few steps: a 5 M-parameter U-Net step takes seconds on SwiftShader's software WebGPU. */
const STEPS = 8;
const RUN_TIMEOUT = 300_000;
/** Where the sketch puts the circle, in 64×64 sketch pixels: top right, away from the prompt-only layout. */
const [CX, CY, R] = [44, 22, 11];

test('lantern-shapes loads by default; "a red circle on a blue background" is drawn, and a drawn circle moves it', async ({ page }) => {
  test.setTimeout(3 * RUN_TIMEOUT);
  const studio = new StudioPage(page);
  await studio.openOnWebGpu(null);
  await expect(page.getByTestId('model-name')).toHaveText('lantern-shapes');
  await expect(page.getByTestId('example-prompts')).toContainText('a red circle on a blue background');
  await expect(page.getByTestId('prompt')).toHaveValue('a red circle on a blue background');
  await expect(page.getByTestId('guidance')).not.toHaveValue('7.5'); // the model's own recommendation, not the app default

  // 1. The prompt alone.
  await studio.configure({ steps: STEPS, seed: 3 });
  await studio.generate();
  await studio.waitForResult(RUN_TIMEOUT);
  const plain = asImage(await studio.pixels());
  const a = analyzeImage(plain, spec);
  expect(a.background).toBe('blue');
  expect(
    a.objects.some((o) => o.colour === 'red' && o.area > 40),
    describe(a.objects),
  ).toBe(true);

  // 2. The same seed with a circle drawn by mouse at the top right.
  const loop = Array.from({ length: 25 }, (_, i): [number, number] => {
    const t = (i / 24) * 2 * Math.PI;
    return [(CX + R * Math.cos(t)) / 64, (CY + R * Math.sin(t)) / 64];
  });
  await studio.drawStroke(loop);
  const control = await studio.canvasPixels('control-preview');
  const sketch = Uint8Array.from({ length: 64 * 64 }, (_, i) => control.data[i * 4]);
  await studio.resetMessage();
  await studio.generate();
  await studio.waitForResult(RUN_TIMEOUT);
  const sketched = asImage(await studio.pixels());

  const f1Off = sketchEdgeF1(plain, sketch).f1;
  const f1On = sketchEdgeF1(sketched, sketch).f1;
  expect(f1On, `edge F1 with the sketch ${f1On.toFixed(2)}, without ${f1Off.toFixed(2)}`).toBeGreaterThan(Math.max(2 * f1Off, 0.4));
  const b = analyzeImage(sketched, spec);
  expect(b.background).toBe('blue');
  expect(
    b.objects.some((o) => o.colour === 'red' && Math.hypot(o.centroid[0] - CX, o.centroid[1] - CY) < 5),
    describe(b.objects),
  ).toBe(true);
});
