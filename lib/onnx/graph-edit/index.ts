export { readGraphSummary, type ExternalRef, type GraphSummary, type GraphValue } from './summary';
export { rewriteInputToFloat32 } from './rewrite-input';
export type { OnnxDataType } from './onnx-fields';
export { chunkLocation, splitExternalData, type ExternalChunk, type SplitExternalData, type SplitOptions } from './split-external-data';
