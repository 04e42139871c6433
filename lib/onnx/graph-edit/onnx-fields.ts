/** Field numbers and enums of onnx.proto (onnx/onnx, IR version 10) that Lantern reads or edits. */
export const MODEL = { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8 } as const;
export const OPSET = { domain: 1, version: 2 } as const;
export const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12, valueInfo: 13 } as const;
export const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
/** AttributeProto: `g` holds one subgraph (If), `graphs` several. */
export const ATTRIBUTE = { name: 1, i: 3, g: 6, graphs: 11 } as const;
/** AttributeProto's value fields and AttributeType codes, for writing (graph-build). */
export const ATTRIBUTE_VALUE = { name: 1, f: 2, i: 3, t: 5, floats: 7, ints: 8, type: 20 } as const;
export const ATTRIBUTE_TYPE = { float: 1, int: 2, tensor: 4, floats: 6, ints: 7 } as const;
export const VALUE_INFO = { name: 1, type: 2 } as const;
export const TYPE = { tensorType: 1 } as const;
export const TENSOR_TYPE = { elemType: 1, shape: 2 } as const;
export const SHAPE = { dim: 1 } as const;
export const DIM = { value: 1, param: 2 } as const;
export const TENSOR = { name: 8, externalData: 13, dataLocation: 14 } as const;
/** TensorProto's fields for writing inline data (graph-build). */
export const TENSOR_DATA = { dims: 1, dataType: 2, floatData: 4, int64Data: 7, name: 8 } as const;
export const ENTRY = { key: 1, value: 2 } as const;
export const DATA_LOCATION_EXTERNAL = 1;

export const DATA_TYPES = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
} as const;
export type OnnxDataType = (typeof DATA_TYPES)[keyof typeof DATA_TYPES] | 'other';
export const FLOAT = 1;
export const DOUBLE = 11;

export function dataTypeName(code: number): OnnxDataType {
  return (DATA_TYPES as Record<number, OnnxDataType>)[code] ?? 'other';
}

/** The default operator domain, however it is spelled. */
export const isDefaultDomain = (domain: string): boolean => domain === '' || domain === 'ai.onnx';
