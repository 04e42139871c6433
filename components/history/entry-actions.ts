'use client';
/** What one gallery entry can do: restore its settings (and sketch), download, feed img2img or the sketch. */
import type { HistoryRecord } from '@/lib/history';
import { restoreSettings, useSettings } from '@/stores/settings';
import { useSketch } from '@/stores/sketch';
import { useHistory } from '@/stores/history';
import { downloadBytes } from '../result-png';
import { decodeImageFile } from '../sketch/image-io';
import { importEdges } from '../sketch/SketchUpload';
import { historyDb } from './history-db';

/** The whole record: from memory when it is not saved, else from IndexedDB (checked there). */
export async function lookup(id: string): Promise<{ record: HistoryRecord; repairs: string[] } | null> {
  const pending = useHistory.getState().pending.find((p) => p.record.id === id);
  if (pending) return { record: pending.record, repairs: [] };
  return (await historyDb()).get(id);
}

async function withRecord(id: string, act: (found: { record: HistoryRecord; repairs: string[] }) => Promise<string | null> | string | null): Promise<void> {
  const { patch } = useHistory.getState();
  try {
    const found = await lookup(id);
    if (!found) return patch({ message: 'this entry is gone or unreadable' });
    const summary = await act(found);
    if (summary !== null) patch({ summary });
  } catch (err) {
    patch({ message: err instanceof Error ? err.message : String(err) });
  }
}

/**
 * Brings back every setting of the run, through the same checks as saved settings (a record
 * may come from another build), with its seed fixed; its sketch and init image too.
 */
export function restoreEntry(id: string): Promise<void> {
  return withRecord(id, ({ record, repairs }) => {
    const p = record.params;
    const current = useSettings.getState();
    const { settings, dropped } = restoreSettings(
      { ...p, seedMode: 'fixed', controlEnabled: record.sketch !== null || p.controlScale !== undefined, initSource: record.init ? 'upload' : 'none' },
      current,
    );
    // Settings first, then the sketch at that size: the sketch panel's resize then has nothing to do.
    current.set(settings);
    const sketch = useSketch.getState();
    if (record.sketch) sketch.dispatch({ type: 'load', doc: record.sketch });
    if (record.init) sketch.patch({ initUpload: record.init });
    const parts = [
      `“${settings.prompt}”`,
      `seed ${settings.seed}`,
      `${settings.steps} steps`,
      record.sampler || settings.scheduler,
      `${settings.width}×${settings.height}`,
    ];
    if (record.sketch) parts.push('sketch');
    if (record.init) parts.push(`init image (strength ${settings.strength})`);
    const fixed = [...repairs, ...dropped.map((d) => `${d.param}: ${d.reason}`)];
    return `restored ${parts.join(', ')}${record.modelName ? ` · made with ${record.modelName}` : ''}${fixed.length ? ` · repaired: ${fixed.join('; ')}` : ''}`;
  });
}

export function downloadEntry(id: string): Promise<void> {
  return withRecord(id, ({ record }) => {
    // The PNG as kept, its `parameters` text included.
    downloadBytes(record.png, `lantern-${record.params.seed}.png`);
    return null;
  });
}

async function pixelsOf(record: HistoryRecord) {
  return decodeImageFile(new File([record.png as BlobPart], `lantern-${record.params.seed}.png`, { type: 'image/png' }));
}

export function sendToImg2img(id: string): Promise<void> {
  return withRecord(id, async ({ record }) => {
    useSketch.getState().patch({ initUpload: await pixelsOf(record) });
    useSettings.getState().set({ initSource: 'upload' });
    return `seed ${record.params.seed} is the img2img init image`;
  });
}

export function entryAsSketch(id: string): Promise<void> {
  return withRecord(id, async ({ record }) => {
    useSketch.getState().patch({ edgeSource: await pixelsOf(record) });
    importEdges();
    return `seed ${record.params.seed} is the sketch (as edges)`;
  });
}
