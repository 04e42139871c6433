/**
 * A BlobStore in the Origin Private File System. Writes go through FileSystemSyncAccessHandle,
 * which exists only in dedicated workers (the cache worker); reads are `getFile()` and work in
 * any context, so the diffusion worker can open cached models read-only.
 *
 * Every `write()`'s return value is checked: headless Chromium with an overridden quota writes
 * fewer bytes than asked instead of throwing (and `estimate()` still reports the real quota).
 * A short write or a QuotaExceededError becomes a StorageFullError naming the file.
 */
import { StorageFullError } from '../errors';
import { PARTIAL_SUFFIX, pathSegments, type BlobStore, type PartialWriter, type StoreEntry } from './blob-store';

/** Chromium's `FileSystemHandle.move(name)` (same folder rename), not yet in TypeScript's lib. */
type Movable = FileSystemFileHandle & { move?: (name: string) => Promise<void> };
/** The async iteration of folders (lib.dom.asynciterable, which this project's tsconfig leaves out). */
type IterableDir = FileSystemDirectoryHandle & { entries(): AsyncIterable<[string, FileSystemHandle]>; values(): AsyncIterable<FileSystemHandle> };

const isNamed = (err: unknown, ...names: string[]) => typeof err === 'object' && err !== null && names.includes((err as { name?: string }).name ?? '');
const absent = (err: unknown) => isNamed(err, 'NotFoundError', 'TypeMismatchError');

export interface OpfsStoreOptions {
  /** The OPFS root to use; default `navigator.storage.getDirectory()`. */
  root?: FileSystemDirectoryHandle;
}

