/**
 * Writes small ONNX models from a plain description, with protobufjs's Writer (the field
 * numbers are onnx.proto's, shared with graph-edit). Lantern builds its helper graphs at run
 * time — CFG + scheduler step, input scaling, concat, cast — so they run where the U-Net's
 * tensors already are (the GPU on WebGPU) instead of bringing every tensor back to JS.
 */
import protobuf from 'protobufjs/minimal.js';
import { ATTRIBUTE_TYPE, ATTRIBUTE_VALUE, GRAPH, MODEL, NODE, OPSET, SHAPE, TENSOR_DATA, TENSOR_TYPE, TYPE, VALUE_INFO, DIM } from '../graph-edit/onnx-fields';
import type { ElementType } from '../types';

const { Writer } = protobuf;

/** onnx.proto's TensorProto.DataType codes for the types helper graphs use. */
const TYPE_CODE: Record<BuildType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 };

/** What a helper graph's values may be: the engine's element types, plus bytes (previews) and masks. */
export type BuildType = ElementType | 'uint8' | 'bool';

export interface ValueSpec {
  name: string;
  type: BuildType;
  /** Numbers are fixed dims, strings symbolic ones. */
  shape: ReadonlyArray<number | string>;
}

export type AttributeValue = number | readonly number[] | { float: number } | { floats: readonly number[] } | { tensor: ConstantSpec };

export interface NodeSpec {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Readonly<Record<string, AttributeValue>>;
}

/** An initializer or a Constant's value; int64 data is given as numbers. */
export interface ConstantSpec {
  name?: string;
  type: 'float32' | 'int64';
  dims: readonly number[];
  values: readonly number[];
}

export interface GraphSpec {
  name: string;
  inputs: readonly ValueSpec[];
  outputs: readonly ValueSpec[];
  nodes: readonly NodeSpec[];
  initializers?: readonly ConstantSpec[];
}

/** Opset 17: every op the helpers use (ReduceMean with axes as an attribute, Split with a `split` input) is stable there and in onnxruntime-web's WebGPU EP. */
export const HELPER_OPSET = 17;
const IR_VERSION = 8;

type W = protobuf.Writer;

function message(w: W, field: number, body: (w: W) => void): void {
  w.uint32((field << 3) | 2).fork();
  body(w);
  w.ldelim();
}

function tensorProto(w: W, t: ConstantSpec): void {
  for (const d of t.dims) w.uint32((TENSOR_DATA.dims << 3) | 0).int64(d);
  w.uint32((TENSOR_DATA.dataType << 3) | 0).int32(TYPE_CODE[t.type]);
  if (t.name) w.uint32((TENSOR_DATA.name << 3) | 2).string(t.name);
  if (t.type === 'float32') {
    w.uint32((TENSOR_DATA.floatData << 3) | 2).fork();
    for (const v of t.values) w.float(v);
    w.ldelim();
  } else {
    w.uint32((TENSOR_DATA.int64Data << 3) | 2).fork();
    for (const v of t.values) w.int64(v);
    w.ldelim();
  }
}

function valueInfo(w: W, field: number, v: ValueSpec): void {
  message(w, field, (w) => {
    w.uint32((VALUE_INFO.name << 3) | 2).string(v.name);
    message(w, VALUE_INFO.type, (w) =>
      message(w, TYPE.tensorType, (w) => {
        w.uint32((TENSOR_TYPE.elemType << 3) | 0).int32(TYPE_CODE[v.type]);
        message(w, TENSOR_TYPE.shape, (w) => {
          for (const d of v.shape) {
            message(w, SHAPE.dim, (w) => {
              if (typeof d === 'number') w.uint32((DIM.value << 3) | 0).int64(d);
              else w.uint32((DIM.param << 3) | 2).string(d);
            });
          }
        });
      }),
    );
  });
}

const isInts = (v: AttributeValue): v is readonly number[] => Array.isArray(v);

function attribute(w: W, name: string, value: AttributeValue): void {
  message(w, NODE.attribute, (w) => {
    w.uint32((ATTRIBUTE_VALUE.name << 3) | 2).string(name);
    if (typeof value === 'number') {
      if (!Number.isInteger(value)) throw new Error(`attribute "${name}": ${value} is not an integer (write { float: ${value} })`);
      w.uint32((ATTRIBUTE_VALUE.i << 3) | 0).int64(value);
      w.uint32((ATTRIBUTE_VALUE.type << 3) | 0).int32(ATTRIBUTE_TYPE.int);
    } else if (isInts(value)) {
      w.uint32((ATTRIBUTE_VALUE.ints << 3) | 2).fork();
      for (const v of value) w.int64(v);
      w.ldelim();
      w.uint32((ATTRIBUTE_VALUE.type << 3) | 0).int32(ATTRIBUTE_TYPE.ints);
    } else if ('float' in value) {
      w.uint32((ATTRIBUTE_VALUE.f << 3) | 5).float(value.float);
      w.uint32((ATTRIBUTE_VALUE.type << 3) | 0).int32(ATTRIBUTE_TYPE.float);
    } else if ('floats' in value) {
      w.uint32((ATTRIBUTE_VALUE.floats << 3) | 2).fork();
      for (const v of value.floats) w.float(v);
      w.ldelim();
      w.uint32((ATTRIBUTE_VALUE.type << 3) | 0).int32(ATTRIBUTE_TYPE.floats);
    } else {
      message(w, ATTRIBUTE_VALUE.t, (w) => tensorProto(w, value.tensor));
      w.uint32((ATTRIBUTE_VALUE.type << 3) | 0).int32(ATTRIBUTE_TYPE.tensor);
    }
  });
}

/** The ModelProto bytes of `spec`, ready for InferenceSession.create. */
export function buildModel(spec: GraphSpec): Uint8Array {
  const w = Writer.create();
  w.uint32((MODEL.irVersion << 3) | 0).int64(IR_VERSION);
  w.uint32((MODEL.producerName << 3) | 2).string('lantern');
  message(w, MODEL.graph, (w) => {
    spec.nodes.forEach((n, i) =>
      message(w, GRAPH.node, (w) => {
        for (const input of n.inputs) w.uint32((NODE.input << 3) | 2).string(input);
        for (const output of n.outputs) w.uint32((NODE.output << 3) | 2).string(output);
        w.uint32((NODE.name << 3) | 2).string(`${n.op}_${i}`);
        w.uint32((NODE.opType << 3) | 2).string(n.op);
        for (const [name, value] of Object.entries(n.attributes ?? {})) attribute(w, name, value);
      }),
    );
    w.uint32((GRAPH.name << 3) | 2).string(spec.name);
    for (const init of spec.initializers ?? []) message(w, GRAPH.initializer, (w) => tensorProto(w, init));
    for (const v of spec.inputs) valueInfo(w, GRAPH.input, v);
    for (const v of spec.outputs) valueInfo(w, GRAPH.output, v);
  });
  message(w, MODEL.opsetImport, (w) => {
    w.uint32((OPSET.domain << 3) | 2).string('');
    w.uint32((OPSET.version << 3) | 0).int64(HELPER_OPSET);
  });
  return w.finish();
}
