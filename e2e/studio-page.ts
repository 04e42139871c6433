/** Page object for the studio: the e2e specs speak in user actions, not selectors. */
import { expect, test, type Page } from '@playwright/test';

export const FIXTURE_MODEL = '/models/fixtures/tiny-sd/';
/** ControlNet fixture whose tensors onnxruntime-web runs (float32 conditioning_scale). */
export const CONTROLNET_MODEL = '/models/fixtures/tiny-sd-controlnet-onnxweb/';

/** The backend the app must end up on in this Playwright project (see playwright.config.ts). */
export function expectedBackend(): 'webgpu' | 'wasm' {
  return test.info().project.name === 'no-webgpu' ? 'wasm' : 'webgpu';
}

export class StudioPage {
  constructor(readonly page: Page) {}

  /** Opens the studio asking for WebGPU, and checks which backend the status line names. */
  async openOnWebGpu(model: string | null = FIXTURE_MODEL) {
    await this.open({ backend: 'webgpu', model });
    const backend = expectedBackend();
    await expect(this.backend()).toHaveText(backend);
    if (backend === 'wasm') await expect(this.page.getByTestId('backend-reason')).toContainText('no WebGPU adapter available: fell back to wasm');
  }

  /** `model: null` opens the studio's own default model (no `?model=`). */
  async open(opts: { backend?: 'webgpu' | 'wasm' | 'auto'; model?: string | null } = {}) {
    const model = opts.model === undefined ? FIXTURE_MODEL : opts.model;
    const q = new URLSearchParams({ ...(model !== null ? { model } : {}), ...(opts.backend ? { backend: opts.backend } : {}) });
    await this.page.goto(`/?${q}`);
    await expect(this.page.getByTestId('backend-in-use')).toBeVisible();
    await expect(this.page.getByTestId('generate')).toBeEnabled();
  }

  backend() {
    return this.page.getByTestId('backend-in-use');
  }

  async configure(s: { prompt?: string; negative?: string; steps?: number; guidance?: number; seed?: number }) {
    if (s.prompt !== undefined) await this.page.getByTestId('prompt').fill(s.prompt);
    if (s.guidance !== undefined) await this.page.getByTestId('guidance').fill(String(s.guidance));
    if (s.negative !== undefined) await this.page.getByTestId('negative-prompt').fill(s.negative);
    if (s.steps !== undefined) await this.page.getByTestId('steps').fill(String(s.steps));
    if (s.seed !== undefined) {
      await this.page.getByTestId('seed-mode').selectOption('fixed');
      await this.page.getByTestId('seed').fill(String(s.seed));
    }
  }

  /**
   * Sets the image size: from the menus when the model offers it, else through "custom…" (a tiny
   * replica of an SD 1.5 layout without unet/config.json is offered SD's own 384…768).
   */
  async setSize(width: number, height: number) {
    const menu = (axis: string, v: number) => this.page.getByTestId(axis).locator(`option[value="${v}"]`);
    if ((await menu('width', width).count()) > 0 && (await menu('height', height).count()) > 0) {
      await this.page.getByTestId('width').selectOption(String(width));
      await this.page.getByTestId('height').selectOption(String(height));
      return;
    }
    await this.page.getByTestId('width').selectOption('custom');
    await this.page.getByTestId('width').fill(String(width));
    await this.page.getByTestId('height').fill(String(height));
    await this.page.getByTestId('height').blur();
    await expect(this.page.getByTestId('width')).toHaveValue(String(width));
  }

  /** Starts recording every progress text the page shows (runs can be faster than polling). */
  async recordProgress() {
    await this.page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { __progress: string[] }).__progress = seen;
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid="progress-text"]')?.textContent;
        if (text && seen.at(-1) !== text) seen.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
  }

  /** Step numbers shown so far, in order. */
  async progressSteps(): Promise<Array<{ step: number; total: number }>> {
    const seen = await this.page.evaluate(() => (window as unknown as { __progress: string[] }).__progress);
    return seen
      .map((t) => t.match(/step (\d+)\/(\d+)/))
      .filter((m) => m !== null)
      .map((m) => ({ step: Number(m[1]), total: Number(m[2]) }));
  }

  async generate(via: 'button' | 'keyboard' = 'button') {
    if (via === 'button') await this.page.getByTestId('generate').click();
    else await this.page.keyboard.press('Control+Enter');
  }

  async waitForResult(timeout = 170_000) {
    await expect(this.page.getByTestId('message')).toContainText('done in', { timeout });
    await expect(this.page.getByTestId('result-canvas')).toBeVisible();
  }

  /** Draws a stroke through points given as fractions of the sketch canvas. */
  async drawStroke(points: Array<[number, number]>) {
    const canvas = this.page.getByTestId('sketch-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    if (!box) throw new Error('sketch canvas not visible');
    const at = ([fx, fy]: [number, number]) => [box.x + fx * box.width, box.y + fy * box.height] as const;
    await this.page.mouse.move(...at(points[0]));
    await this.page.mouse.down();
    for (const p of points.slice(1)) await this.page.mouse.move(...at(p), { steps: 4 });
    await this.page.mouse.up();
  }

  /** Generates and returns the result's pixels (clearing the last status first, so it waits for this run). */
  async generateAndRead(): Promise<number[]> {
    await this.resetMessage();
    await this.generate();
    await this.waitForResult();
    return this.pixels();
  }

  /** The result without a sketch, then with a loop drawn around the centre. */
  async plainThenSketched(): Promise<{ plain: number[]; sketched: number[] }> {
    const plain = await this.generateAndRead();
    await this.drawStroke(LOOP);
    return { plain, sketched: await this.generateAndRead() };
  }

  /** RGBA pixels of a canvas by test id. */
  async canvasPixels(testId: string): Promise<{ width: number; height: number; data: number[] }> {
    return this.page.getByTestId(testId).evaluate((c: HTMLCanvasElement) => {
      const ctx = c.getContext('2d');
      if (!ctx) throw new Error('no 2d context');
      return { width: c.width, height: c.height, data: Array.from(ctx.getImageData(0, 0, c.width, c.height).data) };
    });
  }

  /** Clears the status message so the next waitForResult waits for a new run. */
  async resetMessage() {
    await this.page.getByTestId('message').evaluate((el) => (el.textContent = ''));
  }

  /** The result canvas's RGBA pixels. */
  async pixels(): Promise<number[]> {
    return this.page.getByTestId('result-canvas').evaluate((c: HTMLCanvasElement) => {
      const ctx = c.getContext('2d');
      if (!ctx) throw new Error('no 2d context');
      return Array.from(ctx.getImageData(0, 0, c.width, c.height).data);
    });
  }
}

/** A closed stroke around the canvas centre, as fractions of its size. */
export const LOOP: Array<[number, number]> = [
  [0.2, 0.5],
  [0.5, 0.2],
  [0.8, 0.5],
  [0.5, 0.8],
  [0.2, 0.5],
];

/** Per-channel standard deviation averaged over RGB: 0 for a flat image. */
export function pixelSpread(rgba: number[]): number {
  let total = 0;
  for (let ch = 0; ch < 3; ch++) {
    const v = rgba.filter((_, i) => i % 4 === ch);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    total += Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  }
  return total / 3;
}
