/// <reference lib="webworker" />
/**
 * Module Web Worker entry of the cache: Hub downloads stream into OPFS through sync access
 * handles (which exist only in dedicated workers), beside the diffusion worker so a download
 * goes on while a picture is made. Messages are typed in ./cache-protocol.
 */
import { HubClient } from '../hub/client';
import { opfsStore } from '../hub/opfs-store';
import { CacheWorkerHandler } from './cache-handler';
import type { CacheEvent, CacheRequest } from './cache-protocol';

declare const self: DedicatedWorkerGlobalScope;

/** 401/403 in the studio name its token field, not HF_TOKEN. */
const STUDIO_AUTH_HINTS = {
  missing: 'enter a Hub access token with read access under Models… → Hub settings (it stays in this browser)',
  refused: 'the access token in Hub settings has no access to it (a gated repo needs its terms accepted on the Hub with that account)',
};

const storage = navigator.storage as StorageManager & { persist?: () => Promise<boolean> };

const handler = new CacheWorkerHandler(
  {
    store: opfsStore(),
    // A browser cannot read a manual redirect's headers: let fetch follow the 302 to the CDN (it drops the token there).
    // no-store: OPFS is the cache. The HTTP cache would keep a second copy of every weight file, and after a cut it
    // turns our Range request into its own partial-entry requests.
    client: (ref, token) =>
      new HubClient({
        endpoint: ref.endpoint,
        token,
        redirects: 'follow',
        fetch: (input, init) => fetch(input, { ...init, cache: 'no-store' }),
        authHints: STUDIO_AUTH_HINTS,
      }),
    async storage() {
      const [estimate, persisted] = await Promise.all([storage.estimate(), storage.persisted()]);
      return { usage: estimate.usage ?? 0, quota: estimate.quota ?? 0, persisted };
    },
    // Web Locks span every agent of the origin: a second tab's cache worker answers 'busy' instead of
    // fighting over the same sync access handles. The lock is held until the download ends.
    lockSnapshot: (key) =>
      new Promise((resolve) => {
        void navigator.locks.request(`lantern-cache:${key}`, { ifAvailable: true }, (lock) => {
          if (!lock) return resolve(null);
          return new Promise<void>((release) => resolve(() => release()));
        });
      }),
    // persist() is a window API; the CacheClient asks it there. A worker can only tell.
    persist: () => (storage.persist ? storage.persist() : storage.persisted()),
  },
  (event: CacheEvent) => self.postMessage(event),
);

// Pause and cancel must not wait behind a running download: handle() is not awaited.
self.onmessage = (e: MessageEvent<CacheRequest>) => {
  void handler.handle(e.data);
};
