/**
 * One Hub file into a BlobStore, the way cli/hf-cache.ts does it on disk: the bytes stream
 * chunk by chunk into `{path}.incomplete` (never the whole file in memory), a partial from an
 * earlier try is re-hashed and resumed with `Range`, a cut, a stall or a 5xx is retried with
 * backoff, and the file is committed only once its size and hash are the Hub's. A corrupted file
 * is deleted and fetched once more; a second corruption fails naming the file.
 */
import { DownloadStoppedError, ModelFolderError, StorageFullError } from '../errors';
import type { BlobStore } from './blob-store';
import { HubHttpError, type HubClient, type HubFileEntry } from './client';
import { createVerifier, type FileVerifier } from './integrity';

export interface DownloadFileOptions {
  client: HubClient;
  store: BlobStore;
  repo: string;
  commit: string;
  /** As the tree API lists it: repo path, size, sha256 / oid. */
  entry: HubFileEntry;
  /** Where the file goes in the store. */
  storePath: string;
  /** Aborting stops the download (its reason, a DownloadStoppedError, is thrown); the partial stays. */
  signal?: AbortSignal;
  /** Tries in all (default 5). */
  attempts?: number;
  /** No bytes for this long counts as a cut (default 30 s). */
  stallMs?: number;
  /** Wait before try `n` (1, 2, …); default 250 ms doubling, at most 4 s. */
  backoffMs?: (attempt: number) => number;
  /** Bytes that came over the network. */
  onBytes?: (n: number) => void;
  /** Each try starts at `offset` (the partial's verified bytes kept, or 0). */
  onStart?: (offset: number) => void;
  onState?: (state: 'verifying' | 'downloading') => void;
  /** A try failed and another follows. */
  onRetry?: (error: Error) => void;
}

export interface DownloadFileResult {
  fetched: number;
  /** Bytes a partial from before this call already held. */
  resumed: number;
}

const defaultBackoff = (attempt: number) => Math.min(4000, 250 * 2 ** (attempt - 1));

/** Why a try ended early without failing for good. */
class RetryableError extends ModelFolderError {
  constructor(file: string, message: string) {
    super('fetch-failed', file, message);
    this.name = 'RetryableError';
  }
}

function stopReason(signal: AbortSignal | undefined): DownloadStoppedError | null {
  if (!signal?.aborted) return null;
  return signal.reason instanceof DownloadStoppedError ? signal.reason : new DownloadStoppedError('cancel');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Hashes what a partial already holds, chunk by chunk. */
async function rehash(blob: Blob, verifier: FileVerifier): Promise<void> {
  const reader = blob.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    verifier.update(value);
  }
}

/** Fatal: refusals (401/403/404 and other 4xx but 408/429), a full disk, a stop. */
function isFatal(err: unknown): boolean {
  if (err instanceof StorageFullError || err instanceof DownloadStoppedError) return true;
  return err instanceof HubHttpError && err.status < 500 && err.status !== 408 && err.status !== 429;
}

const isCorrupt = (err: unknown): err is ModelFolderError => err instanceof ModelFolderError && err.problem === 'malformed-file';

