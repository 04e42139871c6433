/**
 * Where the Hub is and who the user is there. Kept apart from the generation settings: the token
 * stays in this browser's localStorage only and is sent to the Hub endpoint alone.
 */
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import { DEFAULT_ENDPOINT } from '@/lib/hub/repo-id';

export interface HubSettings {
  /** HF_ENDPOINT's counterpart: https://huggingface.co, a mirror, or a local emulator. */
  endpoint: string;
  /** A Hub access token for gated or private repos ("" = none). */
  token: string;
}

export const useHub = create<HubSettings & { set: (p: Partial<HubSettings>) => void }>()(
  persist((set) => ({ endpoint: DEFAULT_ENDPOINT, token: '', set: (p) => set(p) }), {
    name: 'lantern-hub',
    version: 1,
    merge: (saved, current) => {
      const s = (typeof saved === 'object' && saved !== null ? saved : {}) as Partial<HubSettings>;
      return {
        ...current,
        endpoint: typeof s.endpoint === 'string' && /^https?:\/\//.test(s.endpoint) ? s.endpoint : current.endpoint,
        token: typeof s.token === 'string' ? s.token : current.token,
      };
    },
  }),
);

/** `?hub=` points this page load at another endpoint (a mirror, or the tests' emulator) without saving it. */
export function endpointOverride(search: string): string | null {
  const hub = new URLSearchParams(search).get('hub');
  return hub && /^https?:\/\//.test(hub) ? hub.replace(/\/+$/, '') : null;
}
