/**
 * Rewrites a float64 graph input to float32 for runtimes without float64 kernels
 * (onnxruntime-web cannot Cast from double): TensorStack's ControlNets take
 * `conditioning_scale` as double, and torch's exporter reads it only through
 * `Cast(to=float)`. The input's elem_type becomes FLOAT and each such Cast an Identity;
 * every other field — weights included — is copied byte for byte.
 */
import { ModelFolderError } from '../../errors';
import { ATTRIBUTE, FLOAT, GRAPH, MODEL, NODE, TENSOR_TYPE, TYPE, VALUE_INFO } from './onnx-fields';
import { valueInfo } from './summary';
import { concat, fields, lenField, lenHeader, stringField, stringOf, varintField, type Field } from './wire';

const first = (fs: Field[], no: number) => fs.find((f) => f.no === no);

/** The input's ValueInfoProto with elem_type FLOAT, the shape bytes copied. */
function floatValueInfo(buf: Uint8Array, f: Field, label: string): Uint8Array {
  const vi = fields(buf, label, f.payloadStart, f.payloadEnd);
  const parts = vi.map((field) => {
    if (field.no !== VALUE_INFO.type) return buf.subarray(field.start, field.end);
    const type = fields(buf, label, field.payloadStart, field.payloadEnd).map((tf) => {
      if (tf.no !== TYPE.tensorType) return buf.subarray(tf.start, tf.end);
      const tensorType = fields(buf, label, tf.payloadStart, tf.payloadEnd).map((x) =>
        x.no === TENSOR_TYPE.elemType ? varintField(TENSOR_TYPE.elemType, FLOAT) : buf.subarray(x.start, x.end),
      );
      return lenField(TYPE.tensorType, concat(tensorType));
    });
    return lenField(VALUE_INFO.type, concat(type));
  });
  return lenField(GRAPH.input, concat(parts));
}

export function rewriteInputToFloat32(model: Uint8Array, input: string, label: string): Uint8Array {
  const top = fields(model, label);
  const graph = top.find((f) => f.no === MODEL.graph);
  if (!graph) throw new ModelFolderError('malformed-file', label, `${label}: has no graph (not an ONNX model?)`);
  const g = fields(model, label, graph.payloadStart, graph.payloadEnd);
  const target = g.find((f) => f.no === GRAPH.input && valueInfo(model, f, label).name === input);
  if (!target) throw new ModelFolderError('unsupported-model', label, `${label}: has no input "${input}" to rewrite`);
  const dtype = valueInfo(model, target, label).dtype;
  if (dtype !== 'float64') throw new ModelFolderError('unsupported-model', label, `${label}: input "${input}" is ${dtype}, not float64`);

  const graphParts = g.map((f) => {
    if (f === target) return floatValueInfo(model, f, label);
    if (f.no !== GRAPH.node) return model.subarray(f.start, f.end);
    const node = fields(model, label, f.payloadStart, f.payloadEnd);
    const reads = node.some((n) => n.no === NODE.input && stringOf(model, n) === input);
    if (!reads) return model.subarray(f.start, f.end);
    const opF = first(node, NODE.opType);
    const op = opF ? stringOf(model, opF) : '';
    const nameF = first(node, NODE.name);
    const attrs = node.filter((n) => n.no === NODE.attribute).map((a) => fields(model, label, a.payloadStart, a.payloadEnd));
    const to = attrs.find((a) => {
      const n = first(a, ATTRIBUTE.name);
      return n !== undefined && stringOf(model, n) === 'to';
    });
    if (op !== 'Cast' || first(to ?? [], ATTRIBUTE.i)?.varint !== FLOAT) {
      throw new ModelFolderError(
        'unsupported-model',
        label,
        `${label}: input "${input}" feeds ${op} "${nameF ? stringOf(model, nameF) : ''}", not a Cast to float: cannot rewrite it to float32`,
      );
    }
    // Cast(double → float) of a float is the identity.
    const kept = node.filter((n) => n.no !== NODE.attribute).map((n) => (n.no === NODE.opType ? stringField(NODE.opType, 'Identity') : model.subarray(n.start, n.end)));
    return lenField(GRAPH.node, concat(kept));
  });
  // One copy of the weights: the graph's header and parts go straight into the output.
  const graphLength = graphParts.reduce((n, p) => n + p.length, 0);
  const chunks = top.flatMap((f) => (f === graph ? [lenHeader(MODEL.graph, graphLength), ...graphParts] : [model.subarray(f.start, f.end)]));
  return concat(chunks);
}
