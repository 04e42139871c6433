'use client';
/** The page's one history store (IndexedDB), opened on first use; the gallery's writes go through here, in order. */
import { HistoryFullError, HistoryUnavailableError, openHistoryStore, type HistoryRecord, type HistoryStore } from '@/lib/history';
import { useHistory, type PendingResult } from '@/stores/history';

let opening: Promise<HistoryStore> | null = null;

export function historyDb(): Promise<HistoryStore> {
  opening ??= openHistoryStore();
  return opening;
}

// One write at a time, in arrival order: a burst of batch results saves oldest first.
let queue: Promise<unknown> = Promise.resolve();
export function serially<T>(job: () => Promise<T>): Promise<T> {
  const run = queue.then(job, job);
  queue = run.catch(() => undefined);
  return run;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Reads the list, the record count and the browser's storage estimate into the store. */
export async function refresh(): Promise<void> {
  try {
    const db = await historyDb();
    const [items, usage] = await Promise.all([db.list(), db.usage()]);
    const ids = new Set(items.map((e) => e.id));
    const { selected, openId, pending } = useHistory.getState();
    useHistory.getState().patch({
      status: 'ready',
      items,
      usage,
      // A record saved meanwhile (another tab) is no longer pending.
      pending: pending.filter((p) => !ids.has(p.record.id)),
      selected: selected.filter((id) => ids.has(id) || pending.some((p) => p.record.id === id)),
      openId: openId && (ids.has(openId) || pending.some((p) => p.record.id === openId)) ? openId : null,
    });
  } catch (err) {
    useHistory
      .getState()
      .patch(
        err instanceof HistoryUnavailableError
          ? { status: 'unavailable', message: `history is kept for this page only: ${err.message}` }
          : { message: `history: ${errorText(err)}` },
      );
  }
  await refreshEstimate();
}

async function refreshEstimate(): Promise<void> {
  const estimate = await navigator.storage?.estimate?.().catch(() => null);
  if (estimate) useHistory.getState().patch({ estimate: { usage: estimate.usage ?? 0, quota: estimate.quota ?? 0 } });
}

function setPending(id: string, state: PendingResult['state'] | null): void {
  const { pending, patch } = useHistory.getState();
  patch({ pending: state === null ? pending.filter((p) => p.record.id !== id) : pending.map((p) => (p.record.id === id ? { ...p, state } : p)) });
}

/** Tries to save one pending record; true when it is in IndexedDB now. Must run inside `serially`. */
async function trySave(record: HistoryRecord): Promise<boolean> {
  try {
    await (await historyDb()).put(record);
    setPending(record.id, null);
    return true;
  } catch (err) {
    setPending(record.id, 'not-saved');
    if (err instanceof HistoryFullError) useHistory.getState().patch({ full: true });
    else useHistory.getState().patch({ message: `not saved: ${errorText(err)}` });
    return false;
  }
}

/** Shows a new result at once (marked as saving) and saves it. */
export function keep(record: HistoryRecord): Promise<void> {
  const { pending, patch } = useHistory.getState();
  patch({ pending: [{ record, state: 'saving' }, ...pending] });
  return serially(async () => {
    if (useHistory.getState().status === 'unavailable') return setPending(record.id, 'not-saved');
    if (await trySave(record)) await refresh();
  });
}

/** Saves what was refused earlier, oldest first; stops at the first refusal. True when nothing is left unsaved. */
async function savePendingNow(): Promise<boolean> {
  const oldestFirst = [...useHistory.getState().pending].reverse();
  for (const p of oldestFirst) if (!(await trySave(p.record))) return false;
  useHistory.getState().patch({ full: false });
  return true;
}

/** Deletes saved and unsaved entries by id, then retries the unsaved ones (space may have been freed). */
export function deleteEntries(ids: readonly string[]): Promise<void> {
  return serially(async () => {
    const gone = new Set(ids);
    const { pending, selected, openId, patch } = useHistory.getState();
    patch({
      pending: pending.filter((p) => !gone.has(p.record.id)),
      selected: selected.filter((id) => !gone.has(id)),
      openId: openId && gone.has(openId) ? null : openId,
    });
    try {
      await (await historyDb()).delete(ids);
      if (useHistory.getState().pending.length) await savePendingNow();
    } catch (err) {
      patch({ message: `could not delete: ${errorText(err)}` });
    }
    await refresh();
  });
}

const STILL_FULL = 'still not saved: delete more, or free space elsewhere (cached models)';

/**
 * "Delete oldest": deletes the oldest saved entry, then saves the unsaved results if they fit
 * now. One entry a click: where the browser is slow to count freed space, a loop would empty
 * the whole history. The unsaved results themselves are never deleted: the newest is not lost.
 */
export function deleteOldestAndSave(): Promise<void> {
  return serially(async () => {
    try {
      const ids = await (await historyDb()).deleteOldest(1);
      const saved = await savePendingNow();
      const done = ids.length ? 'deleted the oldest' : 'nothing saved left to delete';
      useHistory.getState().patch({ message: `${done}; ${saved ? 'saved' : STILL_FULL}` });
    } catch (err) {
      useHistory.getState().patch({ message: `could not make room: ${errorText(err)}` });
    }
    await refresh();
  });
}

/** "Try again": saves the unsaved results, e.g. after space was freed elsewhere. */
export function retrySaving(): Promise<void> {
  return serially(async () => {
    const saved = await savePendingNow();
    useHistory.getState().patch({ message: saved ? 'saved' : STILL_FULL });
    await refresh();
  });
}
