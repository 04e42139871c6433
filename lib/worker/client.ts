/**
 * UI-side handle on the diffusion worker: sends typed requests, routes each event to the
 * listener of its request id, and forgets the listener once the request has ended.
 */
import type { EnableTestHooks, WorkerEvent, WorkerRequest } from './protocol';

type Listener = (event: WorkerEvent) => void;
type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

const FINAL: ReadonlySet<WorkerEvent['type']> = new Set(['model-ready', 'result', 'cancelled', 'error', 'token-count']);

const observers = new Set<Listener>();

/**
 * Sees every event of every client, after its request's own listener: the benchmark page reads
 * whole results (transfer bytes) of the runs the studio controller sends. Returns the unsubscribe.
 */
export function observeEvents(observer: Listener): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

export interface WorkerLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<WorkerEvent>) => void): void;
  addEventListener(type: 'error', listener: (e: ErrorEvent) => void): void;
  terminate(): void;
}

export class DiffusionClient {
  private next = 0;
  private readonly listeners = new Map<string, Listener>();

  constructor(private readonly worker: WorkerLike) {
    // e2e specs open the page with ?test-hooks=1 to reach the worker's test hooks (diffusion.worker.ts).
    if (new URLSearchParams(globalThis.location?.search ?? '').get('test-hooks') === '1') {
      worker.postMessage({ type: 'enable-test-hooks' } satisfies EnableTestHooks);
    }
    worker.addEventListener('message', (e: MessageEvent<WorkerEvent>) => {
      const event = e.data;
      const listener = this.listeners.get(event.id);
      if (FINAL.has(event.type)) this.listeners.delete(event.id);
      listener?.(event);
      for (const observe of observers) observe(event);
    });
    worker.addEventListener('error', (e: ErrorEvent) => {
      // A crashed worker ends every request in flight with an error the UI can show.
      for (const [id, listener] of this.listeners) {
        const crashed: WorkerEvent = { id, type: 'error', code: 'internal', message: `worker crashed: ${e.message}` };
        listener(crashed);
        for (const observe of observers) observe(crashed);
      }
      this.listeners.clear();
    });
  }

  /** Sends a request; returns its id (for cancel). */
  send(body: RequestBody, onEvent?: Listener): string {
    const id = `r${++this.next}`;
    if (onEvent) this.listeners.set(id, onEvent);
    this.worker.postMessage({ ...body, id } as WorkerRequest);
    return id;
  }

  cancel(target: string): void {
    this.send({ type: 'cancel', target });
  }

  terminate(): void {
    this.worker.terminate();
    this.listeners.clear();
  }
}