export async function downloadFile(opts: DownloadFileOptions): Promise<DownloadFileResult> {
  const { entry, store, storePath, signal } = opts;
  const attempts = opts.attempts ?? 5;
  const stallMs = opts.stallMs ?? 30_000;
  const backoff = opts.backoffMs ?? defaultBackoff;
  let fetched = 0;
  let resumed = 0;
  let corruptions = 0;
  let lastError: Error | null = null;

  for (let attempt = 0; attempt < attempts; attempt++) {
    // A corrupted file is fetched again at once; a failed request waits first.
    if (attempt > 0 && !isCorrupt(lastError)) await sleep(backoff(attempt), signal);
    const stopped = stopReason(signal);
    if (stopped) throw stopped;

    // Per try: aborted by the caller's signal, or by the stall watchdog.
    const tryAbort = new AbortController();
    const onStop = () => tryAbort.abort(signal?.reason);
    signal?.addEventListener('abort', onStop, { once: true });
    try {
      let start = (await store.partialSize(storePath)) ?? 0;
      if (start > entry.size) start = 0;
      let verifier = await createVerifier(entry);
      if (start > 0) {
        opts.onState?.('verifying');
        await rehash((await store.readPartial(storePath))!, verifier);
        if (attempt === 0) resumed = start;
      }
      opts.onStart?.(start);
      if (start < entry.size) {
        opts.onState?.('downloading');
        // A server that never answers is a stall too: the watchdog covers the wait for the headers.
        let silent = false;
        const noAnswer = setTimeout(() => {
          silent = true;
          tryAbort.abort();
        }, stallMs);
        let res: Response;
        try {
          res = await opts.client.download(opts.repo, opts.commit, entry.path, { ...(start > 0 ? { range: { start } } : {}), signal: tryAbort.signal });
        } catch (err) {
          if (silent) throw new RetryableError(entry.path, `${entry.path}: no answer for ${stallMs} ms`);
          throw err;
        } finally {
          clearTimeout(noAnswer);
        }
        if (start > 0 && res.status !== 206) {
          // The server ignored the Range and sends the whole file: start over.
          if (attempt === 0) resumed = 0;
          start = 0;
          verifier = await createVerifier(entry);
          opts.onStart?.(0);
        }
        if (!res.body) throw new RetryableError(entry.path, `${entry.path}: the answer has no body`);
        const writer = await store.openPartial(storePath, start);
        try {
          await streamInto(
            res.body,
            (bytes) => writer.write(bytes),
            verifier,
            stallMs,
            tryAbort,
            entry,
            (n) => {
              fetched += n;
              opts.onBytes?.(n);
            },
          );
        } catch (err) {
          // The stream's failure is the one to report, not a flush that fails after it (a full disk fails both).
          await writer.close().catch(() => undefined);
          throw err;
        }
        await writer.close();
        if (verifier.received < entry.size) {
          throw new RetryableError(entry.path, `${entry.path}: the answer ended after ${verifier.received} of ${entry.size} bytes`);
        }
      }
      opts.onState?.('verifying');
      verifier.finish();
      await store.commitPartial(storePath);
      return { fetched, resumed };
    } catch (err) {
      const stop = stopReason(signal);
      if (stop) throw stop;
      if (isCorrupt(err)) {
        // Never resume from corrupted bytes: drop them and fetch the whole file once more.
        await store.delete(storePath);
        if (++corruptions > 1) throw err;
      } else if (err instanceof StorageFullError) {
        // Named by the file in the model folder; what reached the disk stays a partial, never the file.
        throw new StorageFullError(
          entry.path,
          `${entry.path}: the browser's storage for this site is full (${err.message}); delete cached models or free disk space, then resume`,
        );
      } else if (isFatal(err)) {
        throw err;
      }
      lastError = err instanceof Error ? err : new Error(String(err));
      if (attempt + 1 < attempts) opts.onRetry?.(lastError);
    } finally {
      signal?.removeEventListener('abort', onStop);
    }
  }
  throw new ModelFolderError('fetch-failed', entry.path, `${entry.path}: download failed after ${attempts} tries: ${lastError?.message ?? 'unknown error'}`);
}

/** Streams `body` into `write`, hashing as it goes; no bytes for `stallMs` aborts the try. */
async function streamInto(
  body: ReadableStream<Uint8Array>,
  write: (bytes: Uint8Array) => Promise<void>,
  verifier: FileVerifier,
  stallMs: number,
  tryAbort: AbortController,
  entry: HubFileEntry,
  onBytes: (n: number) => void,
): Promise<void> {
  const reader = body.getReader();
  let finished = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let interrupt: (err: Error) => void = () => undefined;
  const interrupted = new Promise<never>((_, reject) => (interrupt = reject));
  interrupted.catch(() => undefined);
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      interrupt(new RetryableError(entry.path, `${entry.path}: stalled: no bytes for ${stallMs} ms after ${verifier.received} of ${entry.size}`));
      tryAbort.abort();
    }, stallMs);
  };
  const onAbort = () => interrupt(new RetryableError(entry.path, `${entry.path}: request aborted after ${verifier.received} of ${entry.size} bytes`));
  tryAbort.signal.addEventListener('abort', onAbort, { once: true });
  try {
    arm();
    for (;;) {
      // Queued chunks would win the race below: look at the stop first.
      if (tryAbort.signal.aborted) throw new RetryableError(entry.path, `${entry.path}: request aborted after ${verifier.received} of ${entry.size} bytes`);
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await Promise.race([reader.read(), interrupted]);
      } catch (err) {
        if (err instanceof RetryableError) throw err;
        throw new RetryableError(entry.path, `${entry.path}: download broke off after ${verifier.received} of ${entry.size} bytes: ${(err as Error).message}`);
      }
      if (chunk.done) {
        finished = true;
        return;
      }
      const value = chunk.value;
      // Never store past the listed size; more bytes than listed is a wrong file.
      const room = entry.size - verifier.received;
      const bytes = value.length > room ? value.subarray(0, Math.max(0, room)) : value;
      if (bytes.length > 0) {
        verifier.update(bytes);
        await write(bytes);
        onBytes(bytes.length);
      }
      if (value.length > room) {
        throw new ModelFolderError('malformed-file', entry.path, `${entry.path}: the server sends more than the ${entry.size} bytes the Hub lists`);
      }
      arm();
    }
  } finally {
    clearTimeout(timer);
    tryAbort.signal.removeEventListener('abort', onAbort);
    if (!finished) void reader.cancel().catch(() => undefined);
  }
}
