'use client';
/** Upload (or drop) an image → edge map that becomes the editable sketch; thresholds re-run it. */
import { useEffect, useRef } from 'react';
import { prepareUploadedSketch } from '@/lib/sketch';
import { useSketch, type UploadMode } from '@/stores/sketch';
import { putRgba } from './image-io';
import { fieldClass } from '../fields';

/** Turns the stored edge source into the sketch's background layer (one undo step). */
export function importEdges(): void {
  const { edgeSource, uploadMode, fit, canny, sketch, dispatch, patch } = useSketch.getState();
  if (!edgeSource) return;
  const r = prepareUploadedSketch(edgeSource, sketch.doc.width, sketch.doc.height, {
    mode: uploadMode,
    fit,
    canny: { thresholds: 'relative', low: canny.low, high: canny.high, sigma: canny.sigma },
  });
  dispatch({ type: 'importBackground', mask: r.mask });
  patch({ uploadNote: r.kind === 'canny' ? 'edges (Canny)' : r.inverted ? 'line drawing, inverted to white on black' : 'line drawing' });
}

export function SketchUpload({ onFile }: { onFile: (file: File) => void }) {
  // Selectors: the whole store changes on every pointer move while drawing.
  const edgeSource = useSketch((s) => s.edgeSource);
  const uploadMode = useSketch((s) => s.uploadMode);
  const canny = useSketch((s) => s.canny);
  const uploadNote = useSketch((s) => s.uploadNote);
  const patch = useSketch((s) => s.patch);
  const preview = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    if (preview.current && edgeSource) putRgba(preview.current, edgeSource);
  }, [edgeSource]);

  const rerun = (p: Parameters<typeof patch>[0]) => {
    patch(p);
    importEdges();
  };

  return (
    <details className="text-sm" open={edgeSource !== null}>
      <summary className="cursor-pointer font-medium">Start from an image (edges)</summary>
      <div className="mt-2 flex flex-col gap-2">
        <input
          type="file"
          accept="image/*"
          data-testid="sketch-upload"
          aria-label="Upload an image to turn into a sketch"
          onChange={(e) => e.target.files?.[0] && onFile(e.target.files[0])}
        />
        {edgeSource && (
          <>
            <div className="flex items-center gap-2">
              <canvas ref={preview} className="h-16 w-16 rounded border object-contain" aria-label="Uploaded image" />
              <span data-testid="upload-note" className="text-neutral-600 dark:text-neutral-400">
                {uploadNote}
              </span>
            </div>
            <label className="flex items-center gap-2">
              <span className="w-20">Mode</span>
              <select data-testid="upload-mode" value={uploadMode} className={fieldClass} onChange={(e) => rerun({ uploadMode: e.target.value as UploadMode })}>
                <option value="auto">auto</option>
                <option value="lines">line drawing</option>
                <option value="canny">edges (Canny)</option>
              </select>
            </label>
            <label className="flex items-center gap-2">
              <span className="w-20">Low</span>
              <input
                type="range"
                data-testid="canny-low"
                aria-label="Canny low threshold"
                min={0.01}
                max={0.9}
                step={0.01}
                value={canny.low}
                onChange={(e) => rerun({ canny: { ...canny, low: Math.min(Number(e.target.value), canny.high) } })}
              />
              <output className="tabular-nums">{canny.low.toFixed(2)}</output>
            </label>
            <label className="flex items-center gap-2">
              <span className="w-20">High</span>
              <input
                type="range"
                data-testid="canny-high"
                aria-label="Canny high threshold"
                min={0.02}
                max={1}
                step={0.01}
                value={canny.high}
                onChange={(e) => rerun({ canny: { ...canny, high: Math.max(Number(e.target.value), canny.low) } })}
              />
              <output className="tabular-nums">{canny.high.toFixed(2)}</output>
            </label>
          </>
        )}
      </div>
    </details>
  );
}
