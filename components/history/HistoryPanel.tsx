'use client';
/** The gallery of kept results (IndexedDB): being built in this step (#11). */
export function HistoryPanel() {
  return null;
}
