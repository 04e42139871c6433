import { IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { HistoryFullError, openHistoryStore, recordBytes, type HistoryStore } from '@/lib/history';
import { fakeQuota } from './fake-quota';
import { record } from './records';

let quota: ReturnType<typeof fakeQuota> | null = null;
afterEach(() => {
  quota?.restore();
  quota = null;
});

const open = (factory = new IDBFactory()) => openHistoryStore(factory as unknown as globalThis.IDBFactory);

describe('history store', () => {
  it('lists newest first without the PNG, sketch or init; get returns the whole record', async () => {
    const store = await open();
    await store.put(record('a', 100));
    await store.put(record('c', 300));
    await store.put(
      record('b', 200, { sketch: { width: 64, height: 64, background: null, strokes: [{ tool: 'brush', size: 2, points: [{ x: 1, y: 2, w: 2 }] }] } }),
    );
    const list = await store.list();
    expect(list.map((e) => e.id)).toEqual(['c', 'b', 'a']);
    expect(list[0]).not.toHaveProperty('png');
    expect(list[1].hasSketch).toBe(true);
    expect(list[0].params.prompt).toBe('prompt c');
    const got = await store.get('b');
    expect(got?.repairs).toEqual([]);
    expect(got?.record.png).toEqual(new Uint8Array(1000).fill(2));
    expect(got?.record.sketch?.strokes[0].points[0]).toEqual({ x: 1, y: 2, w: 2 });
    expect(await store.get('nope')).toBeNull();
  });

  it('survives reopening (a reload) and keeps init images byte for byte', async () => {
    const factory = new IDBFactory();
    const first = await open(factory);
    const init = { width: 2, height: 1, data: new Uint8ClampedArray([1, 2, 3, 4, 5, 6, 7, 8]) };
    await first.put(record('x', 1, { init, params: { ...record('x', 1).params, strength: 0.6 } }));
    first.close();
    const again = await open(factory);
    const got = await again.get('x');
    expect(got?.record.init).toEqual(init);
    expect(got?.record.params.strength).toBe(0.6);
    expect(got?.record.params.controlScale).toBeUndefined();
  });

  it('deletes some, and the oldest n; counts records and bytes', async () => {
    const store = await open();
    for (const [id, t] of [
      ['a', 1],
      ['b', 2],
      ['c', 3],
      ['d', 4],
    ] as const)
      await store.put(record(id, t));
    const one = recordBytes(record('a', 1));
    expect(await store.usage()).toEqual({ count: 4, bytes: 4 * one });
    await store.delete(['c']);
    expect((await store.list()).map((e) => e.id)).toEqual(['d', 'b', 'a']);
    expect(await store.deleteOldest(2)).toEqual(['a', 'b']);
    expect((await store.list()).map((e) => e.id)).toEqual(['d']);
    expect(await store.get('a')).toBeNull();
    expect(await store.deleteOldest(5)).toEqual(['d']);
    expect(await store.usage()).toEqual({ count: 0, bytes: 0 });
  });

  for (const mode of ['abort', 'throw'] as const) {
    it(`a full quota (${mode}) is a HistoryFullError, writes nothing, and the save succeeds after deleting the oldest`, async () => {
      const store: HistoryStore = await open();
      quota = fakeQuota(2500, mode);
      await store.put(record('a', 1));
      await store.put(record('b', 2));
      const err = await store.put(record('c', 3)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HistoryFullError);
      expect((err as HistoryFullError).id).toBe('c');
      expect((err as HistoryFullError).code).toBe('storage-full');
      // All or nothing: no entry without its payload.
      expect((await store.list()).map((e) => e.id)).toEqual(['b', 'a']);
      quota.used.delete('a');
      await store.deleteOldest(1);
      await store.put(record('c', 3));
      expect((await store.list()).map((e) => e.id)).toEqual(['c', 'b']);
    });
  }

  it('a failure that is not the quota stays what it was', async () => {
    const store = await open();
    const bad = record('f', 1, { png: (() => 1) as unknown as Uint8Array });
    const err = await store.put(bad).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(HistoryFullError);
    expect((err as Error).name).toBe('DataCloneError');
  });
});
