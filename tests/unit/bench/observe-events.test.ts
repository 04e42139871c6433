import { describe, expect, it } from 'vitest';
import { DiffusionClient, observeEvents, type WorkerLike } from '@/lib/worker/client';
import type { WorkerEvent } from '@/lib/worker/protocol';

/** A worker whose events the test posts by hand. */
function fakeWorker() {
  const handlers: { message: Array<(e: MessageEvent<WorkerEvent>) => void>; error: Array<(e: ErrorEvent) => void> } = { message: [], error: [] };
  const worker: WorkerLike = {
    postMessage() {},
    addEventListener(type: 'message' | 'error', listener: never) {
      handlers[type].push(listener);
    },
    terminate() {},
  };
  return {
    worker,
    emit: (event: WorkerEvent) => handlers.message.forEach((h) => h({ data: event } as MessageEvent<WorkerEvent>)),
    crash: (message: string) => handlers.error.forEach((h) => h({ message } as ErrorEvent)),
  };
}

describe('observeEvents (what the benchmark page reads of the studio controller runs)', () => {
  it('sees every event after the request listener, until unsubscribed', () => {
    const w = fakeWorker();
    const client = new DiffusionClient(w.worker);
    const order: string[] = [];
    const id = client.send({ type: 'count-tokens', text: 'a' }, (e) => order.push(`listener ${e.type}`));
    const off = observeEvents((e) => order.push(`observer ${e.type}`));
    w.emit({ id, type: 'token-count', count: 1, max: 75, truncated: false });
    off();
    w.emit({ id: 'r99', type: 'cancelled', atStep: 0 });
    expect(order).toEqual(['listener token-count', 'observer token-count']);
  });

  it('sees the error a crashed worker ends each request with', () => {
    const w = fakeWorker();
    const client = new DiffusionClient(w.worker);
    client.send({ type: 'count-tokens', text: 'a' }, () => {});
    const seen: WorkerEvent[] = [];
    const off = observeEvents((e) => seen.push(e));
    w.crash('boom');
    off();
    expect(seen).toEqual([expect.objectContaining({ type: 'error', code: 'internal', message: 'worker crashed: boom' })]);
  });
});
