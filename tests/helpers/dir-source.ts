/** FileSource over a folder of the repo, with optional overrides to simulate broken files. */
import { fsSource } from '@/cli/fs-source';
import type { FileSource } from '@/lib/models/file-source';

export function dirSource(folder: string, overrides: Record<string, Uint8Array | null> = {}): FileSource {
  const inner = fsSource(folder);
  return {
    base: inner.base,
    readBytes: async (path, onProgress) => (path in overrides ? overrides[path] : inner.readBytes(path, onProgress)),
  };
}

export const text = (s: string) => new TextEncoder().encode(s);
