/**
 * What a graph declares, read from its bytes before any session exists: inputs and outputs
 * (names, dtypes, static or symbolic dims), node op types, and the external files its
 * initializers name. Only message headers are parsed: weights (`raw_data`, Constant
 * tensors) are stepped over by length, so a 736 MB graph reads like a 200 kB one and no
 * weight byte is copied or decoded.
 */
import { ModelFolderError } from '../../errors';
import {
  ATTRIBUTE,
  DATA_LOCATION_EXTERNAL,
  dataTypeName,
  DIM,
  ENTRY,
  GRAPH,
  isDefaultDomain,
  MODEL,
  NODE,
  OPSET,
  SHAPE,
  TENSOR,
  TENSOR_TYPE,
  TYPE,
  VALUE_INFO,
  type OnnxDataType,
} from './onnx-fields';
import { fields, fieldsOf, last, merged, stringOf, WIRE_LEN, type Field } from './wire';

export interface GraphValue {
  name: string;
  dtype: OnnxDataType;
  /** dim_value, dim_param, or '?' when the dim has neither; [] when the type has no shape. */
  shape: Array<number | string>;
}

export interface ExternalRef {
  initializer: string;
  location: string;
  /** 0 when the tensor names no offset (as onnx.external_data_helper reads it). */
  offset: number;
  /** null when the tensor names no length: it runs to the end of the file. */
  length: number | null;
}

export interface GraphSummary {
  irVersion: number;
  /** Version of the default ("" / ai.onnx) operator set; 0 when not imported. */
  opset: number;
  /** Graph inputs that are not initializers. */
  inputs: GraphValue[];
  outputs: GraphValue[];
  /** op_type → count over every node, those in subgraphs (If/Loop/Scan bodies) included. */
  opCounts: Record<string, number>;
  /** One entry per initializer whose data_location is EXTERNAL, in graph order. */
  externalData: ExternalRef[];
  /** Number of (dense) initializers of the main graph. */
  initializers: number;
}

/** Deeper subgraph nesting than this is taken for a corrupt file, not a model. */
const MAX_DEPTH = 64;

export interface ModelFields {
  /** ModelProto's fields. */
  top: Field[];
  /** The ModelProto.graph fields (one in every real file; several merge). */
  graphs: Field[];
  /** The GraphProto's fields, all graph occurrences concatenated. */
  members: Field[];
}

export function modelFields(model: Uint8Array, label: string): ModelFields {
  const top = fields(model, label);
  const graphs = top.filter((f) => f.no === MODEL.graph);
  if (graphs.length === 0 || graphs.some((g) => g.wire !== WIRE_LEN))
    throw new ModelFolderError('malformed-file', label, `${label}: has no graph (not an ONNX model?)`);
  return { top, graphs, members: merged(model, top, MODEL.graph, label) };
}

export const nameOf = (buf: Uint8Array, fs: readonly Field[], no: number): string => {
  const f = last(fs, no);
  return f ? stringOf(buf, f) : '';
};

export function valueInfo(buf: Uint8Array, f: Field, label: string): GraphValue {
  const vi = fieldsOf(buf, f, label);
  const tt = merged(buf, merged(buf, vi, VALUE_INFO.type, label), TYPE.tensorType, label);
  const elem = last(tt, TENSOR_TYPE.elemType)?.varint ?? 0;
  const shape = merged(buf, tt, TENSOR_TYPE.shape, label)
    .filter((d) => d.no === SHAPE.dim)
    .map((d) => {
      // dim_value and dim_param are a oneof: the last one present wins.
      const dim = fieldsOf(buf, d, label).filter((x) => x.no === DIM.value || x.no === DIM.param);
      const v = dim[dim.length - 1];
      if (!v) return '?';
      return v.no === DIM.value ? (v.varint ?? 0) : stringOf(buf, v);
    });
  return { name: nameOf(buf, vi, VALUE_INFO.name), dtype: dataTypeName(elem), shape };
}

function externalRef(buf: Uint8Array, tensor: Field[], name: string, label: string): ExternalRef | null {
  if (last(tensor, TENSOR.dataLocation)?.varint !== DATA_LOCATION_EXTERNAL) return null;
  const entries = new Map<string, string>();
  for (const e of tensor.filter((f) => f.no === TENSOR.externalData)) {
    const kv = fieldsOf(buf, e, label);
    entries.set(nameOf(buf, kv, ENTRY.key), nameOf(buf, kv, ENTRY.value));
  }
  const location = entries.get('location');
  if (!location) throw new ModelFolderError('malformed-file', label, `${label}: initializer "${name}" is external but names no location`);
  const int = (key: string): number | null => {
    const s = entries.get(key);
    if (s === undefined) return null;
    const n = /^[0-9]+$/.test(s) ? Number(s) : NaN;
    if (!Number.isSafeInteger(n))
      throw new ModelFolderError('malformed-file', label, `${label}: initializer "${name}" has external ${key} "${s}", not a byte count`);
    return n;
  };
  return { initializer: name, location, offset: int('offset') ?? 0, length: int('length') };
}

/** Counts the op types of a graph's nodes and, recursively, of the subgraphs in their attributes. */
function countOps(buf: Uint8Array, graph: readonly Field[], counts: Record<string, number>, label: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new ModelFolderError('malformed-file', label, `${label}: subgraphs nest deeper than ${MAX_DEPTH} levels`);
  for (const n of graph) {
    if (n.no !== GRAPH.node) continue;
    const node = fieldsOf(buf, n, label);
    const op = nameOf(buf, node, NODE.opType);
    counts[op] = (counts[op] ?? 0) + 1;
    for (const sub of subgraphs(buf, node, label)) countOps(buf, sub, counts, label, depth + 1);
  }
}

/** The GraphProto fields of every subgraph attribute (`g`, `graphs`) of a node. */
export function subgraphs(buf: Uint8Array, node: readonly Field[], label: string): Field[][] {
  const out: Field[][] = [];
  for (const a of node) {
    if (a.no !== NODE.attribute) continue;
    for (const f of fieldsOf(buf, a, label)) if (f.no === ATTRIBUTE.g || f.no === ATTRIBUTE.graphs) out.push(fieldsOf(buf, f, label));
  }
  return out;
}

export function readGraphSummary(model: Uint8Array, label: string): GraphSummary {
  const { top, members } = modelFields(model, label);
  const irVersion = last(top, MODEL.irVersion)?.varint ?? 0;
  let opset = 0;
  for (const o of top.filter((f) => f.no === MODEL.opsetImport)) {
    const of = fieldsOf(model, o, label);
    if (isDefaultDomain(nameOf(model, of, OPSET.domain))) opset = last(of, OPSET.version)?.varint ?? opset;
  }
  const opCounts: Record<string, number> = {};
  countOps(model, members, opCounts, label, 0);
  const initNames = new Set<string>();
  const externalData: ExternalRef[] = [];
  let initializers = 0;
  for (const t of members) {
    if (t.no !== GRAPH.initializer) continue;
    initializers++;
    const tensor = fieldsOf(model, t, label);
    const name = nameOf(model, tensor, TENSOR.name);
    initNames.add(name);
    const ref = externalRef(model, tensor, name, label);
    if (ref) externalData.push(ref);
  }
  const inputs = members
    .filter((f) => f.no === GRAPH.input)
    .map((f) => valueInfo(model, f, label))
    .filter((v) => !initNames.has(v.name));
  const outputs = members.filter((f) => f.no === GRAPH.output).map((f) => valueInfo(model, f, label));
  return { irVersion, opset, inputs, outputs, opCounts, externalData, initializers };
}
