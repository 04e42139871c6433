/**
 * Taps the studio's diffusion worker: keeps the Worker object and every event it posts, so a
 * spec can send requests the UI never made and read answers the UI would not show.
 */
import { expect, type Page } from '@playwright/test';

export type TapEvent = { id: string; type: string; step?: number; code?: string; message?: string; checksum?: number; rgba?: number[]; transfer?: unknown };

/** `keepPixels`: results keep their RGBA (as a plain array) beside the checksum. */
export async function tapDiffusionWorker(page: Page, opts: { keepPixels?: boolean } = {}) {
  await page.addInitScript((keepPixels) => {
    const Native = window.Worker;
    const events: unknown[] = [];
    const w = window as unknown as { __events: unknown[]; __diffusion: Worker };
    w.__events = events;
    window.Worker = class extends Native {
      constructor(url: string | URL, opts?: WorkerOptions) {
        super(url, opts);
        if (opts?.name !== 'lantern-diffusion') return;
        w.__diffusion = this;
        // Pixels are kept as a checksum: two runs of one seed must agree.
        this.addEventListener('message', (e: MessageEvent<{ type: string; rgba?: Uint8ClampedArray }>) => {
          const { rgba, ...rest } = e.data;
          if (!rgba) return void events.push(rest);
          const checksum = rgba.reduce((a, v, i) => (a + v * ((i % 251) + 1)) % 1_000_000_007, 0);
          events.push({ ...rest, checksum, ...(keepPixels && e.data.type === 'result' && { rgba: Array.from(rgba) }) });
        });
      }
    };
  }, opts.keepPixels === true);
}

export const eventsOf = (page: Page, id: string) =>
  page.evaluate((id) => (window as unknown as { __events: TapEvent[] }).__events.filter((e) => e.id === id), id);

/**
 * Sends a request straight to the worker (an id the UI never used, so the studio ignores the
 * answers). Images are given with `data` as a plain array and sent as Uint8ClampedArray.
 */
export async function sendToWorker(page: Page, request: Record<string, unknown>) {
  await page.evaluate((request) => {
    const images = request.images as Record<string, { width: number; height: number; data: number[] }> | undefined;
    const typed = images && Object.fromEntries(Object.entries(images).map(([k, im]) => [k, { ...im, data: new Uint8ClampedArray(im.data) }]));
    (window as unknown as { __diffusion: Worker }).__diffusion.postMessage({ ...request, ...(typed && { images: typed }) });
  }, request);
}

export async function ended(page: Page, id: string, timeout = 150_000): Promise<TapEvent> {
  await expect.poll(async () => (await eventsOf(page, id)).find((e) => e.type === 'result' || e.type === 'error')?.type, { timeout }).toBeTruthy();
  return (await eventsOf(page, id)).find((e) => e.type === 'result' || e.type === 'error')!;
}
