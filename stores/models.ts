/** The model library: what is cached, the download in flight, the picker's state. Plain data only. */
import { create } from 'zustand';
import type { DeviceCaps } from '@/lib/onnx/device-caps';
import type { CachedFileState, CachedModelSummary, DownloadPlan, HubModelRef, StorageInfo } from '@/lib/worker/cache-protocol';

export type DownloadPhase = 'planning' | 'ready-to-download' | 'downloading' | 'paused' | 'done' | 'error';

export interface DownloadState {
  ref: HubModelRef;
  /** The catalogue entry it was started from, if any. */
  catalogId: string | null;
  phase: DownloadPhase;
  plan: DownloadPlan | null;
  files: CachedFileState[];
  bytesDone: number;
  bytesTotal: number;
  bytesPerSec: number;
  etaSec: number | null;
  retries: number;
  /** Set when the download finished: how it went (shown, and read by tests). */
  summary: string | null;
  error: { code: string; message: string } | null;
}

export interface ModelsState {
  pickerOpen: boolean;
  cached: CachedModelSummary[];
  storage: StorageInfo | null;
  download: DownloadState | null;
  /** The last failure of the library itself (listing, deleting), shown in the picker. */
  error: { code: string; message: string } | null;
  /** What this device can hold (WebGPU limits, shader-f16, storage), read once when the picker opens. */
  caps: DeviceCaps | null;
}

export const useModels = create<ModelsState & { patch: (p: Partial<ModelsState>) => void; patchDownload: (p: Partial<DownloadState>) => void }>()((set) => ({
  pickerOpen: false,
  cached: [],
  storage: null,
  download: null,
  error: null,
  caps: null,
  patch: (p) => set(p),
  patchDownload: (p) => set((s) => (s.download ? { download: { ...s.download, ...p } } : {})),
}));
