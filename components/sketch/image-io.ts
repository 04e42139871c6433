'use client';
/** Browser image decoding for uploads and drops: File → RGBA pixels. */
import type { RgbaImage } from '@/lib/tensor/image';

export async function decodeImageFile(file: File): Promise<RgbaImage> {
  if (!file.type.startsWith('image/')) throw new Error(`${file.name} is not an image (${file.type || 'unknown type'})`);
  const bitmap = await createImageBitmap(file);
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2d canvas context');
  ctx.drawImage(bitmap, 0, 0);
  const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  bitmap.close();
  return { width: data.width, height: data.height, data: data.data };
}

export function putRgba(canvas: HTMLCanvasElement, img: RgbaImage): void {
  if (canvas.width !== img.width) canvas.width = img.width;
  if (canvas.height !== img.height) canvas.height = img.height;
  canvas.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(img.data), img.width, img.height), 0, 0);
}
