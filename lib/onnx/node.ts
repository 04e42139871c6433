/** onnxruntime-node session factory for the CLI, tests and benchmarks (CPU). */
import * as ort from 'onnxruntime-node';
import type { SessionFactory } from './types';
import { runtimeError } from './runtime-errors';
import { wrapSession } from './wrap-session';

export function createNodeSessionFactory(opts: { intraOpNumThreads?: number } = {}): SessionFactory {
  return {
    backend: 'cpu',
    async create(model, label) {
      try {
        const session = await ort.InferenceSession.create(model, {
          executionProviders: ['cpu'],
          graphOptimizationLevel: 'all',
          ...(opts.intraOpNumThreads !== undefined ? { intraOpNumThreads: opts.intraOpNumThreads } : {}),
        });
        return wrapSession(ort, session, label);
      } catch (err) {
        throw runtimeError(label, 'onnxruntime-node could not load the model', err);
      }
    },
  };
}
