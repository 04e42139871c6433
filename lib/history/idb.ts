/** Promises over IndexedDB's requests and transactions, with quota failures made typed. */
import { HistoryFullError } from './errors';

export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

/** True for the DOMException a browser raises when a write would pass the origin's quota (by its name, never its text). */
export function isQuotaError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'QuotaExceededError';
}

/**
 * Runs `body` in one transaction and resolves when it commits. A quota failure can surface as a
 * thrown put, a failed request or the transaction's abort at commit (Chromium): each becomes a
 * HistoryFullError for `recordId`.
 */
export function transact<T>(db: IDBDatabase, stores: string[], mode: IDBTransactionMode, body: (tx: IDBTransaction) => T, recordId = ''): Promise<T> {
  return new Promise((resolve, reject) => {
    const fail = (err: unknown) =>
      reject(
        isQuotaError(err)
          ? new HistoryFullError(recordId, 'history storage is full: the browser refused to save this result')
          : (err ?? new Error('IndexedDB transaction aborted')),
      );
    let tx: IDBTransaction;
    try {
      tx = db.transaction(stores, mode);
    } catch (err) {
      fail(err);
      return;
    }
    let value: T;
    let thrown = false;
    tx.oncomplete = () => resolve(value);
    // A failed request bubbles to the transaction, which then aborts: answer once, from the abort.
    tx.onerror = (e) => e.preventDefault();
    tx.onabort = () => {
      if (!thrown) fail(tx.error);
    };
    try {
      value = body(tx);
    } catch (err) {
      thrown = true;
      fail(err);
      try {
        tx.abort();
      } catch {
        // already finished
      }
    }
  });
}
