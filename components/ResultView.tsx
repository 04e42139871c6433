'use client';
import { useEffect, useRef } from 'react';
import { useRun } from '@/stores/run';
import { downloadBytes, resultPngBytes } from './result-png';

function draw(canvas: HTMLCanvasElement, img: { width: number; height: number; rgba: Uint8ClampedArray }) {
  canvas.width = img.width;
  canvas.height = img.height;
  canvas.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(img.rgba), img.width, img.height), 0, 0);
}

export function ResultView() {
  const result = useRun((r) => r.result);
  const preview = useRun((r) => r.preview);
  const phase = useRun((r) => r.phase);
  const canvas = useRef<HTMLCanvasElement>(null);
  const shown = phase === 'generating' && preview ? preview : result;

  useEffect(() => {
    if (canvas.current && shown) draw(canvas.current, shown);
  }, [shown]);

  return (
    <div className="flex flex-col items-center gap-2">
      <div className="flex aspect-square w-full max-w-[512px] items-center justify-center rounded border border-dashed border-neutral-300 dark:border-neutral-700">
        {shown ? (
          <canvas
            ref={canvas}
            data-testid={shown === result ? 'result-canvas' : 'preview-canvas'}
            aria-label={shown === result ? `Generated image: ${result?.params.prompt}` : 'Preview'}
            className="h-full w-full object-contain [image-rendering:pixelated]"
          />
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
