import { describe, expect, it } from 'vitest';
import { imageToRgba, latentPreviewRgba, vaeOutputToImage } from '@/lib/tensor/image';
import { float16ToFloat32, float32ToFloat16, fromHalf, toHalf } from '@/lib/tensor/float16';
import { tensor } from '@/lib/tensor/tensor';

describe('VAE output → image', () => {
  // [1,3,2,2]: channel planes R, G, B
  const sample = tensor([1, 3, 2, 2], Float32Array.from([-1, 0, 1, 3, /* G */ -3, 0.5, -0.5, 0, /* B */ 0, 0, 0, 0]));

  it('maps [-1,1] to [0,1], clamps, and reorders CHW → HWC', () => {
    const img = vaeOutputToImage(sample);
    expect([img.width, img.height]).toEqual([2, 2]);
    expect(Array.from(img.data)).toEqual([0, 0, 0.5, 0.5, 0.75, 0.5, 1, 0.25, 0.5, 1, 0.5, 0.5]);
  });

  it('rounds to RGBA bytes with opaque alpha', () => {
    const rgba = imageToRgba(vaeOutputToImage(sample));
    expect(Array.from(rgba)).toEqual([0, 0, 128, 255, 128, 191, 128, 255, 255, 64, 128, 255, 255, 128, 128, 255]);
  });

  it('rejects anything but [1,3,H,W]', () => {
    expect(() => vaeOutputToImage(tensor([1, 4, 2, 2]))).toThrow(/expected \[1,3,H,W\], got \[1,4,2,2\]/);
  });

  it('latent preview stretches each channel to the full byte range', () => {
    const latents = tensor([1, 4, 1, 2], Float32Array.from([-2, 2, 0, 1, 5, 5, 9, 9]));
    const { width, height, rgba } = latentPreviewRgba(latents);
    expect([width, height]).toEqual([2, 1]);
    expect(Array.from(rgba)).toEqual([0, 0, 0, 255, 255, 255, 0, 255]);
  });
});

describe('float16', () => {
  it('round-trips representable values exactly', () => {
    const values = [0, 1, -2, 0.5, 65504, 2 ** -24, -0.099975586];
    expect(Array.from(float16ToFloat32(float32ToFloat16(Float32Array.from(values))))).toEqual(values.map((v) => Math.fround(v)));
  });

  it('encodes known bit patterns and rounds half to even', () => {
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(65520)).toBe(0x7c00); // overflows to +inf
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(fromHalf(0x7e00)).toBeNaN();
    expect(fromHalf(0x0001)).toBe(2 ** -24);
  });
});
