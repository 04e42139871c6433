/**
 * A quota for fake-indexeddb, which has none: payload puts beyond `limit` bytes (all payloads
 * together) fail the way browsers fail them — a thrown DOMException named QuotaExceededError,
 * or (Chromium) the transaction aborting with that error once the put was queued.
 */
import { IDBObjectStore } from 'fake-indexeddb';

interface Quota {
  limit: number;
  mode: 'throw' | 'abort';
  used: Map<string, number>;
  restore: () => void;
}

export function fakeQuota(limit: number, mode: Quota['mode'] = 'abort'): Quota {
  const proto = IDBObjectStore.prototype as unknown as { put: (value: unknown, key?: unknown) => unknown; name: string; transaction: unknown };
  const original = proto.put;
  const quota: Quota = { limit, mode, used: new Map(), restore: () => (proto.put = original) };
  proto.put = function (this: typeof proto, value: unknown, key?: unknown) {
    const v = value as { id?: string; png?: Uint8Array };
    if (this.name === 'payloads' && v.id && v.png) {
      const others = [...quota.used].reduce((n, [id, b]) => (id === v.id ? n : n + b), 0);
      if (others + v.png.byteLength > quota.limit) {
        if (quota.mode === 'throw') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        const req = original.call(this, value, key);
        const tx = this.transaction as { _abort: (name: string) => void };
        queueMicrotask(() => tx._abort('QuotaExceededError'));
        return req;
      }
      quota.used.set(v.id, v.png.byteLength);
    }
    return original.call(this, value, key);
  };
  return quota;
}
