/**
 * The cache worker's handler in Node: memory store, Hub emulator. Requests and events as the
 * UI sees them: plan, download with progress, pause/resume, cancel, busy, a full disk, offline
 * find, list and delete.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HubClient } from '@/lib/hub/client';
import { memoryStore, type MemoryStore } from '@/lib/hub/memory-store';
import { CacheClient } from '@/lib/worker/cache-client';
import { CacheWorkerHandler, type CacheHandlerDeps } from '@/lib/worker/cache-handler';
import type { CacheEvent, CacheRequest, HubModelRef } from '@/lib/worker/cache-protocol';
import { fakeCommit, startHubEmulator, type HubEmulator } from '../../helpers/hub-emulator';

const REPO = 'lantern/optimum-sd-turbo';
const UNET = 'unet/model.onnx';
type RequestBody = CacheRequest extends infer R ? (R extends CacheRequest ? Omit<R, 'id'> : never) : never;
const FINAL = new Set<CacheEvent['type']>(['plan', 'download-done', 'paused', 'cancelled', 'found', 'models', 'deleted', 'persisted', 'error']);

let hub: HubEmulator;
let ref: HubModelRef;

beforeAll(async () => {
  hub = await startHubEmulator({
    repos: [
      { id: REPO, folder: 'models/fixtures/replicas/optimum-sd-turbo' },
      { id: 'lantern/gated', folder: 'models/fixtures/replicas/webnn-sd-turbo', token: 'hf_secret' },
    ],
    lfsThreshold: 100_000,
  });
  ref = { endpoint: hub.endpoint, repo: REPO, revision: 'main', subfolder: '' };
});
afterAll(async () => {
  await hub?.stop();
});
beforeEach(() => {
  hub.clearFaults();
  hub.throttle(null);
  hub.log.length = 0;
});

/** A handler whose events are kept per request id; `ask` resolves with a request's final event. */
function harness(store: MemoryStore = memoryStore(), over: Partial<CacheHandlerDeps> = {}) {
  const events: CacheEvent[] = [];
  const waiting = new Map<string, (e: CacheEvent) => void>();
  const handler = new CacheWorkerHandler(
    {
      store,
      storage: async () => ({ usage: await store.usage(), quota: 50e6, persisted: false }),
      persist: async () => true,
      download: { backoffMs: () => 1, stallMs: 2000, progressIntervalMs: 0 },
      ...over,
    },
    (e) => {
      events.push(e);
      if (FINAL.has(e.type)) waiting.get(e.id)?.(e);
    },
  );
  let n = 0;
  const send = (body: RequestBody, id = `q${++n}`) => {
    const done = new Promise<CacheEvent>((resolve) => waiting.set(id, resolve));
    void handler.handle({ ...body, id } as CacheRequest);
    return { id, done };
  };
  const ask = (body: RequestBody) => send(body).done;
  return { handler, events, send, ask, store };
}

/** Resolves once a progress event of `id` shows bytes arriving. */
function firstBytes(events: CacheEvent[], id: string): Promise<void> {
  return new Promise((resolve) => {
    const tick = () => (events.some((e) => e.id === id && e.type === 'download-progress' && e.bytesDone > 0) ? resolve() : setTimeout(tick, 5));
    tick();
  });
}

