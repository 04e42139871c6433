/**
 * The results history over IndexedDB: two object stores, `entries` (metadata and thumbnail,
 * what the gallery lists; indexed by time) and `payloads` (PNG, sketch, init image, read only
 * when one entry is opened). Each record is written in one transaction over both, so a crash or
 * a full disk leaves it either whole or absent. Pure IndexedDB: runs on fake-indexeddb in Node.
 */
import { HistoryUnavailableError } from './errors';
import { request, transact } from './idb';
import { parseEntry, parsePayload, splitRecord, type HistoryEntry, type HistoryRecord } from './record';

export const HISTORY_DB = 'lantern-history';
const VERSION = 1;
const ENTRIES = 'entries';
const PAYLOADS = 'payloads';
const BY_TIME = 'createdAt';

export interface HistoryUsage {
  count: number;
  bytes: number;
}

export interface HistoryStore {
  /** Saves a record (replacing one with its id); rejects with HistoryFullError when storage is full. */
  put(record: HistoryRecord): Promise<void>;
  /** Every readable entry, newest first, without the PNG, sketch or init image. */
  list(): Promise<HistoryEntry[]>;
  /** One whole record, or null when it is gone or unreadable; `repairs` lists what was dropped or fixed. */
  get(id: string): Promise<{ record: HistoryRecord; repairs: string[] } | null>;
  delete(ids: readonly string[]): Promise<void>;
  /** Deletes the `n` oldest records and returns their ids, oldest first. */
  deleteOldest(n: number): Promise<string[]>;
  usage(): Promise<HistoryUsage>;
  close(): void;
}

function openDb(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let req: IDBOpenDBRequest;
    try {
      req = factory.open(name, VERSION);
    } catch (err) {
      reject(new HistoryUnavailableError(`IndexedDB cannot be opened: ${String(err)}`));
      return;
    }
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(ENTRIES)) db.createObjectStore(ENTRIES, { keyPath: 'id' }).createIndex(BY_TIME, BY_TIME);
      if (!db.objectStoreNames.contains(PAYLOADS)) db.createObjectStore(PAYLOADS, { keyPath: 'id' });
    };
    req.onsuccess = () => {
      // Another tab opening a newer schema asks this one to step aside.
      req.result.onversionchange = () => req.result.close();
      resolve(req.result);
    };
    req.onerror = () => reject(new HistoryUnavailableError(`IndexedDB cannot be opened: ${req.error?.message ?? 'unknown error'}`));
    req.onblocked = () => reject(new HistoryUnavailableError('IndexedDB is blocked by another tab holding an older version open'));
  });
}

export async function openHistoryStore(factory: IDBFactory | undefined = globalThis.indexedDB, name = HISTORY_DB): Promise<HistoryStore> {
  if (!factory) throw new HistoryUnavailableError('this browser has no IndexedDB');
  const db = await openDb(factory, name);

  const deleteIn = (tx: IDBTransaction, ids: readonly string[]) => {
    for (const id of ids) {
      tx.objectStore(ENTRIES).delete(id);
      tx.objectStore(PAYLOADS).delete(id);
    }
  };

  return {
    put: (record) => {
      const { entry, payload } = splitRecord(record);
      return transact(
        db,
        [ENTRIES, PAYLOADS],
        'readwrite',
        (tx) => {
          tx.objectStore(ENTRIES).put(entry);
          tx.objectStore(PAYLOADS).put(payload);
        },
        record.id,
      );
    },

    list: async () => {
      const raw = await transact(db, [ENTRIES], 'readonly', (tx) => request(tx.objectStore(ENTRIES).index(BY_TIME).getAll()));
      const entries = (await raw).flatMap((r) => parseEntry(r)?.entry ?? []);
      // Newest first; equal times by id so the order is stable.
      return entries.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    },

    get: async (id) => {
      const both = await transact(db, [ENTRIES, PAYLOADS], 'readonly', (tx) =>
        Promise.all([request(tx.objectStore(ENTRIES).get(id)), request(tx.objectStore(PAYLOADS).get(id))]),
      );
      const [rawEntry, rawPayload] = await both;
      const e = parseEntry(rawEntry);
      const p = parsePayload(rawPayload);
      if (!e || !p) return null;
      return { record: { ...e.entry, png: p.payload.png, sketch: p.payload.sketch, init: p.payload.init }, repairs: [...e.repairs, ...p.repairs] };
    },

    delete: (ids) => transact(db, [ENTRIES, PAYLOADS], 'readwrite', (tx) => deleteIn(tx, ids)),

    deleteOldest: async (n) => {
      const ids: string[] = [];
      if (n <= 0) return ids;
      await transact(db, [ENTRIES, PAYLOADS], 'readwrite', (tx) => {
        const cursor = tx.objectStore(ENTRIES).index(BY_TIME).openKeyCursor();
        cursor.onsuccess = () => {
          const c = cursor.result;
          if (!c) return;
          ids.push(String(c.primaryKey));
          deleteIn(tx, [String(c.primaryKey)]);
          if (ids.length < n) c.continue();
        };
      });
      return ids;
    },

    usage: async () => {
      const raw = await transact(db, [ENTRIES], 'readonly', (tx) => request(tx.objectStore(ENTRIES).getAll()));
      const all = await raw;
      return { count: all.length, bytes: all.reduce((n: number, r) => n + (parseEntry(r)?.entry.bytes ?? 0), 0) };
    },

    close: () => db.close(),
  };
}
