/**
 * A FileSource over one complete cached snapshot: the diffusion worker loads a downloaded
 * model from it without the network. Read-only (`getFile()`), so it works in any worker or
 * window. Files are opened once, up front: `locate` hands each as a `File` (onnxruntime-web
 * reads external data from it; nothing passes through the loader), and only files the manifest
 * marks complete and verified are ever visible.
 */
import { ModelFolderError } from '../errors';
import type { FileSource } from '../models/file-source';
import { fileMapSource } from '../models/file-map-source';
import type { BlobStore } from './blob-store';
import { CacheIndex, parseSnapshotKey, snapshotFilePath } from './cache-index';
import { opfsStore } from './opfs-store';

async function readWithProgress(file: File, onProgress?: (loaded: number, total: number | null) => void): Promise<Uint8Array> {
  if (!onProgress) return new Uint8Array(await file.arrayBuffer());
  const out = new Uint8Array(file.size);
  const chunk = 16 << 20;
  for (let offset = 0; offset < file.size; offset += chunk) {
    out.set(new Uint8Array(await file.slice(offset, offset + chunk).arrayBuffer()), offset);
    onProgress(Math.min(file.size, offset + chunk), file.size);
  }
  if (file.size === 0) onProgress(0, 0);
  return out;
}

/**
 * Opens the cached snapshot `key` (a CachedModelSummary's key) in `store` (default: OPFS).
 * `paths`: only these files, which must be complete (a selection downloaded with `only`), not the whole snapshot.
 */
export async function openCachedSnapshot(key: string, store: BlobStore = opfsStore(), paths?: readonly string[]): Promise<FileSource> {
  const k = parseSnapshotKey(key);
  const base = `hf://${k.repo}${k.subfolder ? `/${k.subfolder}` : ''}/`;
  const manifest = await new CacheIndex(store).manifest(key);
  if (!manifest) throw new ModelFolderError('missing-file', '.', `${base}: ${key} is not in this browser's cache (was it deleted?)`);
  const listed = paths ? manifest.files.filter((f) => paths.includes(f.path)) : manifest.files;
  const absent = (paths ?? []).filter((p) => !manifest.files.some((f) => f.path === p));
  if (absent.length) throw new ModelFolderError('missing-file', absent[0], `${base}${absent[0]}: not in the cached snapshot ${key}`);
  if (!listed.every((f) => f.complete)) {
    const missing = listed.filter((f) => !f.complete).map((f) => f.path);
    throw new ModelFolderError(
      'missing-file',
      missing[0],
      `${base}: the download of ${key} is not finished (${missing.length} files missing, e.g. ${missing[0]})`,
    );
  }
  const files = new Map<string, File>();
  for (const f of listed) {
    const file = await store.read(snapshotFilePath(k, f.path));
    if (!file || file.size !== f.size) {
      throw new ModelFolderError(
        'missing-file',
        f.path,
        `${base}${f.path}: the cache ${file ? `holds ${file.size} bytes of the ${f.size} it listed` : 'lost the file'}; download ${k.repo} again`,
      );
    }
    files.set(f.path, file);
  }
  return fileMapSource(base, files, { read: readWithProgress, unreadable: (err) => `cannot be read from the cache: ${err.message}` });
}
