/**
 * Host-side tensors of the engine. Everything between the ONNX seam and the UI is
 * float32 in row-major order; `lib/onnx` converts to the dtypes a session wants.
 */
export interface Tensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

export function numel(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function tensor(dims: readonly number[], data?: Float32Array): Tensor {
  const n = numel(dims);
  if (data && data.length !== n) {
    throw new Error(`tensor: data has ${data.length} elements, dims [${dims.join(',')}] need ${n}`);
  }
  return { dims: [...dims], data: data ?? new Float32Array(n) };
}
