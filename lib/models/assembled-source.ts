/**
 * One model folder assembled from files of other folders: a catalogue entry that takes its
 * U-Net from one repo's controlnet/ and its ControlNet from another repo's SD/Scribble/ reads
 * as a single folder. Every file keeps its source's own `locate` (an OPFS File stays a File).
 */
import { ModelFolderError, type FileSource } from './file-source';

export interface AssembledFile {
  /** Where the file is in the assembled folder, e.g. "unet/model.onnx". */
  as: string;
  source: FileSource;
  /** Its path in `source`, e.g. "controlnet/model.onnx". */
  path: string;
}

export function assembledSource(name: string, files: readonly AssembledFile[]): FileSource {
  const byPath = new Map<string, AssembledFile>();
  for (const f of files) {
    if (byPath.has(f.as)) throw new ModelFolderError('malformed-file', f.as, `${name}: two files are assembled as ${f.as}`);
    byPath.set(f.as, f);
  }
  const base = `assembled://${name}/`;
  return {
    base,
    async readBytes(path, onProgress) {
      const f = byPath.get(path);
      return f ? f.source.readBytes(f.path, onProgress) : null;
    },
    async size(path) {
      const f = byPath.get(path);
      return f ? f.source.size(f.path) : null;
    },
    async list(dir) {
      const prefix = dir === '' ? '' : `${dir.replace(/\/+$/, '')}/`;
      const inside = [...byPath.keys()].filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length));
      if (inside.length === 0 && prefix !== '') return null;
      return inside.filter((p) => !p.includes('/')).sort();
    },
    locate(path) {
      const f = byPath.get(path);
      return f ? (f.source.locate?.(f.path) ?? {}) : {};
    },
  };
}
