/**
 * The typed contract between the UI thread and the cache worker, which downloads Hub models
 * into the Origin Private File System and manages what is stored there. A separate worker
 * from the diffusion one, so downloads go on while a picture is being made. Requests carry
 * an id; every event answers one request id.
 */
import type { LanternErrorCode } from '../errors';

/** A Hub model: `{endpoint}/{repo}` at `revision` (branch, tag or commit), the model folder at `subfolder` ("" = the top). */
export interface HubModelRef {
  endpoint: string;
  repo: string;
  revision: string;
  subfolder: string;
}

export interface StorageInfo {
  /** navigator.storage.estimate(): bytes this origin uses and may use. */
  usage: number;
  quota: number;
  /** navigator.storage.persisted(): the browser will not evict the cache under pressure. */
  persisted: boolean;
}

export type FileState = 'missing' | 'partial' | 'downloading' | 'verifying' | 'complete' | 'failed';

export interface CachedFileState {
  /** Path inside the model folder (the subfolder stripped). */
  path: string;
  size: number;
  /** Bytes on disk (complete or partial). */
  done: number;
  state: FileState;
}

export interface CachedModelSummary {
  /** Stable id of one snapshot (endpoint host, repo, commit, subfolder): what `load-model {kind: 'cache'}` opens. */
  key: string;
  ref: HubModelRef;
  commit: string;
  files: number;
  bytes: number;
  /** Bytes of complete and partial files on disk. */
  bytesDone: number;
  /** Every file is there and verified: the model opens offline. */
  complete: boolean;
  /** ms since the epoch of the last change. */
  updatedAt: number;
}

/** What a download would fetch, before it starts: does it fit? */
export interface DownloadPlan {
  key: string;
  ref: HubModelRef;
  commit: string;
  files: { path: string; size: number; sha256?: string }[];
  totalBytes: number;
  /** Bytes not yet on disk (a partial download counts what it has). */
  missingBytes: number;
  storage: StorageInfo;
  /** missingBytes fits in quota − usage. */
  fits: boolean;
}

/** `only` (plan, download): exactly these paths under the subfolder — a catalogue entry that takes single files from a repo — instead of every model-folder file listed. */
export type CacheRequest =
  /** Resolves the revision to a commit and lists the model's files (the network), or answers from the cache when offline. */
  | { id: string; type: 'plan'; ref: HubModelRef; token?: string; only?: string[] }
  /** Downloads what is missing, resuming partial files with Range; verifies sizes and sha256 before a file counts. */
  | { id: string; type: 'download'; ref: HubModelRef; token?: string; concurrency?: number; only?: string[] }
  /** Stops a download; its partial files stay for a later 'download' of the same ref. */
  | { id: string; type: 'pause'; target: string }
  /** Stops a download and deletes the files it had not finished. */
  | { id: string; type: 'cancel'; target: string }
  /** The complete cached snapshot for a ref, without the network (a branch is looked up in the cache's refs), or null. */
  | { id: string; type: 'find'; ref: HubModelRef }
  | { id: string; type: 'list' }
  | { id: string; type: 'delete'; key: string }
  | { id: string; type: 'delete-all' }
  /** navigator.storage.persist(). */
  | { id: string; type: 'persist' };

/** Where a download stands: per file and in total. */
export interface DownloadProgress {
  key: string;
  files: CachedFileState[];
  bytesDone: number;
  bytesTotal: number;
  /** Over the last few seconds; 0 before the first bytes. */
  bytesPerSec: number;
  etaSec: number | null;
  /** Requests retried after a cut, a stall or a 5xx. */
  retries: number;
}

export type CacheErrorCode = LanternErrorCode | 'busy' | 'internal';

export type CacheEvent =
  | { id: string; type: 'plan'; plan: DownloadPlan }
  | ({ id: string; type: 'download-progress' } & DownloadProgress)
  | { id: string; type: 'download-done'; model: CachedModelSummary; ms: number; fetchedBytes: number; resumedBytes: number }
  | { id: string; type: 'paused'; model: CachedModelSummary }
  | { id: string; type: 'cancelled' }
  | { id: string; type: 'found'; model: CachedModelSummary | null }
  | { id: string; type: 'models'; models: CachedModelSummary[]; storage: StorageInfo }
  | { id: string; type: 'deleted'; storage: StorageInfo }
  | { id: string; type: 'persisted'; persisted: boolean }
  | { id: string; type: 'error'; code: CacheErrorCode; message: string; file?: string };
