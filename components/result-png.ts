'use client';
/** A result as the PNG people download and history keeps: the pixels plus A1111-style `parameters`. */
import { writeResultPng, type InfotextInput } from '@/lib/png/result-png';
import type { RunResult } from '@/stores/run';

/** What the PNG says about its run, in A1111's form: the request carries ControlNet weights only with a control image, strength only with an init image. */
export function infotextOf(result: RunResult): InfotextInput {
  const p = result.params;
  return {
    params: p,
    sampler: result.sampler,
    modelName: result.modelName,
    ...(p.controlScale !== undefined && { control: { model: `${result.modelName} controlnet`, module: 'none' } }),
    ...(p.strength !== undefined && { init: true }),
  };
}

/** The browser's own PNG encoder (a canvas), then the infotext chunk. */
export async function resultPngBytes(result: RunResult): Promise<Uint8Array> {
  const canvas = document.createElement('canvas');
  canvas.width = result.width;
  canvas.height = result.height;
  canvas.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(result.rgba), result.width, result.height), 0, 0);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the browser could not encode the PNG');
  return writeResultPng(new Uint8Array(await blob.arrayBuffer()), infotextOf(result));
}

/** Saves bytes as a download named `name`. */
export function downloadBytes(bytes: Uint8Array, name: string, type = 'image/png'): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
