'use client';
/**
 * The drawing surface: pointer events (mouse, pen with pressure, touch without scrolling)
 * become lib/sketch actions; the canvas shows the sketch as dark ink on light paper at
 * its own pixel size, while the model gets the same strokes as white on black.
 */
import { useEffect, useMemo, useRef, type PointerEvent as ReactPointerEvent } from 'react';
import { createInkCache, toDisplayImage } from '@/lib/sketch';
import { useSketch } from '@/stores/sketch';
import { putRgba } from './image-io';

/** On-screen resolution: at least this many canvas pixels on the long side, for smooth lines. */
const DISPLAY_LONG_SIDE = 512;

export function SketchCanvas({ onDropFile }: { onDropFile: (file: File) => void }) {
  const sketch = useSketch((s) => s.sketch);
  const dispatch = useSketch((s) => s.dispatch);
  const canvas = useRef<HTMLCanvasElement>(null);
  const cache = useMemo(() => createInkCache(), []);
  const { width, height } = sketch.doc;
  const scale = Math.max(1, Math.round(DISPLAY_LONG_SIDE / Math.max(width, height)));

  useEffect(() => {
    if (!canvas.current) return;
    const frame = requestAnimationFrame(() => {
      if (canvas.current) putRgba(canvas.current, toDisplayImage(sketch, width * scale, height * scale, { inkOnLight: true, cache }));
    });
    return () => cancelAnimationFrame(frame);
  }, [sketch, width, height, scale, cache]);

  const toSketch = (e: ReactPointerEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    return { x: ((e.clientX - rect.left) / rect.width) * width, y: ((e.clientY - rect.top) / rect.height) * height };
  };

  return (
    <canvas
      ref={canvas}
      data-testid="sketch-canvas"
      aria-label="Sketch canvas: draw with mouse, pen or finger"
      role="img"
      tabIndex={0}
      style={{ aspectRatio: `${width} / ${height}`, touchAction: 'none' }}
      className="w-full max-w-[512px] cursor-crosshair rounded border border-neutral-300 bg-white dark:border-neutral-700"
      onPointerDown={(e) => {
        if (e.button !== 0 && e.pointerType === 'mouse') return;
        e.currentTarget.setPointerCapture(e.pointerId);
        // A pen's eraser end (button 5) erases whatever tool is selected.
        const eraser = e.pointerType === 'pen' && (e.buttons & 32) !== 0;
        dispatch({
          type: 'pointerDown',
          pointerId: e.pointerId,
          pointerType: e.pointerType,
          pressure: e.pressure,
          ...toSketch(e),
          ...(eraser && { tool: 'eraser' as const }),
        });
      }}
      onPointerMove={(e) => {
        if (!useSketch.getState().sketch.active) return;
        const events = e.nativeEvent.getCoalescedEvents?.() ?? [e.nativeEvent];
        const rect = e.currentTarget.getBoundingClientRect();
        for (const ev of events.length ? events : [e.nativeEvent]) {
          dispatch({
            type: 'pointerMove',
            pointerId: ev.pointerId,
            pressure: ev.pressure,
            x: ((ev.clientX - rect.left) / rect.width) * width,
            y: ((ev.clientY - rect.top) / rect.height) * height,
          });
        }
      }}
      onPointerUp={(e) => dispatch({ type: 'pointerUp', pointerId: e.pointerId, pressure: e.pressure, ...toSketch(e) })}
      onPointerCancel={(e) => dispatch({ type: 'pointerCancel', pointerId: e.pointerId })}
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        const file = e.dataTransfer.files[0];
        if (file) onDropFile(file);
      }}
    />
  );
}
