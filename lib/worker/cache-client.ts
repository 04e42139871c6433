/**
 * UI-side handle on the cache worker, like DiffusionClient: typed requests, each event routed
 * to the listener of its request id, the listener dropped after its final event. `persist` is
 * answered here: navigator.storage.persist() exists only in windows, not in workers.
 */
import type { CacheEvent, CacheRequest } from './cache-protocol';
import type { WorkerLike as DiffusionWorkerLike } from './client';

type Listener = (event: CacheEvent) => void;
type RequestBody = CacheRequest extends infer R ? (R extends CacheRequest ? Omit<R, 'id'> : never) : never;

/** Events after which a request is over. */
const FINAL: ReadonlySet<CacheEvent['type']> = new Set(['plan', 'download-done', 'paused', 'cancelled', 'found', 'models', 'deleted', 'persisted', 'error']);

export type CacheWorkerLike = Omit<DiffusionWorkerLike, 'addEventListener'> & {
  addEventListener(type: 'message', listener: (e: MessageEvent<CacheEvent>) => void): void;
  addEventListener(type: 'error', listener: (e: ErrorEvent) => void): void;
};

/** The page's StorageManager, when there is one (absent in Node tests). */
const storageManager = () => (globalThis as { navigator?: { storage?: Partial<StorageManager> } }).navigator?.storage;

export class CacheClient {
  private next = 0;
  private readonly listeners = new Map<string, Listener>();

  constructor(private readonly worker: CacheWorkerLike) {
    worker.addEventListener('message', (e: MessageEvent<CacheEvent>) => this.deliver(e.data));
    worker.addEventListener('error', (e: ErrorEvent) => {
      // A crashed worker ends every request in flight; partial files stay in OPFS for a later download.
      for (const [id, listener] of this.listeners) listener({ id, type: 'error', code: 'internal', message: `cache worker crashed: ${e.message}` });
      this.listeners.clear();
    });
  }

  private deliver(event: CacheEvent): void {
    const listener = this.listeners.get(event.id);
    if (FINAL.has(event.type)) this.listeners.delete(event.id);
    listener?.(event);
  }

  /** Sends a request; returns its id (the `target` of pause and cancel). */
  send(body: RequestBody, onEvent?: Listener): string {
    const id = `c${++this.next}`;
    if (onEvent) this.listeners.set(id, onEvent);
    const storage = storageManager();
    if (body.type === 'persist' && storage?.persist) {
      storage.persist().then(
        (persisted) => this.deliver({ id, type: 'persisted', persisted }),
        (err: Error) => this.deliver({ id, type: 'error', code: 'internal', message: `navigator.storage.persist() failed: ${err.message}` }),
      );
      return id;
    }
    this.worker.postMessage({ ...body, id } as CacheRequest);
    return id;
  }

  /** Resolves with the request's final event (an 'error' event included: check its type). */
  request(body: RequestBody, onEvent?: Listener): Promise<CacheEvent> {
    return new Promise((resolve) =>
      this.send(body, (e) => {
        onEvent?.(e);
        if (FINAL.has(e.type)) resolve(e);
      }),
    );
  }

  pause(target: string): void {
    this.send({ type: 'pause', target });
  }

  cancel(target: string): void {
    this.send({ type: 'cancel', target });
  }

  terminate(): void {
    this.worker.terminate();
    this.listeners.clear();
  }
}