describe('CacheWorkerHandler', () => {
  it('plans, downloads with progress, then finds and lists the model', async () => {
    const h = harness();
    const plan = await h.ask({ type: 'plan', ref });
    expect(plan).toMatchObject({ type: 'plan', plan: { fits: true, storage: { quota: 50e6 } } });
    if (plan.type !== 'plan') throw new Error('no plan');
    expect(plan.plan.missingBytes).toBe(plan.plan.totalBytes);

    const { id, done } = h.send({ type: 'download', ref });
    const end = await done;
    expect(end).toMatchObject({
      type: 'download-done',
      model: { key: plan.plan.key, complete: true, bytes: plan.plan.totalBytes },
      fetchedBytes: plan.plan.totalBytes,
    });
    const progress = h.events.filter((e) => e.id === id && e.type === 'download-progress');
    expect(progress.length).toBeGreaterThan(2);
    const last = progress[progress.length - 1];
    expect(last).toMatchObject({ bytesDone: plan.plan.totalBytes, bytesTotal: plan.plan.totalBytes, retries: 0 });
    if (last.type === 'download-progress') expect(last.files.every((f) => f.state === 'complete')).toBe(true);

    expect(await h.ask({ type: 'find', ref })).toMatchObject({ type: 'found', model: { key: plan.plan.key, complete: true } });
    expect(await h.ask({ type: 'list' })).toMatchObject({ type: 'models', models: [{ key: plan.plan.key }], storage: { usage: expect.any(Number) } });
    expect(await h.ask({ type: 'persist' })).toMatchObject({ type: 'persisted', persisted: true });
  });

  it('pause keeps the partial files; the next download resumes them with Range', async () => {
    const h = harness();
    hub.throttle(400_000);
    const { id, done } = h.send({ type: 'download', ref, concurrency: 1 });
    await firstBytes(h.events, id);
    h.send({ type: 'pause', target: id });
    const paused = await done;
    expect(paused).toMatchObject({ type: 'paused', model: { complete: false } });
    if (paused.type !== 'paused') throw new Error('not paused');
    expect(paused.model.bytesDone).toBeGreaterThan(0);
    expect(h.store.paths().some((p) => p.endsWith(`${UNET}.incomplete`))).toBe(true);

    hub.throttle(null);
    hub.log.length = 0;
    const resumed = await h.ask({ type: 'download', ref });
    expect(resumed).toMatchObject({ type: 'download-done', model: { complete: true } });
    if (resumed.type === 'download-done') expect(resumed.resumedBytes).toBeGreaterThan(0);
    expect(hub.rangeRequests(UNET)).toHaveLength(1);
  });

  it('cancel stops the download and deletes the files it had not finished', async () => {
    const h = harness();
    hub.throttle(400_000);
    const { id, done } = h.send({ type: 'download', ref, concurrency: 1 });
    await firstBytes(h.events, id);
    h.send({ type: 'cancel', target: id });
    expect(await done).toMatchObject({ type: 'cancelled' });
    expect(h.store.paths().filter((p) => p.endsWith('.incomplete'))).toEqual([]);
    expect(h.store.paths().filter((p) => p.includes('/snapshots/'))).toEqual([]);
    expect(await h.ask({ type: 'list' })).toMatchObject({ models: [] });
  });

  it('a second download of the same model is busy', async () => {
    const h = harness();
    hub.throttle(2_000_000);
    const first = h.send({ type: 'download', ref });
    expect(await h.ask({ type: 'download', ref })).toMatchObject({ type: 'error', code: 'busy' });
    hub.throttle(null);
    expect(await first.done).toMatchObject({ type: 'download-done' });
  });

  it('a revision naming the same commit is busy too, and so is a snapshot another agent has locked', async () => {
    const h = harness();
    hub.throttle(2_000_000);
    const first = h.send({ type: 'download', ref });
    await firstBytes(h.events, first.id);
    const commit = fakeCommit(REPO);
    expect(await h.ask({ type: 'download', ref: { ...ref, revision: commit } })).toMatchObject({
      type: 'error',
      code: 'busy',
      message: expect.stringMatching(commit),
    });
    hub.throttle(null);
    expect(await first.done).toMatchObject({ type: 'download-done' });

    const elsewhere = harness(memoryStore(), { lockSnapshot: async () => null });
    expect(await elsewhere.ask({ type: 'download', ref })).toMatchObject({ type: 'error', code: 'busy', message: expect.stringMatching(/another tab/) });
  });

  it('CacheClient routes events to their request and drops the listener after the final one', async () => {
    const h = harness();
    const listeners: ((e: MessageEvent<CacheEvent>) => void)[] = [];
    const handler = new CacheWorkerHandler(
      { store: h.store, storage: async () => ({ usage: 0, quota: 50e6, persisted: false }), persist: async () => false, download: { backoffMs: () => 1 } },
      (e) => listeners.forEach((l) => l({ data: e } as MessageEvent<CacheEvent>)),
    );
    const client = new CacheClient({
      postMessage: (m) => void handler.handle(m as CacheRequest),
      addEventListener: (type: string, l: unknown) => type === 'message' && listeners.push(l as (e: MessageEvent<CacheEvent>) => void),
      terminate: () => undefined,
    });
    const seen: CacheEvent['type'][] = [];
    const end = await client.request({ type: 'download', ref }, (e) => seen.push(e.type));
    expect(end.type).toBe('download-done');
    expect(seen[0]).toBe('download-progress');
    expect(seen[seen.length - 1]).toBe('download-done');
    expect(await client.request({ type: 'find', ref })).toMatchObject({ type: 'found', model: { complete: true } });
    // No window here: persist goes to the worker, which can only tell.
    expect(await client.request({ type: 'persist' })).toMatchObject({ type: 'persisted', persisted: false });
  });

  it('a full disk answers storage-full naming the file, and find trusts nothing', async () => {
    const h = harness(memoryStore({ quota: 150_000 }));
    const end = await h.ask({ type: 'download', ref, concurrency: 1 });
    expect(end).toMatchObject({ type: 'error', code: 'storage-full', file: UNET, message: expect.stringMatching(/storage for this site is full/) });
    expect(await h.ask({ type: 'find', ref })).toMatchObject({ type: 'found', model: null });
  });

  it('finds a downloaded model offline through refs/, and plans from the cache', async () => {
    const store = memoryStore();
    expect(await harness(store).ask({ type: 'download', ref })).toMatchObject({ type: 'download-done' });
    const offline = harness(store, {
      client: (r) =>
        new HubClient({
          endpoint: r.endpoint,
          fetch: async () => {
            throw new TypeError('fetch failed');
          },
        }),
    });
    hub.log.length = 0;
    expect(await offline.ask({ type: 'find', ref })).toMatchObject({ type: 'found', model: { complete: true } });
    expect(await offline.ask({ type: 'plan', ref })).toMatchObject({ type: 'plan', plan: { missingBytes: 0 } });
    expect(await offline.ask({ type: 'find', ref: { ...ref, revision: 'v9' } })).toMatchObject({ type: 'found', model: null });
    expect(hub.log).toEqual([]);
  });

  it('deletes one model and everything, reporting the storage after', async () => {
    const h = harness();
    const done = await h.ask({ type: 'download', ref });
    if (done.type !== 'download-done') throw new Error(`download failed: ${JSON.stringify(done)}`);
    const deleted = await h.ask({ type: 'delete', key: done.model.key });
    expect(deleted).toMatchObject({ type: 'deleted', storage: { usage: 0 } });
    expect(h.store.paths()).toEqual([]);
    await h.ask({ type: 'download', ref });
    expect(await h.ask({ type: 'delete-all' })).toMatchObject({ type: 'deleted', storage: { usage: 0 } });
  });

  it('a gated repo without a token says what to do', async () => {
    const h = harness();
    const end = await h.ask({ type: 'plan', ref: { ...ref, repo: 'lantern/gated' } });
    expect(end).toMatchObject({ type: 'error', code: 'fetch-failed', message: expect.stringMatching(/gated or private.*token/) });
    expect(await h.ask({ type: 'plan', ref: { ...ref, repo: 'lantern/gated' }, token: 'hf_secret' })).toMatchObject({ type: 'plan' });
  });
});
