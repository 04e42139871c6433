import { expect, test } from '@playwright/test';
import { CONTROLNET_MODEL, LOOP, StudioPage } from './studio-page';

/** White (ink) pixels of the ControlNet preview, as fractions of its size. */
function inkAt(img: { width: number; height: number; data: number[] }, fx: number, fy: number, radius = 2): boolean {
  const cx = Math.round(fx * img.width);
  const cy = Math.round(fy * img.height);
  for (let y = cy - radius; y <= cy + radius; y++) for (let x = cx - radius; x <= cx + radius; x++) if (img.data[(y * img.width + x) * 4] > 128) return true;
  return false;
}
const inkCount = (img: { data: number[] }) => img.data.filter((v, i) => i % 4 === 0 && v > 128).length;

test.describe('sketch to image', () => {
  test('mouse strokes condition the ControlNet; the result changes with the sketch and the scale', async ({ page }) => {
    const studio = new StudioPage(page);
    await studio.openOnWebGpu(CONTROLNET_MODEL);
    await studio.configure({ prompt: 'a red circle', steps: 3, seed: 11 });
    await expect(page.getByText('empty: no ControlNet pass')).toBeVisible();
    await studio.generate();
    await studio.waitForResult();
    const plain = await studio.pixels();

    await studio.drawStroke(LOOP);
    const control = await studio.canvasPixels('control-preview');
    expect([control.width, control.height]).toEqual([64, 64]);
    expect(inkAt(control, 0.5, 0.2)).toBe(true); // ink where the stroke went
    expect(inkAt(control, 0.5, 0.5)).toBe(false); // none in the middle of the loop
    await studio.resetMessage();
    await studio.generate();
    await studio.waitForResult();
    const sketched = await studio.pixels();
    expect(sketched).not.toEqual(plain);

    await page.getByTestId('control-scale').fill('0.3');
    await studio.resetMessage();
    await studio.generate();
    await studio.waitForResult();
    const weaker = await studio.pixels();
    expect(weaker).not.toEqual(sketched);

    // Same sketch, same scale again: identical pixels (the control path is deterministic).
    await page.getByTestId('control-scale').fill('1');
    await studio.resetMessage();
    await studio.generate();
    await studio.waitForResult();
    expect(await studio.pixels()).toEqual(sketched);
  });

  test('undo, redo and clear from the keyboard', async ({ page }) => {
    const studio = new StudioPage(page);
    await studio.openOnWebGpu(CONTROLNET_MODEL);
    await studio.drawStroke([
      [0.1, 0.1],
      [0.9, 0.1],
    ]);
    await studio.drawStroke([
      [0.1, 0.9],
      [0.9, 0.9],
    ]);
    await expect(page.getByTestId('stroke-count')).toHaveText('2 strokes');
    await page.getByTestId('sketch-canvas').focus();
    await page.keyboard.press('Control+z');
    await expect(page.getByTestId('stroke-count')).toHaveText('1 strokes');
    expect(inkAt(await studio.canvasPixels('control-preview'), 0.5, 0.9)).toBe(false);
    await page.keyboard.press('Control+Shift+Z');
    await expect(page.getByTestId('stroke-count')).toHaveText('2 strokes');
    expect(inkAt(await studio.canvasPixels('control-preview'), 0.5, 0.9)).toBe(true);
    await page.getByTestId('clear').click();
    await expect(page.getByTestId('stroke-count')).toHaveText('0 strokes');
    expect(inkCount(await studio.canvasPixels('control-preview'))).toBe(0);
    await page.keyboard.press('Control+z'); // clear is undoable
    await expect(page.getByTestId('stroke-count')).toHaveText('2 strokes');
    await page.keyboard.press(']');
    await expect(page.getByTestId('brush-size-value')).toHaveText('3');
    await page.keyboard.press('[');
    await page.keyboard.press('[');
    await expect(page.getByTestId('brush-size-value')).toHaveText('1');
  });

  test('an uploaded image becomes an edge sketch; thresholds change it', async ({ page }) => {
    const studio = new StudioPage(page);
    await studio.openOnWebGpu(CONTROLNET_MODEL);
    // A photo-like upload: a lit disc on a gradient, made in the page as a PNG file.
    const png = await page.evaluate(async () => {
      const c = new OffscreenCanvas(128, 128);
      const ctx = c.getContext('2d')!;
      const g = ctx.createLinearGradient(0, 0, 128, 128);
      g.addColorStop(0, '#336');
      g.addColorStop(1, '#88a');
      ctx.fillStyle = g;
      ctx.fillRect(0, 0, 128, 128);
      ctx.fillStyle = '#e33';
      ctx.beginPath();
      ctx.arc(64, 64, 36, 0, Math.PI * 2);
      ctx.fill();
      const blob = await c.convertToBlob({ type: 'image/png' });
      return Array.from(new Uint8Array(await blob.arrayBuffer()));
    });
    await page.getByTestId('sketch-upload').setInputFiles({ name: 'disc.png', mimeType: 'image/png', buffer: Buffer.from(png) });
    await expect(page.getByTestId('upload-note')).toHaveText('edges (Canny)');
    const edges = await studio.canvasPixels('control-preview');
    expect(inkAt(edges, 0.5 + 36 / 128, 0.5, 2)).toBe(true); // the disc's rim
    expect(inkAt(edges, 0.5, 0.5, 3)).toBe(false); // not its flat middle
    const before = inkCount(edges);
    await page.getByTestId('canny-high').fill('0.9');
    await page.getByTestId('canny-low').fill('0.8');
    await expect.poll(async () => inkCount(await studio.canvasPixels('control-preview'))).toBeLessThan(before);
  });

  test('live mode regenerates after a stroke', async ({ page }) => {
    const studio = new StudioPage(page);
    await studio.openOnWebGpu(CONTROLNET_MODEL);
    await studio.configure({ prompt: 'a red circle', steps: 2, seed: 5 });
    await page.getByTestId('live-mode').check();
    await expect(page.getByTestId('message')).toContainText(/live \d+ ms/, { timeout: 170_000 });
    const first = await studio.pixels();
    await studio.resetMessage();
    await studio.drawStroke([
      [0.3, 0.3],
      [0.7, 0.7],
    ]);
    await expect(page.getByTestId('message')).toContainText(/live \d+ ms/, { timeout: 170_000 });
    expect(await studio.pixels()).not.toEqual(first);
  });

  test('img2img from the last result with a strength slider', async ({ page }) => {
    const studio = new StudioPage(page);
    await studio.openOnWebGpu(CONTROLNET_MODEL);
    await studio.configure({ prompt: 'a red circle', steps: 4, seed: 9 });
    await studio.generate();
    await studio.waitForResult();
    const txt2img = await studio.pixels();
    await page.getByTestId('init-source').selectOption('last');
    await page.getByTestId('strength').fill('0.5');
    await studio.resetMessage();
    await studio.generate();
    await studio.waitForResult();
    const img2img = await studio.pixels();
    expect(img2img).not.toEqual(txt2img);
    await page.getByTestId('strength').fill('1');
    await page.getByTestId('init-source').selectOption('none');
    await page.getByTestId('init-source').selectOption('last');
    await studio.resetMessage();
    await studio.generate();
    await studio.waitForResult();
    expect(await studio.pixels()).not.toEqual(img2img);
  });
});
