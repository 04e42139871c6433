'use client';
import { useEffect, useRef } from 'react';
import { useRun } from '@/stores/run';
import { downloadBytes, resultPngBytes } from './result-png';

function draw(canvas: HTMLCanvasElement, img: { width: number; height: number; rgba: Uint8ClampedArray }) {
  canvas.width = img.width;
  canvas.height = img.height;
  canvas.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(img.rgba), img.width, img.height), 0, 0);
}

const CANVAS_CLASS = 'h-full w-full object-contain [image-rendering:pixelated]';

/**
 * The worker's preview bitmap, handed to the canvas as is (`bitmaprenderer`: no copy, no pixel
 * loop on this thread while the worker runs). Its own element: a canvas keeps its first context type.
 */
function PreviewCanvas({ preview }: { preview: { width: number; height: number; bitmap: ImageBitmap } }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const el = canvas.current;
    // A transferred bitmap is detached (0×0): already on screen (an effect run twice in development).
    if (!el || preview.bitmap.width === 0) return;
    // The canvas's own size is the picture's, so `object-contain` keeps its aspect.
    el.width = preview.width;
    el.height = preview.height;
    const renderer = el.getContext('bitmaprenderer');
    if (renderer) return renderer.transferFromImageBitmap(preview.bitmap);
    el.getContext('2d')?.drawImage(preview.bitmap, 0, 0);
  }, [preview]);
  return <canvas ref={canvas} data-testid="preview-canvas" aria-label="Preview" className={CANVAS_CLASS} />;
}

export function ResultView() {
  const result = useRun((r) => r.result);
  const preview = useRun((r) => r.preview);
  const phase = useRun((r) => r.phase);
  const canvas = useRef<HTMLCanvasElement>(null);
  const showPreview = phase === 'generating' && preview !== null;

  useEffect(() => {
    if (canvas.current && result && !showPreview) draw(canvas.current, result);
  }, [result, showPreview]);

  return (
    <div className="flex flex-col items-center gap-2">
      <div className="flex aspect-square w-full max-w-[512px] items-center justify-center rounded border border-dashed border-neutral-300 dark:border-neutral-700">
        {showPreview ? (
          <PreviewCanvas key="preview" preview={preview} />
        ) : result ? (
          <canvas key="result" ref={canvas} data-testid="result-canvas" aria-label={`Generated image: ${result.params.prompt}`} className={CANVAS_CLASS} />
        ) : (
          <span className="text-sm text-neutral-500">Your image appears here</span>
        )}
      </div>
      {result && phase !== 'generating' && result.warnings.length > 0 && (
        <ul data-testid="result-warning" role="status" className="text-sm text-amber-700 dark:text-amber-400">
          {result.warnings.map((w) => (
            <li key={w}>⚠ {w}</li>
          ))}
        </ul>
      )}
      {result && phase !== 'generating' && (
        <button
          type="button"
          data-testid="download"
          className="rounded border border-neutral-300 px-3 py-1 text-sm dark:border-neutral-700"
          onClick={() => void resultPngBytes(result).then((png) => downloadBytes(png, `lantern-${result.params.seed}.png`))}
        >
          Download PNG
        </button>
      )}
    </div>
  );
}
