/**
 * The ControlNet condition the benchmark runs with: what a sketch becomes (white lines on black,
 * lib/sketch toControlImage), here a circle's outline, so every run conditions on the same picture.
 */
export function benchControlImage(width: number, height: number): { width: number; height: number; data: Uint8ClampedArray } {
  const data = new Uint8ClampedArray(width * height * 4);
  const r = Math.min(width, height) / 4;
  const line = Math.max(1, Math.min(width, height) / 32);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x + 0.5 - width / 2, y + 0.5 - height / 2);
      const v = Math.abs(d - r) <= line / 2 ? 255 : 0;
      const i = (y * width + x) * 4;
      data[i] = data[i + 1] = data[i + 2] = v;
      data[i + 3] = 255;
    }
  }
  return { width, height, data };
}
