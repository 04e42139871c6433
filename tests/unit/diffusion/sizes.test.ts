import { describe, expect, it } from 'vitest';
import { sizeWarning, supportedSides } from '@/lib/diffusion/sizes';

const sd = { native: { width: 512, height: 512 }, fixed: null };
const tiny = { native: { width: 64, height: 64 }, fixed: null };

describe('supportedSides', () => {
  it('offers ¾…1½ of the native side by 64 px (SD 1.5: 384…768)', () => {
    expect(supportedSides(sd, 'width')).toEqual([384, 448, 512, 576, 640, 704, 768]);
  });
  it('a 64² model gets 64 only, never 512', () => {
    expect(supportedSides(tiny, 'height')).toEqual([64]);
  });
  it('a static U-Net offers its one size', () => {
    expect(supportedSides({ native: { width: 512, height: 512 }, fixed: { width: 512, height: 384 } }, 'height')).toEqual([384]);
  });
  it('SD 2 at 768: 576…1152; a native side off the 64 grid is kept', () => {
    expect(supportedSides({ native: { width: 768, height: 768 }, fixed: null }, 'width')).toEqual([576, 640, 704, 768, 832, 896, 960, 1024, 1088, 1152]);
    expect(supportedSides({ native: { width: 72, height: 72 }, fixed: null }, 'width')).toEqual([64, 72]);
  });
});

describe('sizeWarning', () => {
  it('is null for an offered size', () => {
    expect(sizeWarning(sd, 640, 512)).toBeNull();
  });
  it('names the native size and the cost for a big custom size', () => {
    expect(sizeWarning(tiny, 512, 512)).toBe(
      '512×512 is outside the sizes this model was trained for (around 64×64): expect repeated or broken shapes — about 64× the work of 64×64 per step',
    );
  });
  it('a small custom size says so without a cost', () => {
    expect(sizeWarning(sd, 128, 128)).toMatch(/^128×128 is outside .*around 512×512\): expect repeated or broken shapes$/);
  });
  it('a static U-Net refuses any other size', () => {
    expect(sizeWarning({ native: { width: 64, height: 64 }, fixed: { width: 64, height: 64 } }, 72, 64)).toMatch(/static shapes: it runs at 64×64 only/);
  });
});
