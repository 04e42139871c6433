'use client';
/** Exactly what the ControlNet receives: the sketch at the output size, white on black. */
import { useEffect, useRef } from 'react';
import { isEmpty, toControlImage } from '@/lib/sketch';
import { useSketch } from '@/stores/sketch';
import { putRgba } from './image-io';

export function ControlPreview({ width, height }: { width: number; height: number }) {
  const doc = useSketch((s) => s.sketch.doc);
  const sketch = useSketch((s) => s.sketch);
  const canvas = useRef<HTMLCanvasElement>(null);
  const empty = isEmpty(sketch);

  useEffect(() => {
    if (canvas.current) putRgba(canvas.current, toControlImage({ doc }, width, height));
  }, [doc, width, height]);

  return (
    <figure className="flex items-center gap-2 text-xs text-neutral-500">
      <canvas
        ref={canvas}
        data-testid="control-preview"
        aria-label="What the ControlNet receives"
        style={{ aspectRatio: `${width} / ${height}` }}
        className="w-16 rounded border border-neutral-300 [image-rendering:pixelated] dark:border-neutral-700"
      />
      <figcaption>
        ControlNet input {width}×{height}
        {empty ? ' — empty: no ControlNet pass' : ''}
      </figcaption>
    </figure>
  );
}
