/**
 * snapshot_download for one model folder into the browser cache: resolve the revision to a
 * commit once, list the folder's files (tree API), keep only what a model folder needs, then
 * fetch what is missing with bounded parallelism (default 3), resuming partials and retrying
 * per file (download-file.ts). The manifest marks a file complete only after it verified, so a
 * pause, a crash or a full disk leaves nothing a later load would trust.
 */
import { DownloadStoppedError, ModelFolderError } from '../errors';
import { MODEL_PARTS } from '../models/manifest';
import { orderGraphNames } from '../models/layouts/graphs';
import type { CachedFileState, DownloadPlan, DownloadProgress, HubModelRef, StorageInfo } from '../worker/cache-protocol';
import { CacheIndex, parseSnapshotKey, snapshotFilePath, snapshotKey, type ManifestFile, type SnapshotManifest } from './cache-index';
import { HubUnreachableError, type HubClient, type HubFileEntry } from './client';
import { downloadFile } from './download-file';
import { ProgressMeter } from './progress-meter';
import { formatRepoRef, isCommitSha } from './repo-id';

const PARTS = new Set<string>(MODEL_PARTS);
/** Framework checkpoints that sit beside ONNX exports in many repos and that onnxruntime never reads. */
const NOT_ONNX = /(\.(safetensors|ckpt|pt|pth|msgpack|h5|ot)|(^|_)pytorch_model(\.[\w-]+)*\.bin|\.(md|png|jpe?g|webp|gif))$/i;
const TOP_FILES = new Set(['model_index.json', 'lantern.json']);

/**
 * The files of a model folder Lantern reads (docs/model-folders.md): model_index.json,
 * lantern.json, scheduler/scheduler_config.json, tokenizer/*, and in each part folder the graph
 * the loader picks with its external data and config — not READMEs, images, PyTorch weights,
 * other pipelines' parts (safety_checker, text_encoder_2) or the graphs the loader would skip.
 * `path` is inside the folder.
 */
