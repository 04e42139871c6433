/** The U-Net graph alone on onnxruntime-node (CPU), with the captured feeds: the runtime's own speed on this machine. */
import * as ort from 'onnxruntime-node';
import type { RawFeed } from './unet-feeds';

export interface TimedUnet {
  /** `n` runs, each one's wall time in ms. */
  run(n: number): Promise<number[]>;
  release(): Promise<void>;
}

/** Session options as lib/onnx/node.ts opens the studio's graphs, with the web's thread count. */
export async function openNodeUnet(graphPath: string, feeds: readonly RawFeed[], threads: number): Promise<TimedUnet> {
  const session = await ort.InferenceSession.create(graphPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads });
  const tensors = Object.fromEntries(feeds.map((f) => [f.name, new ort.Tensor(f.type, f.data, f.dims)]));
  return {
    async run(n) {
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const start = performance.now();
        const out = await session.run(tensors);
        for (const t of Object.values(out)) void t.data;
        times.push(performance.now() - start);
      }
      return times;
    },
    release: () => session.release(),
  };
}
