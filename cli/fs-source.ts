/** A FileSource over a local folder, for the CLI and Node tests. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FileSource } from '../lib/models/file-source';

const absent = (err: unknown) => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');

export function fsSource(folder: string): FileSource {
  const root = resolve(folder);
  return {
    base: `${root}/`,
    locate: (path) => ({ localPath: join(root, path) }),
    async readBytes(path, onProgress) {
      try {
        const bytes = new Uint8Array(await readFile(join(root, path)));
        onProgress?.(bytes.length, bytes.length);
        return bytes;
      } catch (err) {
        if (absent(err)) return null;
        throw err;
      }
    },
    async size(path) {
      try {
        const s = await stat(join(root, path));
        return s.isFile() ? s.size : null;
      } catch (err) {
        if (absent(err)) return null;
        throw err;
      }
    },
    async list(dir) {
      try {
        return (await readdir(join(root, dir), { withFileTypes: true }))
          .filter((e) => e.isFile())
          .map((e) => e.name)
          .sort();
      } catch (err) {
        if (absent(err)) return null;
        throw err;
      }
    },
  };
}
