/**
 * huggingface_hub's cache in Node, the same layout Python reads and writes:
 *   {cache}/models--{owner}--{name}/blobs/{etag}             the bytes (etag = sha256 for LFS, git sha1 otherwise)
 *   {cache}/models--{owner}--{name}/snapshots/{commit}/{path} a relative symlink to the blob
 *   {cache}/models--{owner}--{name}/refs/{revision}          the commit the revision named
 * {cache} is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. A download goes to
 * blobs/{etag}.incomplete, resumes with `Range` after a cut, and becomes the blob only once its
 * size and hash are the Hub's. HF_HUB_OFFLINE=1 reads the cache alone.
 */
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ModelFolderError } from '../lib/errors';
import { HubClient, HubHttpError, HubUnreachableError, type HubFileEntry } from '../lib/hub/client';
import { createVerifier } from '../lib/hub/integrity';
import { DEFAULT_ENDPOINT, formatRepoRef, isCommitSha, repoFolderName, type HubRepoRef } from '../lib/hub/repo-id';
import type { FileSource } from '../lib/models/file-source';
import { fsSource } from './fs-source';
import { createProgressReporter, type TransferProgress } from './progress';

type Env = Record<string, string | undefined>;

const expandHome = (p: string) => (p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p);

/** $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub (huggingface_hub.constants). */
export function hubCacheDir(env: Env = process.env): string {
  const explicit = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (explicit) return expandHome(explicit);
  const home = env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface');
  return join(expandHome(home), 'hub');
}

/**
 * The token huggingface_hub would send: $HF_TOKEN, else the legacy $HUGGING_FACE_HUB_TOKEN, else the
 * file `hf auth login` / `huggingface-cli login` writes ($HF_TOKEN_PATH, else $HF_HOME/token).
 */
export async function hubToken(env: Env = process.env): Promise<string | undefined> {
  const fromEnv = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN;
  if (fromEnv) return fromEnv.trim();
  const home = env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface');
  const file = env.HF_TOKEN_PATH ? expandHome(env.HF_TOKEN_PATH) : join(expandHome(home), 'token');
  const saved = (await readFile(file, 'utf8').catch(() => '')).trim();
  return saved || undefined;
}

/** HF_HUB_OFFLINE as huggingface_hub reads booleans: 1, ON, YES, TRUE. */
export function isOffline(env: Env = process.env): boolean {
  return ['1', 'ON', 'YES', 'TRUE'].includes((env.HF_HUB_OFFLINE ?? '').toUpperCase());
}

/** Progress of a snapshot download: `bytesDone` counts bytes in place (fetched, resumed, or found cached), `bytesFetched` the network's. */
export interface SnapshotProgress extends TransferProgress {
  bytesFetched: number;
}

/** huggingface_hub's HF_HUB_DOWNLOAD_TIMEOUT default: seconds a download may go without a byte before it is retried. */
export const DEFAULT_STALL_SECONDS = 10;

export interface SnapshotOptions {
  ref: HubRepoRef;
  client: HubClient;
  cacheDir: string;
  offline?: boolean;
  /** Files fetched at once (2–4). */
  concurrency?: number;
  onProgress?: (p: SnapshotProgress) => void;
  onWarning?: (message: string) => void;
  /** Tries per file after cuts, stalls and 5xx answers. */
  attempts?: number;
  /** A request that brings no byte for this long is aborted and resumed with Range (default 10 s, HF_HUB_DOWNLOAD_TIMEOUT). */
  stallTimeoutMs?: number;
}

export interface SnapshotResult {
  /** snapshots/{commit}/{subfolder}: the model folder. */
  folder: string;
  commit: string;
  /** Repo paths fetched now, and those already in the cache. */
  downloaded: string[];
  reused: string[];
  /** Bytes that came over the network (a resumed file counts only what was re-requested). */
  bytesFetched: number;
}

const exists = async (path: string) =>
  stat(path).then(
    (s) => s,
    () => null,
  );

