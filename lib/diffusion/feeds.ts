/** Building model inputs in the shapes and dtypes a session declares (read, never assumed). */
import type { Feed, ModelSession } from '../onnx/types';
import { inputInfo } from '../onnx/types';
import { numel, tensor } from '../tensor/tensor';

/** A scalar-valued input (timestep, conditioning_scale) as scalar, [1] or [batch], in the declared dtype. */
export function scalarFeed(session: ModelSession, name: string, value: number, batch: number): Feed {
  const info = inputInfo(session, name);
  const shape = info.shape;
  const dims = shape.length === 0 ? [] : [typeof shape[0] === 'number' ? shape[0] : batch];
  const values = new Array(numel(dims)).fill(value);
  return info.type === 'int64' || info.type === 'int32' ? { kind: 'int', dims, values } : { kind: 'float', tensor: tensor(dims, Float32Array.from(values)) };
}

/** A declared dimension when it is a fixed number, else the fallback (symbolic dims). */
export function declaredDim(session: ModelSession, input: string, axis: number, fallback: number): number {
  const d = inputInfo(session, input).shape[axis];
  return typeof d === 'number' && d > 0 ? d : fallback;
}
