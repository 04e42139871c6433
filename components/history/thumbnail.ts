'use client';
/** The gallery's small picture of a result: ≤ 128 px on its long side, WebP where the browser encodes it (else PNG). */
import type { RunResult } from '@/stores/run';

export const THUMBNAIL_SIDE = 128;

export async function makeThumbnail(result: Pick<RunResult, 'width' | 'height' | 'rgba'>): Promise<{ bytes: Uint8Array; type: string }> {
  const full = document.createElement('canvas');
  full.width = result.width;
  full.height = result.height;
  full.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(result.rgba), result.width, result.height), 0, 0);
  const scale = Math.min(1, THUMBNAIL_SIDE / Math.max(result.width, result.height));
  const small = document.createElement('canvas');
  small.width = Math.max(1, Math.round(result.width * scale));
  small.height = Math.max(1, Math.round(result.height * scale));
  const ctx = small.getContext('2d');
  if (ctx) {
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(full, 0, 0, small.width, small.height);
  }
  // toBlob falls back to PNG where WebP encoding is missing (older Safari): the blob says which.
  const blob = await new Promise<Blob | null>((resolve) => small.toBlob(resolve, 'image/webp', 0.85));
  if (!blob) throw new Error('the browser could not encode the thumbnail');
  return { bytes: new Uint8Array(await blob.arrayBuffer()), type: blob.type || 'image/png' };
}
