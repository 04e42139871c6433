/**
 * Readdresses one big external-data file as several smaller "files", so a runtime that loads
 * each external file into one ArrayBuffer (onnxruntime-web turns a Blob into one
 * `arrayBuffer()`) never needs a multi-GB buffer: the caller hands each chunk over as a
 * zero-copy `blob.slice(start, end)`. Chunks are cut at initializer boundaries, each at most
 * `maxChunkBytes` unless one tensor alone is larger (that tensor is then its own chunk).
 *
 * Only the external_data entries of the initializers that move are re-emitted (location
 * `model.onnx_data` → `model.onnx_data.part0`, `.part1`…; offset rebased to the chunk; length
 * made explicit); every other byte of the graph is copied from a view of the input.
 */
import { ModelFolderError } from '../../errors';
import { DATA_LOCATION_EXTERNAL, ENTRY, GRAPH, MODEL, TENSOR } from './onnx-fields';
import { modelFields, nameOf, readGraphSummary } from './summary';
import { byteLength, bytesOf, concat, fieldsOf, last, lenField, lenHeader, stringField, type Field } from './wire';

export interface ExternalChunk {
  /** The new location the graph names, e.g. "model.onnx_data.part1". */
  location: string;
  /** The original file the chunk's bytes come from, and their range in it. */
  source: string;
  start: number;
  end: number;
}

export interface SplitExternalData {
  /** The rewritten graph (the input itself when nothing needed splitting). */
  model: Uint8Array;
  /** Chunks of the split files, in file order; files left whole do not appear. */
  chunks: ExternalChunk[];
}

export interface SplitOptions {
  maxChunkBytes: number;
  /** Size of each external file: needed for tensors that name no length (they run to the end). */
  fileSizes?: ReadonlyMap<string, number>;
  /** Which locations to split (default: every file whose bytes exceed maxChunkBytes). */
  split?: (location: string, bytes: number) => boolean;
}

export const chunkLocation = (location: string, index: number): string => `${location}.part${index}`;

interface Span {
  initializer: string;
  start: number;
  end: number;
}

/** Greedy cuts at tensor boundaries; a tensor that overlaps the chunk so far joins it (shared bytes stay together). */
function cut(location: string, spans: Span[], max: number): { chunks: ExternalChunk[]; chunkOf: Map<string, number> } {
  const sorted = [...spans].sort((a, b) => a.start - b.start || a.end - b.end);
  const chunks: ExternalChunk[] = [];
  const chunkOf = new Map<string, number>();
  for (const s of sorted) {
    const cur = chunks[chunks.length - 1];
    if (cur && (s.start < cur.end || Math.max(cur.end, s.end) - cur.start <= max)) {
      cur.end = Math.max(cur.end, s.end);
    } else {
      chunks.push({ location: chunkLocation(location, chunks.length), source: location, start: s.start, end: s.end });
    }
    chunkOf.set(s.initializer, chunks.length - 1);
  }
  return { chunks, chunkOf };
}

/** A StringStringEntryProto as TensorProto.external_data. */
const entry = (key: string, value: string): Uint8Array => lenField(TENSOR.externalData, [stringField(ENTRY.key, key), stringField(ENTRY.value, value)]);

export function splitExternalData(model: Uint8Array, label: string, opts: SplitOptions): SplitExternalData {
  if (!(opts.maxChunkBytes > 0)) throw new RangeError(`maxChunkBytes must be positive, got ${opts.maxChunkBytes}`);
  const summary = readGraphSummary(model, label);
  const byLocation = new Map<string, Span[]>();
  for (const ref of summary.externalData) {
    let end: number;
    if (ref.length !== null) end = ref.offset + ref.length;
    else {
      const size = opts.fileSizes?.get(ref.location);
      if (size === undefined)
        throw new ModelFolderError(
          'malformed-file',
          label,
          `${label}: initializer "${ref.initializer}" names no length and the size of "${ref.location}" is unknown`,
        );
      end = size;
    }
    const spans = byLocation.get(ref.location) ?? [];
    spans.push({ initializer: ref.initializer, start: ref.offset, end });
    byLocation.set(ref.location, spans);
  }

  const chunks: ExternalChunk[] = [];
  // initializer name → its new location and offset.
  const moved = new Map<string, { location: string; offset: number; length: number }>();
  for (const [location, spans] of byLocation) {
    const bytes = Math.max(...spans.map((s) => s.end));
    const wanted = opts.split ? opts.split(location, bytes) : bytes > opts.maxChunkBytes;
    if (!wanted) continue;
    const { chunks: own, chunkOf } = cut(location, spans, opts.maxChunkBytes);
    chunks.push(...own);
    for (const s of spans) {
      const c = own[chunkOf.get(s.initializer)!];
      moved.set(s.initializer, { location: c.location, offset: s.start - c.start, length: s.end - s.start });
    }
  }
  if (moved.size === 0) return { model, chunks };

  const { top, graphs } = modelFields(model, label);
  const rewriteTensor = (f: Field): Uint8Array => {
    const tensor = fieldsOf(model, f, label);
    if (last(tensor, TENSOR.dataLocation)?.varint !== DATA_LOCATION_EXTERNAL) return bytesOf(model, f);
    const to = moved.get(nameOf(model, tensor, TENSOR.name));
    if (!to) return bytesOf(model, f);
    const keep = (e: Field) => !['location', 'offset', 'length'].includes(nameOf(model, fieldsOf(model, e, label), ENTRY.key));
    const parts = tensor.filter((t) => t.no !== TENSOR.externalData || keep(t)).map((t) => bytesOf(model, t));
    parts.push(entry('location', to.location), entry('offset', String(to.offset)), entry('length', String(to.length)));
    return lenField(GRAPH.initializer, parts);
  };
  const out = top.flatMap((f) => {
    if (!graphs.includes(f)) return [bytesOf(model, f)];
    const parts = fieldsOf(model, f, label).map((g) => (g.no === GRAPH.initializer ? rewriteTensor(g) : bytesOf(model, g)));
    return [lenHeader(MODEL.graph, byteLength(parts)), ...parts];
  });
  return { model: concat(out), chunks };
}
