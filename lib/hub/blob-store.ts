/**
 * Where downloaded model files live: a tree of named files, '/'-separated paths. A file is
 * written as a *partial* (`{path}.incomplete`) and becomes the file at `path` only by
 * `commitPartial`, once its size and hash have been checked — so a reader never sees a
 * half-written file under its real name. The browser implementation is OPFS in a worker
 * (`opfs-store.ts`); tests use `memory-store.ts`.
 */

/** Writes one partial file from a position on. Every write lands whole or throws (StorageFullError when the storage is full). */
export interface PartialWriter {
  /** Bytes in the partial file so far. */
  readonly size: number;
  write(bytes: Uint8Array): Promise<void>;
  /** Flushes and releases the file; safe to call twice. */
  close(): Promise<void>;
}

export interface StoreEntry {
  name: string;
  kind: 'file' | 'directory';
}

export interface BlobStore {
  /** Shown in errors, e.g. "opfs:" or "memory:". */
  readonly label: string;
  /** Size of the partial file for `path`, or null when there is none. */
  partialSize(path: string): Promise<number | null>;
  /** The partial's bytes so far (to re-hash them before resuming), or null. */
  readPartial(path: string): Promise<Blob | null>;
  /** Opens the partial for `path`, cut to `at` bytes (0: start over), for appending. */
  openPartial(path: string, at: number): Promise<PartialWriter>;
  /** The partial becomes the file at `path` (replacing any). */
  commitPartial(path: string): Promise<void>;
  /** A complete file, read lazily (an OPFS `File`: slicing copies nothing), or null. */
  read(path: string): Promise<File | null>;
  /** Writes a small file (a manifest, a ref) whole. */
  writeSmall(path: string, bytes: Uint8Array): Promise<void>;
  /** Removes the file at `path` and its partial; absent is fine. */
  delete(path: string): Promise<void>;
  /** Removes a folder and everything under it; absent is fine. */
  deleteTree(path: string): Promise<void>;
  /** Entries directly inside the folder ("" = the top), or null when it does not exist. */
  list(dir: string): Promise<StoreEntry[] | null>;
  /** Bytes of every file (partials included) under `dir`. */
  usage(dir?: string): Promise<number>;
}

export const PARTIAL_SUFFIX = '.incomplete';

/** Splits and checks a store path: no empty, "." or ".." segments, no backslashes. */
export function pathSegments(path: string): string[] {
  if (path === '') return [];
  const parts = path.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\'))) {
    throw new Error(`store path "${path}" must be relative, '/'-separated, without empty, "." or ".." parts`);
  }
  return parts;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

export async function writeText(store: BlobStore, path: string, text: string): Promise<void> {
  await store.writeSmall(path, textEncoder.encode(text));
}

/** A small file's text, or null when it is absent. */
export async function readText(store: BlobStore, path: string): Promise<string | null> {
  const file = await store.read(path);
  return file ? textDecoder.decode(await file.arrayBuffer()) : null;
}