export function neededFiles<T extends { path: string }>(files: readonly T[]): T[] {
  const byPart = new Map<string, T[]>();
  const keep: T[] = [];
  for (const f of files) {
    const parts = f.path.split('/');
    // A listing is outside input: a name that could climb out of the snapshot folder is never stored.
    if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\'))) continue;
    if (parts.length === 1) {
      if (TOP_FILES.has(f.path)) keep.push(f);
    } else if (parts.length === 2 && parts[0] === 'scheduler') {
      if (parts[1] === 'scheduler_config.json') keep.push(f);
    } else if (parts.length === 2 && parts[0] === 'tokenizer') {
      if (/\.(json|txt|model)$/.test(parts[1])) keep.push(f);
    } else if (parts.length === 2 && PARTS.has(parts[0]) && !NOT_ONNX.test(parts[1])) {
      byPart.set(parts[0], [...(byPart.get(parts[0]) ?? []), f]);
    }
  }
  for (const [part, inPart] of byPart) {
    const names = inPart.map((f) => f.path.slice(part.length + 1));
    const [picked, ...skipped] = orderGraphNames(names);
    // A skipped graph's own data file is named after it (`model_fp16.onnx_data`, `model_fp16.onnx.data`).
    const skippedData = (name: string) => skipped.some((g) => name === g || name.startsWith(`${g}_data`) || name.startsWith(`${g}.data`));
    for (const f of inPart) {
      const name = f.path.slice(part.length + 1);
      if (picked === undefined || !skippedData(name)) keep.push(f);
    }
  }
  return keep.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export interface PlanOptions {
  ref: HubModelRef;
  /** Exactly these paths (under the subfolder), not the model-folder files the listing holds: a catalogue entry that takes single files from a repo. */
  only?: readonly string[];
  client: HubClient;
  index: CacheIndex;
  storage: () => Promise<StorageInfo>;
}

export interface SnapshotPlan {
  plan: DownloadPlan;
  /** The files with their Hub hashes, as the manifest will list them. */
  files: ManifestFile[];
  /** Answered from the cache: the Hub was unreachable. */
  offline: boolean;
}

const folderPath = (repoPath: string, subfolder: string) => (subfolder ? repoPath.slice(subfolder.length + 1) : repoPath);
const repoPath = (path: string, subfolder: string) => (subfolder ? `${subfolder}/${path}` : path);

async function missingBytes(index: CacheIndex, key: string, files: ManifestFile[]): Promise<number> {
  const old = await index.manifest(key);
  const k = parseSnapshotKey(key);
  let missing = 0;
  for (const f of files) {
    const had = old?.files.find((o) => o.path === f.path);
    if (had?.complete && had.size === f.size) continue;
    const partial = await index.store.partialSize(snapshotFilePath(k, f.path));
    missing += f.size - Math.min(f.size, partial ?? 0);
  }
  return missing;
}

/** The files to fetch: what a model folder needs, or exactly `only` (each of which must be listed). */
function pick(listed: HubFileEntry[], only: readonly string[] | undefined, ref: HubModelRef): HubFileEntry[] {
  if (!only) return neededFiles(listed);
  for (const path of only) {
    if (!listed.some((f) => f.path === path)) throw new ModelFolderError('missing-file', path, `${formatRepoRef(ref)}: ${path} is not in the Hub's listing`);
  }
  return listed.filter((f) => only.includes(f.path));
}

/** What a download of `ref` would fetch, and whether it fits; from the cache alone when the Hub is unreachable. */
export async function planSnapshot(opts: PlanOptions): Promise<SnapshotPlan> {
  const { ref, client, index } = opts;
  let commit: string;
  let files: ManifestFile[];
  let offline = false;
  try {
    commit = isCommitSha(ref.revision) ? ref.revision : await client.resolveRevision(ref.repo, ref.revision);
    const listed: HubFileEntry[] = await client.listFiles(ref.repo, commit, ref.subfolder);
    const inFolder = listed.map((f) => ({ ...f, path: folderPath(f.path, ref.subfolder) }));
    files = pick(inFolder, opts.only, ref).map((f) => ({
      path: f.path,
      size: f.size,
      ...(f.sha256 ? { sha256: f.sha256 } : {}),
      ...(f.oid ? { oid: f.oid } : {}),
      complete: false,
    }));
  } catch (err) {
    if (!(err instanceof HubUnreachableError)) throw err;
    const cachedCommit = await index.commitOf(ref);
    const manifest = cachedCommit && (await index.manifest(snapshotKey(ref, cachedCommit)));
    if (!manifest) throw err;
    commit = manifest.commit;
    files = manifest.files.filter((f) => !opts.only || opts.only.includes(f.path)).map((f) => ({ ...f, complete: false }));
    offline = true;
  }
  if (files.length === 0) {
    throw new ModelFolderError(
      'missing-file',
      ref.subfolder || '.',
      `${formatRepoRef(ref)}: the Hub lists no model-folder files${ref.subfolder ? ` under ${ref.subfolder}/` : ''} at ${commit} (looked for model_index.json, tokenizer/, scheduler/ and ${MODEL_PARTS.join('/, ')}/)`,
    );
  }
  const key = snapshotKey(ref, commit);
  const missing = await missingBytes(index, key, files);
  const storage = await opts.storage();
  return {
    plan: {
      key,
      ref,
      commit,
      files: files.map((f) => ({ path: f.path, size: f.size, ...(f.sha256 ? { sha256: f.sha256 } : {}) })),
      totalBytes: files.reduce((a, f) => a + f.size, 0),
      missingBytes: missing,
      storage,
      fits: missing <= Math.max(0, storage.quota - storage.usage),
    },
    files,
    offline,
  };
}

export type SnapshotProgress = DownloadProgress;

export interface SnapshotDownloadOptions extends PlanOptions {
  /** Files fetched at once (default 3). */
  concurrency?: number;
  /** Abort with a DownloadStoppedError as the reason ('pause' or 'cancel'); partials stay either way. */
  signal?: AbortSignal;
  attempts?: number;
  stallMs?: number;
  backoffMs?: (attempt: number) => number;
  /** ms clock for speed, ETA and timing; default performance.now(). */
  now?: () => number;
  /** Progress at most this often while bytes flow (default 250 ms), and at every file state change. */
  progressIntervalMs?: number;
  onProgress?: (p: SnapshotProgress) => void;
  /** The plan, once known (before any byte is fetched). */
  onPlan?: (plan: DownloadPlan) => void;
  /**
   * Takes the snapshot's write lock (the worker: Web Locks, so another tab's cache worker never
   * writes the same partials); resolves its release, or null when someone else holds it.
   */
  lockSnapshot?: (key: string) => Promise<(() => void) | null>;
}

/** Another download (another tab, or another revision naming the same commit) is writing this snapshot. */
export class SnapshotLockedError extends Error {
  constructor(readonly key: string) {
    super(`${key} is being downloaded elsewhere (another tab or request); wait for it or pause it there`);
    this.name = 'SnapshotLockedError';
  }
}

export interface SnapshotDownloadResult {
  key: string;
  manifest: SnapshotManifest;
  fetchedBytes: number;
  resumedBytes: number;
  retries: number;
  ms: number;
}

/** Keeps what an earlier manifest of the same snapshot verified, when the file is still there at its size. */
async function mergeManifest(
  index: CacheIndex,
  key: string,
  ref: HubModelRef,
  commit: string,
  files: ManifestFile[],
  only: boolean,
): Promise<SnapshotManifest> {
  const old = await index.manifest(key);
  const k = parseSnapshotKey(key);
  const merged: ManifestFile[] = [];
  for (const f of files) {
    const had = old?.files.find((o) => o.path === f.path && o.size === f.size && o.sha256 === f.sha256 && o.oid === f.oid);
    const complete = had?.complete === true && (await index.store.read(snapshotFilePath(k, f.path)))?.size === f.size;
    merged.push({ ...f, complete });
  }
  // A partial selection (`only`) keeps what other selections of the same snapshot recorded.
  if (only) for (const o of old?.files ?? []) if (!merged.some((f) => f.path === o.path)) merged.push(o);
  return { version: 1, key, ref, commit, files: merged, complete: false, updatedAt: Date.now() };
}

export async function downloadSnapshot(opts: SnapshotDownloadOptions): Promise<SnapshotDownloadResult> {
  const { ref, index } = opts;
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  const planned = await planSnapshot(opts);
  if (planned.offline) {
    const cached = await index.manifest(planned.plan.key);
    if (cached?.complete) return { key: planned.plan.key, manifest: cached, fetchedBytes: 0, resumedBytes: 0, retries: 0, ms: now() - t0 };
    throw new ModelFolderError('fetch-failed', ref.subfolder || '.', `${formatRepoRef(ref)}: the Hub is unreachable and the cached download is not finished`);
  }
  opts.onPlan?.(planned.plan);
  const release = opts.lockSnapshot ? await opts.lockSnapshot(planned.plan.key) : () => undefined;
  if (!release) throw new SnapshotLockedError(planned.plan.key);
  try {
    return await fetchMissing(opts, planned, now, t0);
  } finally {
    release();
  }
}

async function fetchMissing(opts: SnapshotDownloadOptions, planned: SnapshotPlan, now: () => number, t0: number): Promise<SnapshotDownloadResult> {
  const { ref, client, index } = opts;
  const { key, commit } = planned.plan;
  const k = parseSnapshotKey(key);
  await index.writeRef(ref.endpoint, ref.repo, ref.revision, commit);
  const manifest = await mergeManifest(index, key, ref, commit, planned.files, opts.only !== undefined);
  const wanted = new Set(planned.files.map((f) => f.path));
  await index.saveManifest(manifest);

  // Manifest writes one after another: each file's completion rewrites the whole (small) file.
  let saving: Promise<void> = Promise.resolve();
  const save = () => (saving = saving.then(() => index.saveManifest({ ...manifest, updatedAt: Date.now() })));

  const states = new Map((await index.fileStates(manifest)).filter((s) => wanted.has(s.path)).map((s) => [s.path, s]));
  const meter = new ProgressMeter({ now });
  const total = planned.plan.totalBytes;
  let retries = 0;
  let fetchedBytes = 0;
  let resumedBytes = 0;
  let lastEmit = -Infinity;
  const emit = (force: boolean) => {
    if (!opts.onProgress) return;
    const t = now();
    if (!force && t - lastEmit < (opts.progressIntervalMs ?? 250)) return;
    lastEmit = t;
    const files = [...states.values()].map((s) => ({ ...s }));
    const bytesDone = files.reduce((a, f) => a + f.done, 0);
    opts.onProgress({ key, files, bytesDone, bytesTotal: total, bytesPerSec: meter.bytesPerSec(), etaSec: meter.etaSec(total - bytesDone), retries });
  };
  emit(true);

  // One controller for this download: the caller's stop, or the first fatal error, stops every file.
  const inner = new AbortController();
  const onStop = () => inner.abort(opts.signal?.reason instanceof DownloadStoppedError ? opts.signal.reason : new DownloadStoppedError('cancel'));
  if (opts.signal?.aborted) onStop();
  opts.signal?.addEventListener('abort', onStop, { once: true });
  let failure: unknown = null;

  const queue = manifest.files.filter((f) => !f.complete && wanted.has(f.path)).sort((a, b) => b.size - a.size);
  const fetchOne = async (f: ManifestFile) => {
    const state = states.get(f.path)!;
    const setState = (s: CachedFileState['state']) => {
      state.state = s;
      emit(true);
    };
    try {
      const result = await downloadFile({
        client,
        store: index.store,
        repo: ref.repo,
        commit,
        entry: { path: repoPath(f.path, ref.subfolder), size: f.size, oid: f.oid ?? '', ...(f.sha256 ? { sha256: f.sha256 } : {}) },
        storePath: snapshotFilePath(k, f.path),
        signal: inner.signal,
        attempts: opts.attempts,
        stallMs: opts.stallMs,
        backoffMs: opts.backoffMs,
        onStart: (offset) => {
          state.done = offset;
          emit(false);
        },
        onBytes: (n) => {
          state.done += n;
          fetchedBytes += n;
          meter.add(n);
          emit(false);
        },
        onState: setState,
        onRetry: () => {
          retries++;
          emit(true);
        },
      });
      resumedBytes += result.resumed;
      f.complete = true;
      state.done = f.size;
      await save();
      setState('complete');
    } catch (err) {
      const stopped = err instanceof DownloadStoppedError;
      setState(stopped ? ((await index.store.partialSize(snapshotFilePath(k, f.path))) === null ? 'missing' : 'partial') : 'failed');
      if (!stopped && failure === null) {
        failure = err;
        inner.abort(new DownloadStoppedError('pause'));
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 3, queue.length)) }, async () => {
    for (let f = queue.shift(); f && !inner.signal.aborted; f = queue.shift()) await fetchOne(f);
  });
  try {
    await Promise.all(workers);
    await saving;
  } finally {
    opts.signal?.removeEventListener('abort', onStop);
  }
  emit(true);
  if (failure !== null) throw failure;
  if (inner.signal.aborted) throw inner.signal.reason as DownloadStoppedError;
  return { key, manifest: (await index.manifest(key)) ?? manifest, fetchedBytes, resumedBytes, retries, ms: now() - t0 };
}
