/**
 * The cache worker's logic, free of `self` so Node tests drive it with the memory store and
 * the Hub emulator. Every request is answered on its own id; pause and cancel are answered on
 * the download's id ('paused' / 'cancelled'), like the diffusion worker's cancel. Downloads of
 * different models may run at once; the same model twice is 'busy'.
 */
import { DownloadStoppedError, LanternError, ModelFolderError, StorageFullError } from '../errors';
import type { BlobStore } from '../hub/blob-store';
import { CacheIndex } from '../hub/cache-index';
import { HubClient } from '../hub/client';
import { downloadSnapshot, planSnapshot, SnapshotLockedError, type SnapshotDownloadOptions } from '../hub/snapshot-download';
import type { CacheErrorCode, CacheEvent, CacheRequest, HubModelRef, StorageInfo } from './cache-protocol';

export interface CacheHandlerDeps {
  store: BlobStore;
  /** navigator.storage.estimate() and persisted(). */
  storage: () => Promise<StorageInfo>;
  /** navigator.storage.persist() where the context has it (windows; workers answer persisted()). */
  persist: () => Promise<boolean>;
  /** Default: a HubClient for the ref's endpoint and token. */
  client?: (ref: HubModelRef, token?: string) => HubClient;
  /** A snapshot's write lock across agents (Web Locks in the worker); default: within this handler only. */
  lockSnapshot?: (key: string) => Promise<(() => void) | null>;
  /** Retry and progress settings for downloads (tests shorten them). */
  download?: Pick<SnapshotDownloadOptions, 'attempts' | 'stallMs' | 'backoffMs' | 'progressIntervalMs' | 'now'>;
}

interface Running {
  ref: HubModelRef;
  controller: AbortController;
  /** Known once the revision is resolved. */
  key: string | null;
  done: Promise<void>;
}

const sameModel = (a: HubModelRef, b: HubModelRef) =>
  a.endpoint === b.endpoint && a.repo === b.repo && a.revision === b.revision && a.subfolder === b.subfolder;

export class CacheWorkerHandler {
  private readonly index: CacheIndex;
  private readonly running = new Map<string, Running>();
  private readonly locked = new Set<string>();

  constructor(
    private readonly deps: CacheHandlerDeps,
    private readonly post: (event: CacheEvent) => void,
  ) {
    this.index = new CacheIndex(deps.store);
  }

  private client(ref: HubModelRef, token?: string): HubClient {
    return this.deps.client?.(ref, token) ?? new HubClient({ endpoint: ref.endpoint, token });
  }

  async handle(req: CacheRequest): Promise<void> {
    try {
      switch (req.type) {
        case 'plan': {
          const { plan } = await planSnapshot({
            ref: req.ref,
            only: req.only,
            client: this.client(req.ref, req.token),
            index: this.index,
            storage: this.deps.storage,
          });
          return this.post({ id: req.id, type: 'plan', plan });
        }
        case 'download':
          return await this.download(req);
        case 'pause':
        case 'cancel':
          // Answered on the download's id; a download that already ended has nothing to stop.
          this.running.get(req.target)?.controller.abort(new DownloadStoppedError(req.type));
          return;
        case 'find':
          return this.post({ id: req.id, type: 'found', model: await this.index.find(req.ref) });
        case 'list':
          return this.post({ id: req.id, type: 'models', models: await this.index.list(), storage: await this.deps.storage() });
        case 'delete':
          await this.stopWhere((r) => r.key === req.key);
          await this.index.delete(req.key);
          return this.post({ id: req.id, type: 'deleted', storage: await this.deps.storage() });
        case 'delete-all':
          await this.stopWhere(() => true);
          await this.index.deleteAll();
          return this.post({ id: req.id, type: 'deleted', storage: await this.deps.storage() });
        case 'persist':
          return this.post({ id: req.id, type: 'persisted', persisted: await this.deps.persist() });
      }
    } catch (err) {
      this.fail(req.id, err);
    }
  }

  /** Cancels the running downloads `which` picks and waits until they have ended. */
  private async stopWhere(which: (r: Running) => boolean): Promise<void> {
    const stopping = [...this.running.values()].filter(which);
    for (const r of stopping) r.controller.abort(new DownloadStoppedError('cancel'));
    await Promise.all(stopping.map((r) => r.done));
  }

  private async download(req: Extract<CacheRequest, { type: 'download' }>): Promise<void> {
    const other = [...this.running.entries()].find(([, r]) => sameModel(r.ref, req.ref));
    if (other)
      return this.post({ id: req.id, type: 'error', code: 'busy', message: `${req.ref.repo} is already downloading (request ${other[0]}); pause it first` });
    const controller = new AbortController();
    let finish = () => undefined as void;
    const running: Running = { ref: req.ref, controller, key: null, done: new Promise<void>((r) => (finish = r)) };
    this.running.set(req.id, running);
    try {
      const result = await downloadSnapshot({
        ...this.deps.download,
        ref: req.ref,
        only: req.only,
        client: this.client(req.ref, req.token),
        index: this.index,
        storage: this.deps.storage,
        concurrency: req.concurrency,
        signal: controller.signal,
        lockSnapshot: (key) => this.lock(key),
        onPlan: (plan) => (running.key = plan.key),
        onProgress: (p) => this.post({ id: req.id, type: 'download-progress', ...p }),
      });
      const manifest = (await this.index.manifest(result.key)) ?? result.manifest;
      this.post({
        id: req.id,
        type: 'download-done',
        model: await this.index.summary(manifest),
        ms: result.ms,
        fetchedBytes: result.fetchedBytes,
        resumedBytes: result.resumedBytes,
      });
    } catch (err) {
      if (err instanceof SnapshotLockedError) return this.post({ id: req.id, type: 'error', code: 'busy', message: err.message });
      if (!(err instanceof DownloadStoppedError)) throw err;
      const manifest = running.key ? await this.index.manifest(running.key) : null;
      if (err.reason === 'cancel') {
        if (running.key) await this.index.discardUnfinished(running.key);
        this.post({ id: req.id, type: 'cancelled' });
      } else if (manifest) {
        this.post({ id: req.id, type: 'paused', model: await this.index.summary(manifest) });
      } else {
        // Paused before the Hub answered: nothing is stored yet.
        this.post({ id: req.id, type: 'cancelled' });
      }
    } finally {
      this.running.delete(req.id);
      finish();
    }
  }

  /** This handler's own lock on `key`, then the deps' (other agents). */
  private async lock(key: string): Promise<(() => void) | null> {
    if (this.locked.has(key)) return null;
    this.locked.add(key);
    const outer = this.deps.lockSnapshot ? await this.deps.lockSnapshot(key) : () => undefined;
    if (!outer) {
      this.locked.delete(key);
      return null;
    }
    return () => {
      this.locked.delete(key);
      outer();
    };
  }

  private fail(id: string, err: unknown): void {
    const code: CacheErrorCode = err instanceof LanternError ? err.code : 'internal';
    const file = err instanceof ModelFolderError || err instanceof StorageFullError ? err.file : undefined;
    const message = err instanceof Error ? err.message : String(err);
    this.post({ id, type: 'error', code, message: code === 'internal' ? `cache worker: ${message}` : message, ...(file !== undefined ? { file } : {}) });
  }
}
