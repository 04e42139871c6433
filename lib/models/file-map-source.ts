/**
 * A FileSource over `File`s already on this device, by path inside the folder: a cached
 * snapshot (OPFS) or a folder the user picked. `locate` hands each file itself to the runtime.
 */
import { ModelFolderError, type FileSource } from './file-source';

export interface FileMapOptions {
  /** Reads a file's bytes (the cache reads in chunks to report progress). */
  read?: (file: File, onProgress?: (loaded: number, total: number | null) => void) => Promise<Uint8Array>;
  /** Why a read failed, for the message: what the user should do. */
  unreadable: (err: Error) => string;
}

async function readWhole(file: File, onProgress?: (loaded: number, total: number | null) => void): Promise<Uint8Array> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  onProgress?.(bytes.length, bytes.length);
  return bytes;
}

export function fileMapSource(base: string, files: ReadonlyMap<string, File>, opts: FileMapOptions): FileSource {
  const read = opts.read ?? readWhole;
  return {
    base,
    async readBytes(path, onProgress) {
      const file = files.get(path);
      if (!file) return null;
      try {
        return await read(file, onProgress);
      } catch (err) {
        throw new ModelFolderError('fetch-failed', path, `${base}${path}: ${opts.unreadable(err as Error)}`);
      }
    },
    async size(path) {
      return files.get(path)?.size ?? null;
    },
    async list(dir) {
      const prefix = dir === '' ? '' : `${dir.replace(/\/+$/, '')}/`;
      const inside = [...files.keys()].filter((p) => p.startsWith(prefix));
      if (prefix !== '' && inside.length === 0) return null;
      return inside
        .map((p) => p.slice(prefix.length))
        .filter((p) => !p.includes('/'))
        .sort();
    },
    locate(path) {
      const file = files.get(path);
      return file ? { blob: file } : {};
    },
  };
}
