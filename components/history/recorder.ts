'use client';
/**
 * Every finished deliberate run goes into the history as soon as it arrives (a reload or a crash
 * later loses nothing already finished). Live-mode runs (regenerated while drawing) are skipped:
 * they would flood the gallery with near-duplicates.
 */
import type { HistoryRecord } from '@/lib/history';
import { useRun, type RunResult } from '@/stores/run';
import { useHistory } from '@/stores/history';
import { resultPngBytes } from '../result-png';
import { keep } from './history-db';
import { makeThumbnail } from './thumbnail';

/** A fresh id: random (not derived from the time) so two tabs finishing at once never collide. */
function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `${Date.now().toString(36)}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export async function recordOf(result: RunResult): Promise<HistoryRecord> {
  const [png, thumbnail] = await Promise.all([resultPngBytes(result), makeThumbnail(result)]);
  return {
    id: newId(),
    createdAt: result.finishedAt,
    params: result.params,
    sampler: result.sampler,
    modelName: result.modelName,
    modelSource: result.modelSource,
    backend: result.backend,
    timings: result.timings,
    warnings: result.warnings,
    width: result.width,
    height: result.height,
    thumbnail,
    bytes: 0, // counted by the store
    hasSketch: result.inputs.sketch !== null,
    hasInit: result.inputs.init !== null,
    png,
    sketch: result.inputs.sketch,
    init: result.inputs.init,
  };
}

/** Starts recording; returns the unsubscribe. Each new result object is one run (stores/run.ts). */
export function startRecording(): () => void {
  return useRun.subscribe((state, prev) => {
    const result = state.result;
    if (!result || result === prev.result || result.live) return;
    recordOf(result)
      .then(keep)
      .catch((err: unknown) => useHistory.getState().patch({ message: `not kept: ${err instanceof Error ? err.message : String(err)}` }));
  });
}
