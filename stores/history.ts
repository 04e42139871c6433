/**
 * The results gallery (components/history): what IndexedDB holds, listed without the big parts;
 * results not (yet) saved, kept whole in memory so a full disk never loses the newest one; the
 * selection; the storage line. Plain data only.
 */
import { create } from 'zustand';
import type { HistoryEntry, HistoryRecord, HistoryUsage } from '@/lib/history';

/** A result the store has not accepted: being saved now, or refused (full storage, other failure). */
export interface PendingResult {
  record: HistoryRecord;
  state: 'saving' | 'not-saved';
}

export interface HistoryState {
  /** 'unavailable': IndexedDB cannot be used here; results are kept for this page only. */
  status: 'loading' | 'ready' | 'unavailable';
  /** Saved entries, newest first. */
  items: HistoryEntry[];
  /** Newest first; shown in the gallery with a "not saved" mark until saved. */
  pending: PendingResult[];
  /** Checked for "Delete selected". */
  selected: string[];
  /** The entry whose actions are shown. */
  openId: string | null;
  /** The last save was refused for lack of space: offer to delete the oldest. */
  full: boolean;
  /** A failure or an outcome to show (not the quota one, which `full` carries). */
  message: string | null;
  /** What the last restore brought back. */
  summary: string | null;
  usage: HistoryUsage;
  /** navigator.storage.estimate(), when the browser has it. */
  estimate: { usage: number; quota: number } | null;
}

export const useHistory = create<HistoryState & { patch: (p: Partial<HistoryState>) => void }>()((set) => ({
  status: 'loading',
  items: [],
  pending: [],
  selected: [],
  openId: null,
  full: false,
  message: null,
  summary: null,
  usage: { count: 0, bytes: 0 },
  estimate: null,
  patch: (p) => set(p),
}));
