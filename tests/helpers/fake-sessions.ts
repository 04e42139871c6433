/**
 * Fake ONNX sessions with the tensor names of a real SD export, computing simple known
 * functions, so the pipeline and the worker handler can be tested without onnxruntime.
 */
import type { Feed, ModelSession, SessionFactory } from '@/lib/onnx/types';
import { tensor, type Tensor } from '@/lib/tensor/tensor';

const HIDDEN = 8;

function floatOf(feed: Feed): Tensor {
  if (feed.kind !== 'float') throw new Error('expected a float feed');
  return feed.tensor;
}

function session(
  label: string,
  inputs: ModelSession['inputs'],
  outputs: string[],
  fn: (f: Record<string, Feed>) => Record<string, Tensor>,
  log: string[],
): ModelSession {
  return {
    label,
    inputs,
    outputs: outputs.map((name) => ({ name, type: 'float32', shape: [] })),
    async run(feeds) {
      log.push(label);
      // Resolve through microtasks only, like onnxruntime-web's wasm backend: the pipeline
      // itself must yield to the event loop for a cancel message to get in.
      await Promise.resolve();
      return fn(feeds);
    },
    async release() {},
  };
}

export interface FakeFactory extends SessionFactory {
  runs: string[];
}

export function fakeSessionFactory(opts: { timestepType?: 'int64' | 'float32' } = {}): FakeFactory {
  const runs: string[] = [];
  return {
    backend: 'wasm',
    externalDataBy: 'bytes',
    runsFloat64: true,
    runs,
    async create({ label }) {
      const part = label.split('/')[0];
      if (part === 'text_encoder') {
        return session(
          label,
          [{ name: 'input_ids', type: 'int64', shape: ['batch', 77] }],
          ['last_hidden_state'],
          (f) => {
            const ids = f.input_ids;
            if (ids.kind !== 'int') throw new Error('input_ids must be int');
            const out = new Float32Array(77 * HIDDEN);
            for (let i = 0; i < out.length; i++) out[i] = (Number(ids.values[Math.floor(i / HIDDEN)]) % 97) / 97;
            return { last_hidden_state: tensor([1, 77, HIDDEN], out) };
          },
          runs,
        );
      }
      if (part === 'unet') {
        return session(
          label,
          [
            { name: 'sample', type: 'float32', shape: ['batch', 4, 'h', 'w'] },
            { name: 'timestep', type: opts.timestepType ?? 'int64', shape: [1] },
            { name: 'encoder_hidden_states', type: 'float32', shape: ['batch', 77, HIDDEN] },
          ],
          ['out_sample'],
          (f) => {
            const x = floatOf(f.sample);
            const e = floatOf(f.encoder_hidden_states);
            const t = f.timestep.kind === 'int' ? Number(f.timestep.values[0]) : floatOf(f.timestep).data[0];
            const batch = x.dims[0];
            const per = x.data.length / batch;
            const perE = e.data.length / batch;
            const out = new Float32Array(x.data.length);
            for (let b = 0; b < batch; b++) {
              const textMean = e.data.subarray(b * perE, (b + 1) * perE).reduce((a, v) => a + v, 0) / perE;
              for (let i = 0; i < per; i++) out[b * per + i] = 0.1 * x.data[b * per + i] + textMean + t / 10000;
            }
            return { out_sample: tensor(x.dims, out) };
          },
          runs,
        );
      }
      if (part === 'vae_decoder') {
        return session(
          label,
          [{ name: 'latent_sample', type: 'float32', shape: ['batch', 4, 'h', 'w'] }],
          ['sample'],
          (f) => {
            const z = floatOf(f.latent_sample);
            const [, , h, w] = z.dims;
            const H = h * 8;
            const W = w * 8;
            const out = new Float32Array(3 * H * W);
            for (let c = 0; c < 3; c++)
              for (let y = 0; y < H; y++)
                for (let x = 0; x < W; x++) out[c * H * W + y * W + x] = Math.tanh(z.data[c * h * w + Math.floor(y / 8) * w + Math.floor(x / 8)]);
            return { sample: tensor([1, 3, H, W], out) };
          },
          runs,
        );
      }
      if (part === 'vae_encoder') {
        return session(
          label,
          [{ name: 'sample', type: 'float32', shape: ['batch', 3, 'H', 'W'] }],
          ['latent_sample'],
          (f) => {
            // 8×8 average of the RGB mean into 4 identical channels
            const x = floatOf(f.sample);
            const [, , H, W] = x.dims;
            const h = H / 8;
            const w = W / 8;
            const out = new Float32Array(4 * h * w);
            for (let c = 0; c < 3; c++)
              for (let y = 0; y < H; y++)
                for (let xx = 0; xx < W; xx++) out[Math.floor(y / 8) * w + Math.floor(xx / 8)] += x.data[c * H * W + y * W + xx] / 192;
            for (let c = 1; c < 4; c++) out.copyWithin(c * h * w, 0, h * w);
            return { latent_sample: tensor([1, 4, h, w], out) };
          },
          runs,
        );
      }
      throw new Error(`fake factory: no fake for ${label}`);
    },
  };
}
