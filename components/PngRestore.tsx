'use client';
import { useEffect, useState } from 'react';
import { readPngSettings } from '@/lib/png/result-png';
import { DEFAULT_SETTINGS, useSettings, type Settings } from '@/stores/settings';

/**
 * A PNG dropped anywhere on the page (or opened) brings back its settings — Lantern's, A1111's,
 * ComfyUI's where they map — with a summary of what was and was not understood. A PNG dropped on
 * the sketch canvas still becomes a sketch (the canvas stops the event before it gets here).
 */
export async function restoreFromPng(file: File): Promise<string> {
  const read = await readPngSettings(new Uint8Array(await file.arrayBuffer()));
  if (!read.ok) return `${file.name}: ${read.message}`;
  const { params, understood, notUnderstood, control } = read.settings;
  // Only what the studio has a control for (e.g. not a timestep spacing override).
  const patch: Partial<Settings> = Object.fromEntries(Object.entries(params).filter(([k]) => k in DEFAULT_SETTINGS));
  // A seed in a PNG means "this picture again": keep it fixed.
  if (params.seed !== undefined) patch.seedMode = 'fixed';
  if (control) patch.controlEnabled = true;
  useSettings.getState().set(patch);
  const skipped = notUnderstood.length ? ` · not used: ${notUnderstood.join('; ')}` : '';
  return `restored from ${file.name} (${read.source}): ${understood.join(', ') || 'nothing'}${skipped}`;
}

export function PngRestore() {
  const [summary, setSummary] = useState<string | null>(null);
  useEffect(() => {
    const over = (e: DragEvent) => {
      if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      const file = e.dataTransfer?.files[0];
      // The sketch canvas handled it (a dropped image becomes the sketch there).
      if (e.defaultPrevented || !file || file.type !== 'image/png') return;
      e.preventDefault();
      void restoreFromPng(file).then(setSummary);
    };
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, []);
  return (
    <div className="flex flex-wrap items-center gap-2 text-sm">
      <label className="cursor-pointer underline">
        Open a PNG’s settings…
        <input
          type="file"
          accept="image/png"
          className="hidden"
          data-testid="png-open"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void restoreFromPng(file).then(setSummary);
            e.target.value = '';
          }}
        />
      </label>
      {summary && (
        <span data-testid="png-restore-summary" className="text-neutral-600 dark:text-neutral-400">
          {summary}
        </span>
      )}
    </div>
  );
}
