/**
 * Canny edge detection on a grey plane: Gaussian blur → Sobel → non-maximum suppression →
 * double threshold → hysteresis. Output is a 0/255 mask (255 = edge).
 */

export interface CannyOptions {
  /** Gaussian blur σ in pixels before the gradient; 0 disables it. Default 1. */
  sigma?: number;
  /**
   * How `low`/`high` are read:
   *  - 'relative' (default): fractions 0…1 of the image's largest gradient magnitude, so the
   *    result doesn't depend on contrast. Defaults 0.1 / 0.2.
   *  - 'absolute': the scale of OpenCV's `cv2.Canny(img, low, high, L2gradient=True)` on an
   *    8-bit image: the L2 Sobel magnitude of 0…255 grey (a full black→white step ≈ 1020).
   *    The A1111/ComfyUI canny preprocessor defaults are 100 / 200, ours too in this mode.
   */
  thresholds?: 'relative' | 'absolute';
  low?: number;
  high?: number;
}

export const CANNY_DEFAULTS = {
  sigma: 1,
  relative: { low: 0.1, high: 0.2 },
  absolute: { low: 100, high: 200 },
} as const;

const TAN_22_5 = Math.tan(Math.PI / 8);
const TAN_67_5 = Math.tan((3 * Math.PI) / 8);

/** `gray` is row-major width × height in [0,1]. */
export function cannyEdges(gray: Float32Array, width: number, height: number, opts: CannyOptions = {}): Uint8Array {
  if (gray.length !== width * height) throw new RangeError(`cannyEdges: ${width}×${height} needs ${width * height} values (got ${gray.length})`);
  const sigma = opts.sigma ?? CANNY_DEFAULTS.sigma;
  const mode = opts.thresholds ?? 'relative';
  let low = opts.low ?? CANNY_DEFAULTS[mode].low;
  let high = opts.high ?? CANNY_DEFAULTS[mode].high;
  if (!(sigma >= 0)) throw new RangeError(`cannyEdges: sigma must be ≥ 0 (got ${sigma})`);
  if (!(low >= 0 && high >= low)) throw new RangeError(`cannyEdges: need 0 ≤ low ≤ high (got ${low}, ${high})`);

  // 1. blur (on the 0…255 scale the absolute thresholds refer to)
  const img = gaussianBlur(
    Float32Array.from(gray, (v) => v * 255),
    width,
    height,
    sigma,
  );

  // 2. Sobel gradients and L2 magnitude
  const gx = new Float32Array(width * height);
  const gy = new Float32Array(width * height);
  const mag = new Float32Array(width * height);
  let maxMag = 0;
  const at = (x: number, y: number) => img[Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const k = y * width + x;
      gx[k] = at(x + 1, y - 1) + 2 * at(x + 1, y) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x - 1, y) - at(x - 1, y + 1);
      gy[k] = at(x - 1, y + 1) + 2 * at(x, y + 1) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x, y - 1) - at(x + 1, y - 1);
      mag[k] = Math.hypot(gx[k], gy[k]);
      if (mag[k] > maxMag) maxMag = mag[k];
    }
  }
  const out = new Uint8Array(width * height);
  if (maxMag === 0) return out;
  if (mode === 'relative') {
    low *= maxMag;
    high *= maxMag;
  }

  // 3. non-maximum suppression along the gradient direction (4 sectors); `>` on one side and
  //    `>=` on the other keeps exactly one pixel of a two-pixel plateau, as OpenCV does.
  const thin = new Float32Array(width * height);
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const k = y * width + x;
      const m = mag[k];
      if (m < low || m === 0) continue;
      const ax = Math.abs(gx[k]);
      const ay = Math.abs(gy[k]);
      let step: number; // neighbour offset along the gradient
      if (ay <= ax * TAN_22_5) step = 1;
      else if (ay >= ax * TAN_67_5) step = width;
      else step = gx[k] * gy[k] > 0 ? width + 1 : width - 1;
      if (m > mag[k - step] && m >= mag[k + step]) thin[k] = m;
    }
  }

  // 4–5. strong pixels seed; weak pixels (≥ low) join when 8-connected to a seed.
  const stack = new Int32Array(width * height);
  let top = 0;
  for (let k = 0; k < thin.length; k++) {
    if (thin[k] >= high && thin[k] > 0) {
      out[k] = 255;
      stack[top++] = k;
    }
  }
  while (top > 0) {
    const k = stack[--top];
    const x = k % width;
    const y = (k - x) / width;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const nx = x + dx;
        const ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const j = ny * width + nx;
        if (out[j] === 0 && thin[j] >= low && thin[j] > 0) {
          out[j] = 255;
          stack[top++] = j;
        }
      }
    }
  }
  return out;
}

/** Separable Gaussian, radius ⌈3σ⌉, edges replicated. */
export function gaussianBlur(src: Float32Array, width: number, height: number, sigma: number): Float32Array {
  if (sigma <= 0) return src;
  const radius = Math.ceil(3 * sigma);
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
  const tmp = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let i = -radius; i <= radius; i++) acc += kernel[i + radius] * src[y * width + Math.min(width - 1, Math.max(0, x + i))];
      tmp[y * width + x] = acc;
    }
  }
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let i = -radius; i <= radius; i++) acc += kernel[i + radius] * tmp[Math.min(height - 1, Math.max(0, y + i)) * width + x];
      out[y * width + x] = acc;
    }
  }
  return out;
}
