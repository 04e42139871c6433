/** The model library: what is cached, the download in flight, the picker's state. Plain data only. */
import { create } from 'zustand';
import type { DeviceCaps } from '@/lib/onnx/device-caps';
import type { CachedModelSummary, DownloadPlan, DownloadProgress, HubModelRef, StorageInfo } from '@/lib/worker/cache-protocol';

export type DownloadPhase = 'planning' | 'ready-to-download' | 'downloading' | 'paused' | 'done' | 'error';

/** One repo's share of a download: a catalogue entry that takes files from two repos has two. */
export interface DownloadGroup {
  ref: HubModelRef;
  /** Exactly these repo paths (absent: every model-folder file the repo lists). */
  only?: string[];
  /** Repo path → path in the assembled folder. */
  files: { path: string; as: string }[];
  key: string | null;
  totalBytes: number;
  missingBytes: number;
}

export interface DownloadState extends Omit<DownloadProgress, 'key'> {
  /** What the panel calls it: the catalogue entry's name or the repo. */
  label: string;
  ref: HubModelRef;
  /** Set for a download assembled from several repos (or selected files); null: the whole model folder of `ref`. */
  groups: DownloadGroup[] | null;
  /** The catalogue's fit check for this device (lib/models/fit.ts), shown before a multi-GB download; null for a repo typed by hand. */
  deviceFit: { verdict: string; backend: string | null; reasons: string[] } | null;
  phase: DownloadPhase;
  plan: DownloadPlan | null;
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
