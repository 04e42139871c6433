/**
 * A BlobStore in memory, for Node tests and anywhere OPFS is absent. `quota` mimics a full
 * disk the way headless Chromium's OPFS shows it: the write that crosses the quota stores only
 * the bytes that fit, and the writer throws StorageFullError.
 */
import { StorageFullError } from '../errors';
import { PARTIAL_SUFFIX, pathSegments, type BlobStore, type PartialWriter, type StoreEntry } from './blob-store';

export interface MemoryStoreOptions {
  /** Total bytes the store holds (files and partials); default unlimited. */
  quota?: number;
}

export interface MemoryStore extends BlobStore {
  /** Every stored path (partials with their suffix), sorted: for tests. */
  paths(): string[];
  quota: number;
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c.subarray(0, Math.min(c.length, size - offset)), offset);
    offset += c.length;
    if (offset >= size) break;
  }
  return out;
}

export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const files = new Map<string, Uint8Array[]>();
  const sizeOf = (chunks: Uint8Array[]) => chunks.reduce((a, c) => a + c.length, 0);
  const used = () => [...files.values()].reduce((a, c) => a + sizeOf(c), 0);
  const key = (path: string) => pathSegments(path).join('/');
  const under = (dir: string) => (dir === '' ? '' : `${key(dir)}/`);
  const asFile = (path: string, chunks: Uint8Array[]) =>
    new File(
      chunks.map((c) => c.slice()),
      path.slice(path.lastIndexOf('/') + 1),
    );

  const store: MemoryStore = {
    label: 'memory:',
    quota: options.quota ?? Infinity,
    paths: () => [...files.keys()].sort(),
    async partialSize(path) {
      const chunks = files.get(key(path) + PARTIAL_SUFFIX);
      return chunks ? sizeOf(chunks) : null;
    },
    async readPartial(path) {
      const chunks = files.get(key(path) + PARTIAL_SUFFIX);
      return chunks ? new Blob(chunks.map((c) => c.slice())) : null;
    },
    async openPartial(path, at) {
      const name = key(path) + PARTIAL_SUFFIX;
      const old = files.get(name) ?? [];
      const chunks = [concat(old, Math.min(at, sizeOf(old)))];
      files.set(name, chunks);
      let size = chunks[0].length;
      let closed = false;
      const writer: PartialWriter = {
        get size() {
          return size;
        },
        async write(bytes) {
          if (closed) throw new Error(`${name}: write after close`);
          const room = store.quota - used();
          const n = Math.max(0, Math.min(bytes.length, room));
          if (n > 0) chunks.push(bytes.slice(0, n));
          size += n;
          if (n < bytes.length) {
            throw new StorageFullError(path, `${store.label}${name}: storage is full: wrote ${n} of ${bytes.length} bytes at offset ${size - n}`);
          }
        },
        async close() {
          closed = true;
        },
      };
      return writer;
    },
    async commitPartial(path) {
      const chunks = files.get(key(path) + PARTIAL_SUFFIX);
      if (!chunks) throw new Error(`${store.label}${path}${PARTIAL_SUFFIX}: no partial file to commit`);
      files.delete(key(path) + PARTIAL_SUFFIX);
      files.set(key(path), chunks);
    },
    async read(path) {
      const chunks = files.get(key(path));
      return chunks ? asFile(path, chunks) : null;
    },
    async writeSmall(path, bytes) {
      const old = files.get(key(path));
      if (bytes.length - (old ? sizeOf(old) : 0) > store.quota - used()) {
        throw new StorageFullError(path, `${store.label}${path}: storage is full: ${bytes.length} bytes do not fit`);
      }
      files.set(key(path), [bytes.slice()]);
    },
    async delete(path) {
      files.delete(key(path));
      files.delete(key(path) + PARTIAL_SUFFIX);
    },
    async deleteTree(path) {
      const prefix = under(path);
      for (const name of [...files.keys()]) if (name.startsWith(prefix) || name === key(path)) files.delete(name);
    },
    async list(dir) {
      const prefix = under(dir);
      const entries = new Map<string, StoreEntry>();
      for (const name of files.keys()) {
        if (!name.startsWith(prefix)) continue;
        const rest = name.slice(prefix.length).split('/');
        entries.set(rest[0], { name: rest[0], kind: rest.length > 1 ? 'directory' : 'file' });
      }
      if (entries.size === 0) return dir === '' ? [] : null;
      return [...entries.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    },
    async usage(dir = '') {
      const prefix = under(dir);
      let total = 0;
      for (const [name, chunks] of files) if (name.startsWith(prefix)) total += sizeOf(chunks);
      return total;
    },
  };
  return store;
}
