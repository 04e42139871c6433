'use client';
/**
 * The gallery of kept results (IndexedDB, survives reloads): thumbnails newest first, the ones
 * not saved yet included; select to delete; open one to restore, download or reuse it.
 */
import { useEffect, useMemo } from 'react';
import { useHistory } from '@/stores/history';
import { deleteEntries, refresh } from './history-db';
import { startRecording } from './recorder';
import { HistoryActions } from './HistoryActions';
import { HistoryFull } from './HistoryFull';
import { HistoryItem } from './HistoryItem';
import { HistoryUsage } from './HistoryUsage';

function HistoryGrid() {
  const items = useHistory((s) => s.items);
  const pending = useHistory((s) => s.pending);
  const tiles = useMemo(() => {
    const shown = new Set(items.map((e) => e.id));
    const unsaved = pending.filter((p) => !shown.has(p.record.id)).map((p) => ({ entry: p.record, pending: p.state }));
    return [...unsaved, ...items.map((entry) => ({ entry, pending: null }))].sort((a, b) => b.entry.createdAt - a.entry.createdAt);
  }, [items, pending]);
  if (tiles.length === 0) return <p className="text-sm text-neutral-500">Results you generate are kept here.</p>;
  return (
    <ul className="flex flex-wrap gap-2" data-testid="history-grid">
      {tiles.map((t) => (
        <HistoryItem key={t.entry.id} entry={t.entry} pending={t.pending} />
      ))}
    </ul>
  );
}

function DeleteSelected() {
  const count = useHistory((s) => s.selected.length);
  if (count === 0) return null;
  return (
    <button
      type="button"
      data-testid="history-delete-selected"
      className="rounded border border-neutral-300 px-2 py-1 text-sm dark:border-neutral-700"
      onClick={() => void deleteEntries(useHistory.getState().selected)}
    >
      Delete selected ({count})
    </button>
  );
}

export function HistoryPanel() {
  const openId = useHistory((s) => s.openId);
  const message = useHistory((s) => s.message);
  useEffect(() => {
    void refresh();
    return startRecording();
  }, []);
  return (
    // The studio places this in its own "History" section.
    <div className="flex flex-col gap-2">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="font-medium">History</h2>
        <HistoryUsage />
        <DeleteSelected />
      </div>
      <HistoryFull />
      <HistoryGrid />
      {openId && <HistoryActions id={openId} />}
      {message && (
        <p data-testid="history-message" className="text-sm text-neutral-600 dark:text-neutral-400">
          {message}
        </p>
      )}
    </div>
  );
}