/** The commit and folder the cache alone gives, or an error naming what is missing. */
async function offlineSnapshot(opts: SnapshotOptions, why: string): Promise<SnapshotResult> {
  const { ref, cacheDir } = opts;
  const repoDir = join(cacheDir, repoFolderName(ref.repo));
  let commit = ref.revision;
  if (!isCommitSha(commit)) {
    const refFile = join(repoDir, 'refs', ref.revision);
    const text = await readFile(refFile, 'utf8').catch(() => null);
    if (text === null) {
      throw new ModelFolderError(
        'missing-file',
        `refs/${ref.revision}`,
        `${why}, and the cache has no ${refFile}: ${formatRepoRef(ref)} was never downloaded into ${cacheDir}`,
      );
    }
    commit = text.trim();
  }
  const folder = join(repoDir, 'snapshots', commit, ref.subfolder);
  if (!(await exists(folder))?.isDirectory()) {
    throw new ModelFolderError(
      'missing-file',
      ref.subfolder || '.',
      `${why}, and the cache has no ${folder}: ${formatRepoRef(ref)} at ${commit} was never downloaded`,
    );
  }
  return { folder, commit, downloaded: [], reused: [], bytesFetched: 0 };
}

async function linkInto(blob: string, pointer: string): Promise<void> {
  await mkdir(dirname(pointer), { recursive: true });
  await unlink(pointer).catch(() => undefined);
  try {
    await symlink(relative(dirname(pointer), blob), pointer);
  } catch {
    await copyFile(blob, pointer); // no symlinks (Windows without developer mode): huggingface_hub copies too
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Hub answer worth asking again: 5xx or 429 (rate limited). Refusals (401/403/404) and no answer at all are not. */
const retryable = (err: unknown) => err instanceof HubHttpError && (err.status >= 500 || err.status === 429);

/** Runs a metadata call (revision, listing) up to `tries` times while the Hub answers 5xx/429. */
async function withRetries<T>(tries: number, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= tries || !retryable(err)) throw err;
      await sleep(Math.min(2000, 100 * 2 ** attempt));
    }
  }
}

/** Thrown into a read by the stall watchdog: no byte for `ms`. */
class StallError extends Error {
  constructor(readonly ms: number) {
    super(`no data for ${ms / 1000} s`);
    this.name = 'StallError';
  }
}

/**
 * Fetches one file into blobs/{etag}: resumes blobs/{etag}.incomplete, verifies, renames. Returns the
 * bytes fetched. `onFile(inPlace, fetched)` reports the file's bytes on disk and each new network chunk.
 * A request that goes `stallTimeoutMs` without a byte (before its headers or between chunks) is
 * aborted and the next try resumes from what reached the disk, as huggingface_hub's http_get does.
 */
async function fetchBlob(
  opts: SnapshotOptions,
  commit: string,
  entry: HubFileEntry,
  blob: string,
  onFile: (inPlace: number, fetched: number) => void,
): Promise<number> {
  const part = `${blob}.incomplete`;
  const attempts = opts.attempts ?? 5;
  const stallMs = opts.stallTimeoutMs ?? DEFAULT_STALL_SECONDS * 1000;
  let fetched = 0;
  let corruptions = 0;
  let lastError: unknown = null;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(Math.min(2000, 100 * 2 ** attempt));
    let start = (await exists(part))?.size ?? 0;
    if (start > entry.size) {
      await rm(part, { force: true });
      start = 0;
    }
    let verifier = await createVerifier(entry);
    if (start > 0) for await (const chunk of createReadStream(part)) verifier.update(chunk as Buffer);
    onFile(start, 0);
    if (start < entry.size) {
      const watchdog = new AbortController();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => watchdog.abort(new StallError(stallMs)), stallMs);
      };
      const broke = (err: unknown) => {
        const stalled = watchdog.signal.reason instanceof StallError;
        const why = stalled ? `no data for ${stallMs / 1000} s (HF_HUB_DOWNLOAD_TIMEOUT)` : (err as Error).message;
        const message = `${entry.path}: download broke off after ${verifier.received} of ${entry.size} bytes: ${why}`;
        if (stalled) opts.onWarning?.(`${message}; resuming with Range`);
        return new ModelFolderError('fetch-failed', entry.path, message);
      };
      arm();
      try {
        let res: Response;
        try {
          res = await opts.client.download(opts.ref.repo, commit, entry.path, { ...(start > 0 ? { range: { start } } : {}), signal: watchdog.signal });
        } catch (err) {
          if (err instanceof HubHttpError && !retryable(err)) throw err; // a refusal
          lastError = watchdog.signal.aborted ? broke(err) : err;
          continue;
        }
        let flags = 'a';
        if (start > 0 && res.status !== 206) {
          // The server ignored the Range and sends the whole file: start over.
          flags = 'w';
          start = 0;
          verifier = await createVerifier(entry);
          onFile(0, 0);
        }
        const file = await open(part, flags);
        try {
          const reader = res.body!.getReader();
          for (;;) {
            arm();
            const { done, value } = await reader.read();
            if (done) break;
            verifier.update(value);
            await file.write(value);
            fetched += value.length;
            onFile(verifier.received, value.length);
          }
        } catch (err) {
          lastError = broke(err);
          continue; // resume from what reached the disk
        } finally {
          await file.close();
        }
      } finally {
        clearTimeout(timer);
      }
      if (verifier.received < entry.size) {
        lastError = new ModelFolderError('fetch-failed', entry.path, `${entry.path}: the answer ended after ${verifier.received} of ${entry.size} bytes`);
        continue;
      }
    }
    try {
      verifier.finish();
    } catch (err) {
      await rm(part, { force: true });
      if (++corruptions > 1) throw err;
      opts.onWarning?.(`${(err as Error).message}; fetching it again`);
      lastError = err;
      continue;
    }
    await rename(part, blob);
    return fetched;
  }
  throw lastError instanceof Error ? lastError : new ModelFolderError('fetch-failed', entry.path, `${entry.path}: download failed`);
}

