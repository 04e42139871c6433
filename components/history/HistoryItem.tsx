'use client';
/** One gallery tile: the thumbnail (click to open), a checkbox for "Delete selected", a mark while not saved. */
import { useMemo } from 'react';
import type { HistoryEntry } from '@/lib/history';
import { useHistory, type PendingResult } from '@/stores/history';

/** A data: URL (thumbnails are a few KB): nothing to revoke when the tile goes. */
function dataUrl(thumbnail: HistoryEntry['thumbnail']): string {
  let bin = '';
  for (const b of thumbnail.bytes) bin += String.fromCharCode(b);
  return `data:${thumbnail.type};base64,${btoa(bin)}`;
}

export function HistoryItem({ entry, pending }: { entry: HistoryEntry; pending: PendingResult['state'] | null }) {
  const url = useMemo(() => dataUrl(entry.thumbnail), [entry.thumbnail]);
  const open = useHistory((s) => s.openId === entry.id);
  const checked = useHistory((s) => s.selected.includes(entry.id));
  const name = `${entry.params.prompt || '(no prompt)'}, seed ${entry.params.seed}${pending === 'not-saved' ? ', not saved' : ''}`;
  const toggle = () => {
    const { selected, patch } = useHistory.getState();
    patch({ selected: checked ? selected.filter((id) => id !== entry.id) : [...selected, entry.id] });
  };
  return (
    <li className="relative">
      <button
        type="button"
        data-testid="history-item"
        data-id={entry.id}
        aria-label={name}
        aria-pressed={open}
        title={name}
        onClick={() => useHistory.getState().patch({ openId: open ? null : entry.id, summary: null })}
        className={`block h-16 w-16 overflow-hidden rounded border-2 ${open ? 'border-amber-500' : 'border-transparent'}`}
      >
        {/* eslint-disable-next-line @next/next/no-img-element -- a data: URL of a thumbnail kept in IndexedDB */}
        <img src={url} alt="" className="h-full w-full object-cover" />
      </button>
      <input type="checkbox" data-testid="history-select" aria-label={`Select ${name}`} checked={checked} onChange={toggle} className="absolute left-1 top-1" />
      {pending && (
        <span
          data-testid={pending === 'not-saved' ? 'history-unsaved' : 'history-saving'}
          className="absolute bottom-0 left-0 right-0 bg-black/60 text-center text-[10px] text-white"
        >
          {pending === 'not-saved' ? 'not saved' : 'saving…'}
        </span>
      )}
    </li>
  );
}
