'use client';
/** What the open entry can do; shown under the gallery. */
import { useHistory } from '@/stores/history';
import { deleteEntries } from './history-db';
import { downloadEntry, entryAsSketch, restoreEntry, sendToImg2img } from './entry-actions';

const button = 'rounded border border-neutral-300 px-2 py-1 text-sm hover:bg-neutral-100 dark:border-neutral-700 dark:hover:bg-neutral-800';

export function HistoryActions({ id }: { id: string }) {
  const summary = useHistory((s) => s.summary);
  return (
    <div className="flex flex-col gap-2">
      <div className="flex flex-wrap gap-2">
        <button type="button" className={button} data-testid="history-restore" onClick={() => void restoreEntry(id)}>
          Restore settings
        </button>
        <button type="button" className={button} data-testid="history-download" onClick={() => void downloadEntry(id)}>
          Download PNG
        </button>
        <button type="button" className={button} data-testid="history-to-img2img" onClick={() => void sendToImg2img(id)}>
          Send to img2img
        </button>
        <button type="button" className={button} data-testid="history-to-sketch" onClick={() => void entryAsSketch(id)}>
          Use as sketch
        </button>
        <button type="button" className={button} data-testid="history-delete" onClick={() => void deleteEntries([id])}>
          Delete
        </button>
      </div>
      {summary && (
        <p data-testid="history-summary" className="text-sm text-neutral-600 dark:text-neutral-400">
          {summary}
        </p>
      )}
    </div>
  );
}
