'use client';
import { useState } from 'react';
import type { ModelSourceSpec } from '@/lib/worker/protocol';
import { useSettings } from '@/stores/settings';
import { loadModel } from '../engine';
import { backendInUse } from './library';

type FileEntry = { path: string; file: File };

/** `<input webkitdirectory>` names each file "folder/unet/model.onnx" (filesSource strips the shared top folder). */
function fromInput(list: FileList): { name: string; files: FileEntry[] } {
  const files = Array.from(list).map((file) => ({ file, path: file.webkitRelativePath || file.name }));
  return { name: files[0]?.path.split('/')[0] ?? 'folder', files };
}

interface EntryLike {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  file?: (ok: (f: File) => void, err: (e: unknown) => void) => void;
  createReader?: () => { readEntries(ok: (entries: EntryLike[]) => void, err: (e: unknown) => void): void };
}

/** A dropped folder, walked through the (older, everywhere) entries API: paths relative to the folder. */
async function walkEntry(entry: EntryLike, prefix = ''): Promise<FileEntry[]> {
  if (entry.isFile && entry.file) {
    const file = await new Promise<File>((ok, err) => entry.file!(ok, err));
    return [{ path: `${prefix}${entry.name}`, file }];
  }
  if (!entry.isDirectory || !entry.createReader) return [];
  const reader = entry.createReader();
  const out: FileEntry[] = [];
  // readEntries answers in batches until an empty one.
  for (;;) {
    const batch = await new Promise<EntryLike[]>((ok, err) => reader.readEntries(ok, err));
    if (batch.length === 0) break;
    for (const child of batch) out.push(...(await walkEntry(child, prefix ? `${prefix}${entry.name}/` : `${entry.name}/`)));
  }
  return out;
}

/** "Open a folder on this computer": picked or dropped, read in place by the worker; nothing is uploaded or copied. */
export function LocalFolderOpen() {
  const [problem, setProblem] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const open = (source: ModelSourceSpec) => {
    setProblem(null);
    loadModel(source, backendInUse(), useSettings.getState().lowMemory);
  };
  const pick = async () => {
    const picker = (window as unknown as { showDirectoryPicker?: () => Promise<FileSystemDirectoryHandle> }).showDirectoryPicker;
    if (!picker) return document.getElementById('local-folder-input')?.click();
    try {
      const handle = await picker();
      open({ kind: 'directory', name: handle.name, handle });
    } catch (err) {
      if ((err as Error).name !== 'AbortError') setProblem((err as Error).message);
    }
  };
  const drop = async (e: React.DragEvent) => {
    e.preventDefault();
    setOver(false);
    const item = Array.from(e.dataTransfer.items).find((i) => i.kind === 'file');
    const entry = (item as unknown as { webkitGetAsEntry?: () => EntryLike | null })?.webkitGetAsEntry?.();
    if (!entry?.isDirectory) return setProblem('drop a model folder (one with model_index.json or unet/, text_encoder/ …), not a file');
    open({ kind: 'files', name: entry.name, files: await walkEntry(entry) });
  };
  return (
    <div
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => void drop(e)}
      data-testid="local-folder-drop"
      className={`flex flex-wrap items-center gap-2 rounded border border-dashed p-2 text-sm ${over ? 'border-amber-500 bg-amber-500/10' : 'border-neutral-400'}`}
    >
      <button type="button" data-testid="local-folder-open" onClick={() => void pick()} className="rounded border border-neutral-400 px-3 py-1">
        Open a folder on this computer
      </button>
      <span className="text-neutral-500">or drop one here — it is read in place, nothing is uploaded</span>
      <input
        id="local-folder-input"
        data-testid="local-folder-input"
        type="file"
        className="hidden"
        // React does not know the attribute; Chromium, Firefox and Safari all support it.
        {...{ webkitdirectory: '' }}
        onChange={(e) => {
          if (e.target.files?.length) open({ kind: 'files', ...fromInput(e.target.files) });
          e.target.value = '';
        }}
      />
      {problem && (
        <p role="alert" className="w-full text-red-600">
          {problem}
        </p>
      )}
    </div>
  );
}
