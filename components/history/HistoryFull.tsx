'use client';
/** Storage refused a result: say so, offer to delete the oldest entry to make room for it, or to try again. */
import { useHistory } from '@/stores/history';
import { deleteOldestAndSave, retrySaving } from './history-db';

export function HistoryFull() {
  const full = useHistory((s) => s.full);
  if (!full) return null;
  return (
    <div
      role="alert"
      data-testid="history-full"
      className="flex flex-wrap items-center gap-2 rounded border border-amber-500 bg-amber-50 p-2 text-sm dark:bg-amber-950"
    >
      <span>
        Storage is full: the newest result is shown here but not saved. Delete the oldest entry to make room for it, or free space elsewhere and try again.
      </span>
      <button
        type="button"
        data-testid="history-delete-oldest"
        className="rounded border border-amber-600 px-2 py-1"
        onClick={() => void deleteOldestAndSave()}
      >
        Delete oldest
      </button>
      <button type="button" data-testid="history-retry" className="rounded border border-amber-600 px-2 py-1" onClick={() => void retrySaving()}>
        Try again
      </button>
    </div>
  );
}
