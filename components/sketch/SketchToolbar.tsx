'use client';
import { useEffect } from 'react';
import { canRedo, canUndo, MAX_BRUSH_SIZE, MIN_BRUSH_SIZE, type SketchAction } from '@/lib/sketch';
import { useSketch } from '@/stores/sketch';

const button =
  'rounded border border-neutral-300 px-2 py-1 disabled:opacity-40 aria-pressed:bg-amber-200 dark:border-neutral-700 dark:aria-pressed:bg-amber-800';

/** Keyboard shortcuts as in drawing apps; typing in a text field is left alone. */
function shortcut(e: KeyboardEvent): SketchAction | null {
  const target = e.target as HTMLElement | null;
  if (target && (target.tagName === 'TEXTAREA' || (target.tagName === 'INPUT' && (target as HTMLInputElement).type !== 'range') || target.isContentEditable))
    return null;
  const mod = e.ctrlKey || e.metaKey;
  if (mod && e.key.toLowerCase() === 'z') return e.shiftKey ? { type: 'redo' } : { type: 'undo' };
  if (mod && e.key.toLowerCase() === 'y') return { type: 'redo' };
  if (mod) return null;
  if (e.key === '[') return { type: 'sizeDown' };
  if (e.key === ']') return { type: 'sizeUp' };
  if (e.key === 'b') return { type: 'setTool', tool: 'brush' };
  if (e.key === 'e') return { type: 'setTool', tool: 'eraser' };
  return null;
}

export function SketchToolbar() {
  const sketch = useSketch((s) => s.sketch);
  const dispatch = useSketch((s) => s.dispatch);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const action = shortcut(e);
      if (!action) return;
      e.preventDefault();
      useSketch.getState().dispatch(action);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="flex flex-wrap items-center gap-2 text-sm" role="toolbar" aria-label="Sketch tools">
      <button
        type="button"
        className={button}
        data-testid="tool-brush"
        aria-pressed={sketch.tool === 'brush'}
        title="Brush (B)"
        onClick={() => dispatch({ type: 'setTool', tool: 'brush' })}
      >
        ✎ Brush
      </button>
      <button
        type="button"
        className={button}
        data-testid="tool-eraser"
        aria-pressed={sketch.tool === 'eraser'}
        title="Eraser (E)"
        onClick={() => dispatch({ type: 'setTool', tool: 'eraser' })}
      >
        ⌫ Eraser
      </button>
      <label className="flex items-center gap-1" title="Brush size ([ and ])">
        <span>Size</span>
        <input
          type="range"
          data-testid="brush-size"
          aria-label="Brush size"
          min={MIN_BRUSH_SIZE}
          max={MAX_BRUSH_SIZE}
          value={sketch.size}
          onChange={(e) => dispatch({ type: 'setSize', size: Number(e.target.value) })}
        />
        <output data-testid="brush-size-value" className="w-6 tabular-nums">
          {sketch.size}
        </output>
      </label>
      <button
        type="button"
        className={button}
        data-testid="undo"
        disabled={!canUndo(sketch)}
        title="Undo (Ctrl/Cmd+Z)"
        onClick={() => dispatch({ type: 'undo' })}
      >
        ↶ Undo
      </button>
      <button
        type="button"
        className={button}
        data-testid="redo"
        disabled={!canRedo(sketch)}
        title="Redo (Shift+Ctrl/Cmd+Z)"
        onClick={() => dispatch({ type: 'redo' })}
      >
        ↷ Redo
      </button>
      <button type="button" className={button} data-testid="clear" onClick={() => dispatch({ type: 'clear' })} title="Clear (undoable)">
        Clear
      </button>
      <span className="text-xs text-neutral-500" data-testid="stroke-count">
        {sketch.doc.strokes.length} strokes
      </span>
    </div>
  );
}