/**
 * snapshot_download for one (sub)folder: resolves the revision, writes refs/, fetches every
 * listed file that is neither in the snapshot nor among the blobs, and links it into the snapshot.
 */
export async function snapshotDownload(opts: SnapshotOptions): Promise<SnapshotResult> {
  const { ref, client, cacheDir } = opts;
  if (opts.offline) return offlineSnapshot(opts, `HF_HUB_OFFLINE=1`);
  let commit: string;
  try {
    commit = isCommitSha(ref.revision) ? ref.revision : await withRetries(opts.attempts ?? 5, () => client.resolveRevision(ref.repo, ref.revision));
  } catch (err) {
    if (!(err instanceof HubUnreachableError)) throw err;
    const cached = await offlineSnapshot(opts, `the Hub is unreachable (${err.message})`);
    opts.onWarning?.(`the Hub is unreachable (${err.message}); using the cached snapshot ${cached.commit}`);
    return cached;
  }
  const repoDir = join(cacheDir, repoFolderName(ref.repo));
  await mkdir(join(repoDir, 'blobs'), { recursive: true });
  if (ref.revision !== commit) {
    const refFile = join(repoDir, 'refs', ref.revision);
    if ((await readFile(refFile, 'utf8').catch(() => '')).trim() !== commit) {
      await mkdir(dirname(refFile), { recursive: true });
      await writeFile(refFile, commit);
    }
  }
  const files = await withRetries(opts.attempts ?? 5, () => client.listFiles(ref.repo, commit, ref.subfolder));
  if (files.length === 0) {
    throw new ModelFolderError(
      'missing-file',
      ref.subfolder || '.',
      `${formatRepoRef(ref)}: the Hub lists no files${ref.subfolder ? ` under ${ref.subfolder}/` : ''} at ${commit}`,
    );
  }
  const snapshot = join(repoDir, 'snapshots', commit);
  const progress: SnapshotProgress = { filesDone: 0, files: files.length, bytesDone: 0, bytesFetched: 0, bytes: files.reduce((a, f) => a + f.size, 0) };
  // Per listed path: its bytes in place, so a restart from zero is not counted twice and two paths with one blob both count.
  const inPlace = new Map<string, number>();
  const place = (path: string, bytes: number) => {
    progress.bytesDone += bytes - (inPlace.get(path) ?? 0);
    inPlace.set(path, bytes);
  };
  const result: SnapshotResult = { folder: join(snapshot, ref.subfolder), commit, downloaded: [], reused: [], bytesFetched: 0 };
  const inFlight = new Map<string, Promise<number>>(); // two paths with one blob fetch it once
  const ensure = async (entry: HubFileEntry) => {
    const pointer = join(snapshot, entry.path);
    const present = await exists(pointer);
    if (present?.isFile() && present.size === entry.size) {
      result.reused.push(entry.path);
      place(entry.path, entry.size);
    } else {
      const etag = entry.sha256 ?? (entry.oid || (await client.headFile(ref.repo, commit, entry.path)).etag);
      const blob = join(repoDir, 'blobs', etag);
      const blobStat = await exists(blob);
      if (blobStat?.isFile() && blobStat.size === entry.size) {
        result.reused.push(entry.path);
        place(entry.path, entry.size);
      } else {
        let job = inFlight.get(etag);
        const joined = job !== undefined;
        if (!job) {
          job = fetchBlob(opts, commit, entry, blob, (bytes, fetched) => {
            place(entry.path, bytes);
            progress.bytesFetched += fetched;
            progress.current = entry.path;
            opts.onProgress?.(progress);
          });
          inFlight.set(etag, job);
        }
        const fetched = await job;
        if (joined) place(entry.path, entry.size);
        else result.bytesFetched += fetched; // the network brought it once
        result.downloaded.push(entry.path);
      }
      await linkInto(blob, pointer);
    }
    progress.filesDone++;
    opts.onProgress?.(progress);
  };
  const queue = [...files];
  const workers = Array.from({ length: Math.max(1, Math.min(4, opts.concurrency ?? 4, files.length)) }, async () => {
    for (let entry = queue.shift(); entry; entry = queue.shift()) await ensure(entry);
  });
  await Promise.all(workers);
  return result;
}

