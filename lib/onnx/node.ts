/** onnxruntime-node session factory for the CLI, tests and benchmarks (CPU). */
import * as ort from 'onnxruntime-node';
import { runtimeError } from './runtime-errors';
import { createTransferMeter } from './transfer-meter';
import type { ExternalData, SessionFactory } from './types';
import { wrapSession } from './wrap-session';

function bytesOf(label: string, e: ExternalData): Uint8Array {
  if ('data' in e) return e.data;
  throw new Error(`${label}: onnxruntime-node cannot read external data "${e.path}" from a URL or Blob; the loader must pass its bytes or a path`);
}

export function createNodeSessionFactory(opts: { intraOpNumThreads?: number } = {}): SessionFactory {
  const transfers = createTransferMeter();
  return {
    transfers,
    backend: 'cpu',
    // Opening the graph by path lets onnxruntime read (mmap) the weights itself: no copy in JS.
    externalDataBy: 'local-path',
    runsFloat64: true,
    async create({ label, model, localPath, externalData = [] }) {
      const options: ort.InferenceSession.SessionOptions = {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        ...(opts.intraOpNumThreads !== undefined ? { intraOpNumThreads: opts.intraOpNumThreads } : {}),
      };
      try {
        const byPath = externalData.some((e) => 'localPath' in e);
        if (byPath && !localPath) throw new Error('external data given by path, but the graph has no local path');
        const session = byPath
          ? await ort.InferenceSession.create(localPath!, options)
          : await ort.InferenceSession.create(model, {
              ...options,
              ...(externalData.length > 0 && { externalData: externalData.map((e) => ({ path: e.path, data: bytesOf(label, e) })) }),
            });
        return wrapSession(ort, session, label, transfers);
      } catch (err) {
        throw runtimeError(label, 'onnxruntime-node could not load the model', err);
      }
    },
  };
}
