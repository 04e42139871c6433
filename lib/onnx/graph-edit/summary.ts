/**
 * What a graph declares, read from its bytes before any session exists: inputs and outputs
 * (names, dtypes, static or symbolic dims), node op types (top level) and the external files
 * its initializers name. Weights are skipped by length, so a 736 MB graph reads in milliseconds.
 */
import { ModelFolderError } from '../../errors';
import { DATA_LOCATION_EXTERNAL, dataTypeName, DIM, ENTRY, GRAPH, MODEL, NODE, OPSET, SHAPE, TENSOR, TENSOR_TYPE, TYPE, VALUE_INFO, type OnnxDataType } from './onnx-fields';
import { fields, stringOf, type Field } from './wire';

export interface GraphValue {
  name: string;
  dtype: OnnxDataType;
  /** dim_value, dim_param, or '?' when the dim has neither. */
  shape: Array<number | string>;
}

export interface ExternalRef {
  initializer: string;
  location: string;
  offset: number;
  length: number | null;
}

export interface GraphSummary {
  irVersion: number;
  /** Version of the default ("" / ai.onnx) operator set. */
  opset: number;
  /** Graph inputs that are not initializers. */
  inputs: GraphValue[];
  outputs: GraphValue[];
  /** op_type → count, top-level nodes only. */
  opCounts: Record<string, number>;
  externalData: ExternalRef[];
  initializers: number;
}

const first = (fs: Field[], no: number) => fs.find((f) => f.no === no);

export function valueInfo(buf: Uint8Array, f: Field, label: string): GraphValue {
  const vi = fields(buf, label, f.payloadStart, f.payloadEnd);
  const nameF = first(vi, VALUE_INFO.name);
  const typeF = first(vi, VALUE_INFO.type);
  const tensorF = typeF && first(fields(buf, label, typeF.payloadStart, typeF.payloadEnd), TYPE.tensorType);
  const tt = tensorF ? fields(buf, label, tensorF.payloadStart, tensorF.payloadEnd) : [];
  const elem = first(tt, TENSOR_TYPE.elemType)?.varint ?? 0;
  const shapeF = first(tt, TENSOR_TYPE.shape);
  const shape = shapeF
    ? fields(buf, label, shapeF.payloadStart, shapeF.payloadEnd)
        .filter((d) => d.no === SHAPE.dim)
        .map((d) => {
          const dim = fields(buf, label, d.payloadStart, d.payloadEnd);
          const v = first(dim, DIM.value);
          const p = first(dim, DIM.param);
          return v ? (v.varint ?? 0) : p ? stringOf(buf, p) : '?';
        })
    : [];
  return { name: nameF ? stringOf(buf, nameF) : '', dtype: dataTypeName(elem), shape };
}

function externalRef(buf: Uint8Array, tensorFields: Field[], name: string, label: string): ExternalRef | null {
  if (first(tensorFields, TENSOR.dataLocation)?.varint !== DATA_LOCATION_EXTERNAL) return null;
  const entries = new Map<string, string>();
  for (const e of tensorFields.filter((f) => f.no === TENSOR.externalData)) {
    const kv = fields(buf, label, e.payloadStart, e.payloadEnd);
    const k = first(kv, ENTRY.key);
    const v = first(kv, ENTRY.value);
    if (k) entries.set(stringOf(buf, k), v ? stringOf(buf, v) : '');
  }
  const location = entries.get('location');
  if (location === undefined) throw new ModelFolderError('malformed-file', label, `${label}: initializer "${name}" is external but names no location`);
  const int = (key: string): number | null => {
    const s = entries.get(key);
    if (s === undefined) return null;
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < 0) throw new ModelFolderError('malformed-file', label, `${label}: initializer "${name}" has external ${key} "${s}"`);
    return n;
  };
  return { initializer: name, location, offset: int('offset') ?? 0, length: int('length') };
}

export function readGraphSummary(model: Uint8Array, label: string): GraphSummary {
  const top = fields(model, label);
  const graph = first(top, MODEL.graph);
  if (!graph) throw new ModelFolderError('malformed-file', label, `${label}: has no graph (not an ONNX model?)`);
  const irVersion = first(top, MODEL.irVersion)?.varint ?? 0;
  let opset = 0;
  for (const o of top.filter((f) => f.no === MODEL.opsetImport)) {
    const of = fields(model, label, o.payloadStart, o.payloadEnd);
    const domain = first(of, OPSET.domain);
    const d = domain ? stringOf(model, domain) : '';
    if (d === '' || d === 'ai.onnx') opset = first(of, OPSET.version)?.varint ?? opset;
  }
  const g = fields(model, label, graph.payloadStart, graph.payloadEnd);
  const opCounts: Record<string, number> = {};
  for (const n of g.filter((f) => f.no === GRAPH.node)) {
    const op = first(fields(model, label, n.payloadStart, n.payloadEnd), NODE.opType);
    const name = op ? stringOf(model, op) : '';
    opCounts[name] = (opCounts[name] ?? 0) + 1;
  }
  const initNames = new Set<string>();
  const externalData: ExternalRef[] = [];
  for (const t of g.filter((f) => f.no === GRAPH.initializer)) {
    const tf = fields(model, label, t.payloadStart, t.payloadEnd);
    const nameF = first(tf, TENSOR.name);
    const name = nameF ? stringOf(model, nameF) : '';
    initNames.add(name);
    const ref = externalRef(model, tf, name, label);
    if (ref) externalData.push(ref);
  }
  const inputs = g.filter((f) => f.no === GRAPH.input).map((f) => valueInfo(model, f, label)).filter((v) => !initNames.has(v.name));
  const outputs = g.filter((f) => f.no === GRAPH.output).map((f) => valueInfo(model, f, label));
  return { irVersion, opset, inputs, outputs, opCounts, externalData, initializers: initNames.size };
}