export interface HubSourceOptions {
  env?: Env;
  fetch?: typeof fetch;
  /** Progress and warnings; default: stderr (progress only on a TTY). */
  log?: { progress?: (p: SnapshotProgress) => void; warn?: (message: string) => void };
}

/** A FileSource over the cached snapshot of `ref`, downloading what is missing first (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HOME…). */
export async function hubSource(ref: HubRepoRef, options: HubSourceOptions = {}): Promise<FileSource & { snapshot: SnapshotResult }> {
  const env = options.env ?? process.env;
  const client = new HubClient({ endpoint: env.HF_ENDPOINT || DEFAULT_ENDPOINT, token: await hubToken(env), fetch: options.fetch });
  const stallSeconds = Number(env.HF_HUB_DOWNLOAD_TIMEOUT || DEFAULT_STALL_SECONDS);
  if (!(stallSeconds > 0)) throw new Error(`HF_HUB_DOWNLOAD_TIMEOUT must be a number of seconds above 0 (got "${env.HF_HUB_DOWNLOAD_TIMEOUT}")`);
  const reporter = options.log?.progress ? null : createProgressReporter(formatRepoRef(ref), process.stderr);
  let last: SnapshotProgress | null = null;
  const snapshot = await snapshotDownload({
    ref,
    client,
    cacheDir: hubCacheDir(env),
    offline: isOffline(env),
    stallTimeoutMs: stallSeconds * 1000,
    onProgress: (p) => {
      last = p;
      if (options.log?.progress) options.log.progress(p);
      else reporter?.update(p);
    },
    onWarning: options.log?.warn ?? ((m) => process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}warning: ${m}\n`)),
  });
  if (reporter && last) reporter.done(last, snapshot.downloaded.length > 0);
  const source = fsSource(snapshot.folder);
  // snapshots/ holds symlinks: list what they point at (fsSource lists plain files only).
  const list = async (sub: string): Promise<string[] | null> => {
    const entries = await readdir(join(snapshot.folder, sub), { withFileTypes: true }).catch(() => null);
    if (!entries) return null;
    const files = await Promise.all(entries.map(async (e) => ((await exists(join(snapshot.folder, sub, e.name)))?.isFile() ? e.name : null)));
    return files.filter((n): n is string => n !== null).sort();
  };
  // The name shown (and the folder's default name) is the repo's, not the commit's.
  return { ...source, list, base: `hf://${ref.repo}${ref.subfolder ? `/${ref.subfolder}` : ''}/`, snapshot };
}