export function opfsStore(options: OpfsStoreOptions = {}): BlobStore {
  let rootPromise: Promise<FileSystemDirectoryHandle> | null = null;
  const root = () => (rootPromise ??= options.root ? Promise.resolve(options.root) : navigator.storage.getDirectory());
  const label = 'opfs:';

  /** The folder holding `segments`, created when `create`; null when absent. */
  async function folder(segments: string[], create: boolean): Promise<FileSystemDirectoryHandle | null> {
    let dir = await root();
    for (const name of segments) {
      try {
        dir = await dir.getDirectoryHandle(name, { create });
      } catch (err) {
        if (absent(err)) return null;
        throw storageError(err, segments.join('/'));
      }
    }
    return dir;
  }

  async function parentOf(path: string, create: boolean): Promise<{ dir: FileSystemDirectoryHandle; name: string } | null> {
    const segments = pathSegments(path);
    if (segments.length === 0) throw new Error(`${label}: a file path is needed, not the root`);
    const dir = await folder(segments.slice(0, -1), create);
    return dir ? { dir, name: segments[segments.length - 1] } : null;
  }

  async function fileHandle(path: string, create: boolean): Promise<FileSystemFileHandle | null> {
    const at = await parentOf(path, create);
    if (!at) return null;
    try {
      return await at.dir.getFileHandle(at.name, { create });
    } catch (err) {
      if (absent(err)) return null;
      throw storageError(err, path);
    }
  }

  function storageError(err: unknown, path: string): Error {
    if (isNamed(err, 'QuotaExceededError')) return new StorageFullError(path, `${label}${path}: storage is full (${(err as Error).message})`);
    return err instanceof Error ? err : new Error(`${label}${path}: ${String(err)}`);
  }

  async function remove(dir: FileSystemDirectoryHandle, name: string, recursive = false): Promise<void> {
    try {
      await dir.removeEntry(name, { recursive });
    } catch (err) {
      if (!absent(err)) throw err;
    }
  }

  async function openWriter(path: string, at: number): Promise<PartialWriter> {
    const name = path + PARTIAL_SUFFIX;
    const handle = await fileHandle(name, true);
    if (!handle) throw new Error(`${label}${name}: cannot be created`);
    let access: FileSystemSyncAccessHandle;
    try {
      access = await handle.createSyncAccessHandle();
    } catch (err) {
      throw storageError(err, name);
    }
    let size: number;
    try {
      size = Math.min(at, access.getSize());
      access.truncate(size);
    } catch (err) {
      access.close();
      throw storageError(err, name);
    }
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      try {
        access.flush();
      } finally {
        access.close();
      }
    };
    return {
      get size() {
        return size;
      },
      async write(bytes) {
        if (closed) throw new Error(`${label}${name}: write after close`);
        let written: number;
        try {
          written = access.write(bytes, { at: size });
        } catch (err) {
          throw storageError(err, name);
        }
        if (written === bytes.length) {
          size += written;
          return;
        }
        // Short (or, seen in headless Chromium at a full quota, nonsense like 2^32 − 8): keep only bytes known to be there.
        const kept = Number.isInteger(written) && written > 0 && written < bytes.length ? written : 0;
        try {
          access.truncate(size + kept);
        } catch {
          // the partial's size is read from the file on the next open anyway
        }
        size += kept;
        throw new StorageFullError(path, `${label}${name}: storage is full: write() stored ${written} of ${bytes.length} bytes at offset ${size - kept}`);
      },
      close,
    };
  }

  const store: BlobStore = {
    label,
    async partialSize(path) {
      const handle = await fileHandle(path + PARTIAL_SUFFIX, false);
      return handle ? (await handle.getFile()).size : null;
    },
    async readPartial(path) {
      const handle = await fileHandle(path + PARTIAL_SUFFIX, false);
      return handle ? handle.getFile() : null;
    },
    openPartial: openWriter,
    async commitPartial(path) {
      const at = await parentOf(path, false);
      const partial = at && (await fileHandle(path + PARTIAL_SUFFIX, false));
      if (!at || !partial) throw new Error(`${label}${path}${PARTIAL_SUFFIX}: no partial file to commit`);
      await remove(at.dir, at.name);
      const movable = partial as Movable;
      if (movable.move) {
        await movable.move(at.name);
        return;
      }
      // No move(): copy in chunks (never the whole file in memory). The manifest, not the name, is what marks it complete.
      const source = await partial.getFile();
      const target = await at.dir.getFileHandle(at.name, { create: true });
      const access = await target.createSyncAccessHandle();
      try {
        const chunk = 8 << 20;
        for (let offset = 0; offset < source.size; offset += chunk) {
          const bytes = new Uint8Array(await source.slice(offset, offset + chunk).arrayBuffer());
          if (access.write(bytes, { at: offset }) !== bytes.length)
            throw new StorageFullError(path, `${label}${path}: storage is full while renaming its partial`);
        }
        access.flush();
      } finally {
        access.close();
      }
      await remove(at.dir, at.name + PARTIAL_SUFFIX);
    },
    async read(path) {
      const handle = await fileHandle(path, false);
      return handle ? handle.getFile() : null;
    },
    async writeSmall(path, bytes) {
      // Written as a partial and renamed, so a crash mid-write leaves the old file or none.
      const writer = await openWriter(path, 0);
      try {
        await writer.write(bytes);
      } finally {
        await writer.close();
      }
      await store.commitPartial(path);
    },
    async delete(path) {
      const at = await parentOf(path, false);
      if (!at) return;
      await remove(at.dir, at.name);
      await remove(at.dir, at.name + PARTIAL_SUFFIX);
    },
    async deleteTree(path) {
      const at = await parentOf(path, false);
      if (at) await remove(at.dir, at.name, true);
    },
    async list(dir) {
      const handle = await folder(pathSegments(dir), false);
      if (!handle) return null;
      const out: StoreEntry[] = [];
      for await (const [name, entry] of (handle as IterableDir).entries()) out.push({ name, kind: entry.kind });
      return out.sort((a, b) => (a.name < b.name ? -1 : 1));
    },
    async usage(dir = '') {
      const handle = await folder(pathSegments(dir), false);
      return handle ? treeSize(handle) : 0;
    },
  };
  return store;
}

async function treeSize(dir: FileSystemDirectoryHandle): Promise<number> {
  let total = 0;
  for await (const entry of (dir as IterableDir).values()) {
    if (entry.kind === 'file') total += (await (entry as FileSystemFileHandle).getFile()).size;
    else total += await treeSize(entry as FileSystemDirectoryHandle);
  }
  return total;
}
