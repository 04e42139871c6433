/** FileSource over a folder of the repo, with optional overrides to simulate broken files. */
import { fsSource } from '@/cli/fs-source';
import type { FileSource } from '@/lib/models/file-source';

/** `overrides`: path → bytes to serve instead, or null to hide the file. `listing: false` makes the source unable to list, like plain HTTP. */
export function dirSource(folder: string, overrides: Record<string, Uint8Array | null> = {}, opts: { listing?: boolean } = {}): FileSource {
  const inner = fsSource(folder);
  const overridden = (path: string) => Object.prototype.hasOwnProperty.call(overrides, path);
  const hasOverrides = Object.keys(overrides).length > 0;
  return {
    base: inner.base,
    readBytes: async (path, onProgress) => (overridden(path) ? overrides[path] : inner.readBytes(path, onProgress)),
    size: async (path) => (overridden(path) ? (overrides[path]?.length ?? null) : inner.size(path)),
    list:
      opts.listing === false
        ? undefined
        : async (dir) => {
            const names = new Set((await inner.list!(dir)) ?? []);
            const prefix = dir === '' ? '' : `${dir.replace(/\/$/, '')}/`;
            for (const [path, bytes] of Object.entries(overrides)) {
              if (!path.startsWith(prefix) || path.slice(prefix.length).includes('/')) continue;
              if (bytes === null) names.delete(path.slice(prefix.length));
              else names.add(path.slice(prefix.length));
            }
            return names.size === 0 ? null : [...names].sort();
          },
    // Overridden bytes are not on disk: the runtime must get them from readBytes.
    locate: hasOverrides ? undefined : inner.locate,
  };
}

export const text = (s: string) => new TextEncoder().encode(s);
