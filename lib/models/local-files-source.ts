/**
 * FileSources over a model folder on this computer — picked with `<input webkitdirectory>`,
 * dropped, or opened with `showDirectoryPicker()`. Nothing is uploaded: the loader reads the
 * small files, and `locate` hands the weights to onnxruntime-web as the `File`s themselves.
 */
import { ModelFolderError, type FileSource } from './file-source';
import { fileMapSource } from './file-map-source';
import { MODEL_PARTS } from './manifest';

export interface LocalFile {
  /** Path inside the folder, '/'-separated (a picked folder's `webkitRelativePath` works: its top folder is stripped). */
  path: string;
  file: File;
}

/** The async iteration of folders (lib.dom.asynciterable, which this project's tsconfig leaves out). */
type IterableDir = FileSystemDirectoryHandle & { values(): AsyncIterable<FileSystemHandle> };

/** Folder names that belong inside a model folder: a top folder with one of these names is the model's own. */
const INNER_FOLDERS = new Set<string>([...MODEL_PARTS, 'tokenizer', 'scheduler']);

function normalize(path: string): string {
  return path.replace(/\\/g, '/').replace(/^\/+/, '');
}

/** Drops a top folder every path shares (the picked folder's own name), unless it is one of a model's part folders. */
function stripCommonTop(paths: string[]): string[] {
  const tops = new Set(paths.map((p) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : null)));
  if (tops.size !== 1) return paths;
  const [top] = tops;
  if (top === null || INNER_FOLDERS.has(top)) return paths;
  return paths.map((p) => p.slice(top.length + 1));
}

/** A FileSource over files the user handed over; `name` is shown in errors and as the folder's name. */
export function filesSource(name: string, entries: readonly LocalFile[]): FileSource {
  if (entries.length === 0) throw new ModelFolderError('missing-file', '.', `${name}: the folder holds no files`);
  const paths = stripCommonTop(entries.map((e) => normalize(e.path)));
  const files = new Map<string, File>();
  paths.forEach((p, i) => files.set(p, entries[i].file));
  // A file moved or changed on disk after it was picked cannot be read any more.
  return fileMapSource(`local://${name}/`, files, { unreadable: (err) => `cannot be read (${err.message}); pick the folder again` });
}

async function walk(dir: FileSystemDirectoryHandle, prefix: string, out: LocalFile[]): Promise<void> {
  for await (const entry of (dir as IterableDir).values()) {
    // Hidden files and folders (.git, .cache) are never part of a model.
    if (entry.name.startsWith('.')) continue;
    if (entry.kind === 'file') out.push({ path: `${prefix}${entry.name}`, file: await (entry as FileSystemFileHandle).getFile() });
    else await walk(entry as FileSystemDirectoryHandle, `${prefix}${entry.name}/`, out);
  }
}

/** A FileSource over a folder from `showDirectoryPicker()` or a drop's `getAsFileSystemHandle()`. */
export async function directorySource(handle: FileSystemDirectoryHandle): Promise<FileSource> {
  const entries: LocalFile[] = [];
  await walk(handle, '', entries);
  return filesSource(handle.name, entries);
}
