/** Drives the studio's /bench page in Chromium: opens the model as the page does, clicks Run, reads the report it shows. */
import type { Browser, Page } from 'playwright-core';
import type { BenchReport } from '../components/bench/report';

export interface StudioBench {
  page: Page;
  /** The size the studio runs at (its settings for the model) and its wasm thread count, as the page shows them. */
  size: { width: number; height: number };
  threads: number;
  /** One click of Run benchmark: a cold run of each kind, then the warm repeats. */
  run(): Promise<BenchReport>;
  close(): Promise<void>;
}

export async function openStudioBench(
  browser: Browser,
  base: string,
  opts: { model: string; backend: 'wasm' | 'webgpu'; steps: number; repeats: number; configs?: string; timeoutMs: number },
): Promise<StudioBench> {
  // A fresh context: no saved settings, no history, no service worker between configurations.
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  const q = new URLSearchParams({
    model: opts.model,
    backend: opts.backend,
    steps: String(opts.steps),
    repeats: String(opts.repeats),
    ...(opts.configs && { configs: opts.configs }),
  });
  await page.goto(`${base}/bench?${q}`);
  const runButton = page.getByTestId('bench-run');
  await page.waitForFunction(() => !(document.querySelector('[data-testid="bench-run"]') as HTMLButtonElement | null)?.disabled, null, {
    timeout: opts.timeoutMs,
  });
  const [w, h] = ((await page.getByTestId('bench-size').textContent()) ?? '').split('×').map(Number);
  const threads = Number(await page.getByTestId('bench-threads').textContent());
  return {
    page,
    size: { width: w, height: h },
    threads,
    async run() {
      const json = () => document.querySelector('[data-testid="bench-json"]')?.textContent ?? '';
      const before = await page.evaluate(json);
      await runButton.click();
      // Ended: done, stopped or failed, with a report other than the last click's.
      await page.waitForFunction(
        (prev) =>
          document.querySelector('[data-testid="bench-error"]') !== null ||
          (document.querySelector('[data-testid="bench-done"], [data-testid="bench-stopped"]') !== null &&
            (document.querySelector('[data-testid="bench-json"]')?.textContent ?? '') !== prev),
        before,
        { timeout: opts.timeoutMs, polling: 250 },
      );
      const error = await page
        .locator('[data-testid="bench-error"]')
        .textContent({ timeout: 100 })
        .catch(() => null);
      if (error) throw new Error(`/bench (${opts.backend}): ${error}`);
      return JSON.parse(await page.evaluate(json)) as BenchReport;
    },
    close: () => context.close(),
  };
}
