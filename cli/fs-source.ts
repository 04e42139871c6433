/** A FileSource over a local folder, for the CLI and Node tests. */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FileSource } from '../lib/models/file-source';

export function fsSource(folder: string): FileSource {
  const root = resolve(folder);
  return {
    base: `${root}/`,
    async readBytes(path, onProgress) {
      try {
        const bytes = new Uint8Array(await readFile(join(root, path)));
        onProgress?.(bytes.length, bytes.length);
        return bytes;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
  };
}
