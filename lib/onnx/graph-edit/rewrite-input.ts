/**
 * Rewrites a float64 graph input to float32 for runtimes without float64 kernels: the
 * WebGPU build of onnxruntime-web (which Lantern's browser worker loads, wasm EP included)
 * has no Cast from double. TensorStack's ControlNets take `conditioning_scale` as double
 * and torch's exporter reads it only through `Cast(to=FLOAT)`, so the input's elem_type
 * becomes FLOAT and each such Cast an Identity (a Cast from float to float).
 *
 * Only the changed messages are re-emitted: the input's ValueInfoProto (and a value_info
 * entry of the same name, if any), the Cast nodes, and the length headers of the graph
 * that holds them. Every other field — every initializer among them — is copied byte for
 * byte from a view of the input. The result is one new buffer the size of the model.
 */
import { ModelFolderError } from '../../errors';
import { ATTRIBUTE, dataTypeName, FLOAT, GRAPH, isDefaultDomain, MODEL, NODE, TENSOR, TENSOR_TYPE, TYPE, VALUE_INFO } from './onnx-fields';
import { modelFields, nameOf, subgraphs, valueInfo } from './summary';
import { byteLength, bytesOf, concat, fieldsOf, last, lenField, lenHeader, stringField, stringOf, varintField, type Field } from './wire';

const MAX_DEPTH = 64;

/** A ValueInfoProto (as field `no`) with elem_type FLOAT; its name and shape bytes copied. */
function floatValueInfo(buf: Uint8Array, f: Field, no: number, label: string): Uint8Array {
  const vi = fieldsOf(buf, f, label).map((field) => {
    if (field.no !== VALUE_INFO.type) return bytesOf(buf, field);
    const type = fieldsOf(buf, field, label).map((tf) => {
      if (tf.no !== TYPE.tensorType) return bytesOf(buf, tf);
      const tensorType = fieldsOf(buf, tf, label).map((x) => (x.no === TENSOR_TYPE.elemType ? varintField(TENSOR_TYPE.elemType, FLOAT) : bytesOf(buf, x)));
      return lenField(TYPE.tensorType, tensorType);
    });
    return lenField(VALUE_INFO.type, type);
  });
  return lenField(no, vi);
}

const inputsOf = (buf: Uint8Array, node: readonly Field[]): string[] => node.filter((n) => n.no === NODE.input).map((n) => stringOf(buf, n));

/** The first node, in any subgraph at any depth, that reads `name` (an outer-scope value). */
function readInSubgraph(buf: Uint8Array, node: readonly Field[], name: string, label: string, depth: number): Field[] | null {
  if (depth > MAX_DEPTH) throw new ModelFolderError('malformed-file', label, `${label}: subgraphs nest deeper than ${MAX_DEPTH} levels`);
  for (const graph of subgraphs(buf, node, label)) {
    for (const n of graph) {
      if (n.no !== GRAPH.node) continue;
      const inner = fieldsOf(buf, n, label);
      if (inputsOf(buf, inner).includes(name)) return inner;
      const deeper = readInSubgraph(buf, inner, name, label, depth + 1);
      if (deeper) return deeper;
    }
  }
  return null;
}

/** `Cast(to = FLOAT)` in the default domain, or why not. */
function castToFloat(buf: Uint8Array, node: readonly Field[], label: string): string | null {
  const op = nameOf(buf, node, NODE.opType);
  const domain = nameOf(buf, node, NODE.domain);
  if (op !== 'Cast' || !isDefaultDomain(domain)) return domain && !isDefaultDomain(domain) ? `${domain}.${op}` : op;
  const to = node
    .filter((n) => n.no === NODE.attribute)
    .map((a) => fieldsOf(buf, a, label))
    .filter((a) => nameOf(buf, a, ATTRIBUTE.name) === 'to')
    .pop();
  const code = to && last(to, ATTRIBUTE.i)?.varint;
  return code === FLOAT ? null : `Cast (to ${code === undefined ? 'nothing' : dataTypeName(code)})`;
}

export function rewriteInputToFloat32(model: Uint8Array, input: string, label: string): Uint8Array {
  const { top, graphs, members } = modelFields(model, label);
  const cannot = (why: string) => new ModelFolderError('unsupported-model', label, `${label}: input "${input}" ${why}: cannot rewrite it to float32`);

  const named = (no: number) => members.filter((f) => f.no === no && valueInfo(model, f, label).name === input);
  const targets = named(GRAPH.input);
  if (targets.length === 0) throw new ModelFolderError('unsupported-model', label, `${label}: has no input "${input}" to rewrite to float32`);
  if (targets.length > 1) throw new ModelFolderError('malformed-file', label, `${label}: declares input "${input}" ${targets.length} times`);
  const dtype = valueInfo(model, targets[0], label).dtype;
  if (dtype !== 'float64') throw cannot(`is ${dtype}, not float64`);
  const isInitializer = members.some((f) => f.no === GRAPH.initializer && nameOf(model, fieldsOf(model, f, label), TENSOR.name) === input);
  if (isInitializer) throw cannot('has an initializer (a float64 default value)');
  if (named(GRAPH.output).length > 0) throw cannot('is also a graph output');

  // field start → its replacement bytes (field starts are unique within the file).
  const replace = new Map<number, Uint8Array>();
  replace.set(targets[0].start, floatValueInfo(model, targets[0], GRAPH.input, label));
  for (const vi of named(GRAPH.valueInfo)) replace.set(vi.start, floatValueInfo(model, vi, GRAPH.valueInfo, label));
  for (const f of members) {
    if (f.no !== GRAPH.node) continue;
    const node = fieldsOf(model, f, label);
    const inner = readInSubgraph(model, node, input, label, 0);
    if (inner)
      throw cannot(
        `is read inside a subgraph of ${nameOf(model, node, NODE.opType)} "${nameOf(model, node, NODE.name)}" (by ${nameOf(model, inner, NODE.opType)} "${nameOf(model, inner, NODE.name)}")`,
      );
    if (!inputsOf(model, node).includes(input)) continue;
    const not = castToFloat(model, node, label);
    if (not !== null) throw cannot(`feeds ${not} "${nameOf(model, node, NODE.name)}", not a Cast to float`);
    // Cast(to=FLOAT) of a float is the identity: same inputs, outputs, name; no attributes.
    const identity = node.filter((n) => n.no !== NODE.attribute).map((n) => (n.no === NODE.opType ? stringField(NODE.opType, 'Identity') : bytesOf(model, n)));
    replace.set(f.start, lenField(GRAPH.node, identity));
  }

  // Views of the untouched fields and the few new ones go straight into the one output buffer.
  const chunks = top.flatMap((f) => {
    if (!graphs.includes(f)) return [bytesOf(model, f)];
    const parts = fieldsOf(model, f, label).map((g) => replace.get(g.start) ?? bytesOf(model, g));
    return [lenHeader(MODEL.graph, byteLength(parts)), ...parts];
  });
  return concat(chunks);
}
