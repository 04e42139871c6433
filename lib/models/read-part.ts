/**
 * Reads one part's graph and finds its external weights. A graph over 2 GB cannot be one
 * protobuf, so exporters write `model.onnx` + a data file (optimum: `model.onnx_data`,
 * diffusers' script: `weights.pb`); the names come from the graph's initializers, never
 * assumed. Weights are handed to the runtime by reference where it can open them itself
 * (a local path in Node, a URL in the browser), so no full copy passes through JS.
 */
import type { ExternalData, ExternalDataBy } from '../onnx/types';
import { readGraphSummary, splitExternalData, type GraphSummary } from '../onnx/graph-edit';
import { ModelFolderError, type FileSource } from './file-source';
import type { ModelFolder } from './load-folder';
import type { ModelPart } from './manifest';

export interface PartFiles {
  /** The graph's path in the folder, e.g. "unet/model.onnx": names the part in every error. */
  label: string;
  model: Uint8Array;
  summary: GraphSummary;
  /** The graph's own local file, when the runtime should open it (and its external data) itself. */
  localPath?: string;
  externalData: ExternalData[];
}

/** An external-data location must name a file beside the graph or below it. */
function checkLocation(label: string, location: string): void {
  const segments = location.replace(/\\/g, '/').split('/');
  if (location === '' || location.startsWith('/') || /^[a-zA-Z]:/.test(location) || segments.includes('..') || location.includes('://')) {
    throw new ModelFolderError('malformed-file', label, `${label}: external data location "${location}" leaves the model folder; Lantern reads only files beside the graph`);
  }
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '' : path.slice(0, i + 1);
}

/** Per external file: the bytes the graph reads from it (max offset + length). */
function bytesNeeded(summary: GraphSummary): Map<string, number> {
  const need = new Map<string, number>();
  for (const ref of summary.externalData) need.set(ref.location, Math.max(need.get(ref.location) ?? 0, ref.offset + (ref.length ?? 0)));
  return need;
}

async function resolveExternal(source: FileSource, label: string, summary: GraphSummary, by: ExternalDataBy, onProgress?: (loaded: number, total: number | null) => void) {
  const externalData: ExternalData[] = [];
  let byLocalPath = false;
  for (const [location, need] of bytesNeeded(summary)) {
    checkLocation(label, location);
    const path = `${dirOf(label)}${location}`;
    const size = await source.size(path);
    if (size === null) throw new ModelFolderError('missing-file', path, `${source.base}${path}: not found, but ${label} keeps its weights there`);
    if (size < need) {
      throw new ModelFolderError('malformed-file', path, `${source.base}${path}: ${size} bytes, but ${label} reads up to byte ${need} — the file is truncated (an interrupted download?)`);
    }
    const where = source.locate?.(path);
    if (by === 'local-path' && where?.localPath) {
      externalData.push({ path: location, localPath: where.localPath });
      byLocalPath = true;
    } else if (by === 'url' && where?.blob) {
      externalData.push({ path: location, blob: where.blob });
    } else if (by === 'url' && where?.url) {
      externalData.push({ path: location, url: where.url });
    } else {
      const data = await source.readBytes(path, onProgress);
      if (data === null) throw new ModelFolderError('missing-file', path, `${source.base}${path}: file not found`);
      externalData.push({ path: location, data });
    }
  }
  return { externalData, byLocalPath };
}

/** onnxruntime-web reads each Blob with one `arrayBuffer()`: no external file is handed over in a piece larger than this. */
export const BLOB_CHUNK_BYTES = 512 * 1024 * 1024;

/** Blobs over `max` (OPFS Files of a multi-GB U-Net) go as zero-copy slices, the graph readdressed to match. */
function sliceLargeBlobs(model: Uint8Array, label: string, externalData: ExternalData[], max: number): { model: Uint8Array; externalData: ExternalData[] } {
  const big = new Map<string, Blob>();
  for (const e of externalData) if ('blob' in e && e.blob.size > max) big.set(e.path, e.blob);
  if (big.size === 0) return { model, externalData };
  const fileSizes = new Map([...big].map(([path, blob]) => [path, blob.size]));
  const split = splitExternalData(model, label, { maxChunkBytes: max, fileSizes, split: (location) => big.has(location) });
  const slices = split.chunks.map((c) => ({ path: c.location, blob: big.get(c.source)!.slice(c.start, c.end) }));
  return { model: split.model, externalData: [...externalData.filter((e) => !big.has(e.path)), ...slices] };
}

/** Reads `part`'s graph (as found by loadModelFolder) and resolves its external data. */
export async function readPart(
  folder: ModelFolder,
  part: ModelPart,
  opts: { externalDataBy?: ExternalDataBy; onProgress?: (loaded: number, total: number | null) => void; blobChunkBytes?: number } = {},
): Promise<PartFiles> {
  const graph = folder.graphs[part];
  if (!graph) throw new ModelFolderError('unsupported-model', `${part}/`, `${folder.source.base}: the folder has no ${part}/ graph`);
  const label = graph.path;
  const model = await folder.source.readBytes(label, opts.onProgress);
  if (model === null) throw new ModelFolderError('missing-file', label, `${folder.source.base}${label}: file not found`);
  if (model.length < 16) throw new ModelFolderError('malformed-file', label, `${folder.source.base}${label}: ${model.length} bytes is not an ONNX model`);
  const summary = readGraphSummary(model, label);
  const resolved = await resolveExternal(folder.source, label, summary, opts.externalDataBy ?? 'bytes', opts.onProgress);
  const localPath = resolved.byLocalPath ? folder.source.locate?.(label).localPath : undefined;
  const sliced = sliceLargeBlobs(model, label, resolved.externalData, opts.blobChunkBytes ?? BLOB_CHUNK_BYTES);
  const readdressed = sliced.model !== model;
  return {
    label,
    model: sliced.model,
    summary: readdressed ? readGraphSummary(sliced.model, label) : summary,
    externalData: sliced.externalData,
    ...(localPath && { localPath }),
  };
}
