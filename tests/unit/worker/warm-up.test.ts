/**
 * The warm-up after a load (one discarded generate, so the first real one runs at warm speed)
 * and the previews made as ImageBitmaps in the worker.
 */
import { describe, expect, it } from 'vitest';
import { DiffusionWorkerHandler, warmupParams, type HandlerDeps } from '@/lib/worker/handler';
import type { WorkerEvent, WorkerRequest } from '@/lib/worker/protocol';
import type { GenerateParams } from '@/lib/diffusion/check-inputs';
import type { SessionFactory } from '@/lib/onnx/types';
import { createNodeSessionFactory } from '@/lib/onnx/node';
import { fakeSessionFactory, type FakeFactory } from '../../helpers/fake-sessions';
import { dirSource } from '../../helpers/dir-source';

const TINY = { kind: 'url', baseUrl: 'models/fixtures/tiny-sd' } as const;
const CONTROLNET = { kind: 'url', baseUrl: 'models/fixtures/tiny-sd-controlnet-onnxweb' } as const;
const PARAMS: GenerateParams = {
  prompt: 'a red circle',
  negativePrompt: '',
  seed: 42,
  steps: 4,
  guidanceScale: 7.5,
  guidanceRescale: 0,
  scheduler: 'ddim',
  width: 16,
  height: 16,
};

interface FakeBitmap {
  width: number;
  height: number;
  closed: boolean;
  close(): void;
}

function setup(
  opts: { factory?: FakeFactory | SessionFactory; deps?: Partial<HandlerDeps>; onEvent?: (e: WorkerEvent, h: DiffusionWorkerHandler) => void } = {},
) {
  const events: WorkerEvent[] = [];
  const factory = opts.factory ?? fakeSessionFactory();
  const bitmaps: FakeBitmap[] = [];
  const handler: DiffusionWorkerHandler = new DiffusionWorkerHandler(
    {
      openBackend: async () => ({ factory, reason: 'fake' }),
      source: (spec) => {
        if (spec.kind !== 'url') throw new Error(`url sources only, not ${spec.kind}`);
        return dirSource(spec.baseUrl);
      },
      now: () => performance.now(),
      warmUp: true,
      previewBitmap: async (_rgba, width, height) => {
        const b: FakeBitmap = {
          width,
          height,
          closed: false,
          close() {
            this.closed = true;
          },
        };
        bitmaps.push(b);
        return b as unknown as ImageBitmap;
      },
      ...opts.deps,
    },
    (e) => {
      events.push(e);
      opts.onEvent?.(e, handler);
    },
  );
  return { handler, events, factory, bitmaps };
}

/** onnxruntime-node on the real fixture graphs (ControlNet, low-memory mode's part checks), counting runs per part. */
function countingNodeFactory(): FakeFactory {
  const base = createNodeSessionFactory({ intraOpNumThreads: 1 });
  const runs: string[] = [];
  return {
    ...base,
    runs,
    async create(files) {
      const s = await base.create(files);
      return { ...s, run: (feeds, names) => (runs.push(s.label), s.run(feeds, names)) };
    },
  };
}

const of = <T extends WorkerEvent['type']>(events: WorkerEvent[], type: T) => events.filter((e): e is Extract<WorkerEvent, { type: T }> => e.type === type);
const load = (id = 'a', source: WorkerRequest & { type: 'load-model' } = { id, type: 'load-model', source: TINY, backend: 'auto' }) => source;

describe('warm-up at model load', () => {
  it('runs one discarded step through every part at the recommended size with CFG before model-ready, and says so', async () => {
    const gpu: FakeFactory = { ...fakeSessionFactory(), backend: 'webgpu' };
    const { handler, events } = setup({ factory: gpu });
    await handler.handle(load());
    // tiny-sd's lantern.json: 64×64, guidance 7.5 (CFG: uncond + cond), its DDIM scheduler.
    expect(of(events, 'warming-up')).toEqual([{ id: 'a', type: 'warming-up', steps: 1, width: 64, height: 64 }]);
    const types = events.map((e) => e.type);
    expect(types.indexOf('warming-up')).toBeGreaterThan(types.lastIndexOf('load-progress'));
    expect(types.at(-1)).toBe('model-ready');
    // Nothing of the warm-up reaches the page but its status: no progress, preview or result.
    expect(types.filter((t) => t === 'progress' || t === 'preview' || t === 'result')).toEqual([]);
    // On WebGPU one pass does it (its shaders are compiled on the first run).
    expect(gpu.runs.filter((r) => r.startsWith('unet'))).toHaveLength(1);
    expect(gpu.runs.filter((r) => r.startsWith('text_encoder'))).toHaveLength(2);
    expect(gpu.runs.filter((r) => r.startsWith('vae_decoder'))).toHaveLength(1);
    const [ready] = of(events, 'model-ready');
    expect(ready.info.warmupMs).toEqual(expect.any(Number));
    expect(ready.info.warnings).toEqual([]);
  });

  it('on wasm, quick steps go on for a moment more (V8 optimises the runtime on its first runs); slow ones do not', async () => {
    const quick = setup();
    await quick.handler.handle(load());
    const unetRuns = (quick.factory as FakeFactory).runs.filter((r) => r.startsWith('unet')).length;
    // The whole pass, then up to 12 U-Net steps (fake sessions are instant: all of them).
    expect(unetRuns).toBeGreaterThan(1);
    expect(unetRuns).toBeLessThanOrEqual(13);
    expect(of(quick.events, 'model-ready')[0].info.warmupMs).toEqual(expect.any(Number));
    // A clock on which each step takes seconds: one pass only.
    let clock = 0;
    const slow = setup({ deps: { now: () => (clock += 2000) } });
    await slow.handler.handle(load());
    expect((slow.factory as FakeFactory).runs.filter((r) => r.startsWith('unet'))).toHaveLength(1);
  });

  it('warms a ControlNet model’s ControlNet too', async () => {
    const { handler, events, factory } = setup({ factory: countingNodeFactory() });
    await handler.handle(load('a', { id: 'a', type: 'load-model', source: CONTROLNET, backend: 'auto' }));
    expect(of(events, 'model-ready')[0].info.hasControlNet).toBe(true);
    // onnxruntime-node (backend cpu): the one pass through every part.
    expect((factory as FakeFactory).runs.filter((r) => r.startsWith('controlnet'))).toHaveLength(1);
  });

  it('a failed warm-up does not fail the load: a model warning, and the next generate runs', async () => {
    const base = fakeSessionFactory();
    let failures = 1;
    const factory: SessionFactory = {
      ...base,
      async create(files) {
        const s = await base.create(files);
        if (!files.label.startsWith('unet/')) return s;
        return { ...s, run: (feeds, names) => (failures-- > 0 ? Promise.reject(new Error('kernel exploded')) : s.run(feeds, names)) };
      },
    };
    const { handler, events } = setup({ factory });
    await handler.handle(load());
    const [ready] = of(events, 'model-ready');
    expect(of(events, 'error')).toEqual([]);
    expect(ready.info.warmupMs).toBeNull();
    expect(ready.info.warnings).toEqual(['the warm-up run (at 64×64) failed, so the first generate may be slower: kernel exploded']);
    await handler.handle({ id: 'g', type: 'generate', params: PARAMS, previews: false });
    expect(of(events, 'result').map((e) => e.id)).toEqual(['g']);
  });

  it('a cancel of the load during the warm-up cuts it short: model-ready, no warning; a load meanwhile is refused as busy; the model is usable', async () => {
    const inbox = new MessageChannel();
    inbox.port1.onmessage = (m: MessageEvent<WorkerRequest>) => void handlerRef.handle(m.data);
    const { handler, events } = setup({
      onEvent: (e) => {
        if (e.type !== 'warming-up') return;
        inbox.port2.postMessage(load('b'));
        inbox.port2.postMessage({ id: 'c', type: 'cancel', target: 'a' });
      },
    });
    const handlerRef = handler;
    await handler.handle(load());
    const [ready] = of(events, 'model-ready');
    expect(ready.id).toBe('a');
    expect(ready.info.warmupMs).toBeNull();
    expect(ready.info.warnings).toEqual([]);
    expect(of(events, 'cancelled')).toEqual([]);
    expect(of(events, 'error')).toEqual([expect.objectContaining({ id: 'b', code: 'busy' })]);
    // The model loaded: a generate and a new load both work.
    await handler.handle({ id: 'g', type: 'generate', params: PARAMS, previews: false });
    expect(of(events, 'result').map((e) => e.id)).toEqual(['g']);
    inbox.port1.close();
  });

  it('a backend that says a warm-up does not pay (WebGPU on SwiftShader) skips it', async () => {
    const factory = fakeSessionFactory();
    const { handler, events } = setup({ factory, deps: { openBackend: async () => ({ factory, reason: 'WebGPU on google swiftshader', warmUp: false }) } });
    await handler.handle(load());
    expect(of(events, 'warming-up')).toEqual([]);
    expect(of(events, 'model-ready')[0].info.warmupMs).toBeNull();
    expect(factory.runs).toEqual([]);
  });

  it('low-memory mode and a handler without warmUp skip it', async () => {
    for (const [deps, lowMemory] of [
      [{}, true],
      [{ warmUp: false }, false],
    ] as const) {
      const { handler, events, factory } = setup({ deps, factory: countingNodeFactory() });
      await handler.handle({ id: 'a', type: 'load-model', source: TINY, backend: 'auto', lowMemory });
      expect(of(events, 'warming-up')).toEqual([]);
      expect(of(events, 'model-ready')[0].info.warmupMs).toBeNull();
      expect((factory as FakeFactory).runs).toEqual([]);
    }
  });
});

describe('warmupParams', () => {
  const limits = { ddim: { min: 1, max: 999 }, pndm: { min: 3, max: 999 } };
  it('takes the recommended size, guidance and sampler, with one step or the sampler’s least', () => {
    expect(warmupParams({ recommended: { width: 512, height: 768, guidance: 1, scheduler: 'pndm' }, stepLimits: limits })).toMatchObject({
      steps: 3,
      width: 512,
      height: 768,
      guidanceScale: 1,
      scheduler: 'pndm',
    });
  });
  it('repairs what lantern.json got wrong as the studio does (defaults for the unusable, clamped numbers)', () => {
    const junk = { width: 'abc', height: 70, guidance: Number.NaN, scheduler: 'nope' } as unknown as Parameters<typeof warmupParams>[0]['recommended'];
    expect(warmupParams({ recommended: { scheduler: 'ddim' }, stepLimits: limits }).steps).toBe(1);
    expect(warmupParams({ recommended: junk, stepLimits: limits })).toMatchObject({
      steps: 1,
      width: 64,
      height: 72,
      guidanceScale: 7.5,
      scheduler: 'default',
    });
  });
});

describe('previews as ImageBitmaps', () => {
  it('posts one bitmap per step, none after the result', async () => {
    const { handler, events, bitmaps } = setup({ deps: { warmUp: false } });
    await handler.handle(load());
    await handler.handle({ id: 'g', type: 'generate', params: PARAMS, previews: true });
    const previews = of(events, 'preview');
    expect(previews.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect(previews.every((p) => p.bitmap === (bitmaps[p.step - 1] as unknown as ImageBitmap) && p.width === 2 && p.height === 2)).toBe(true);
    const types = events.filter((e) => e.id === 'g').map((e) => e.type);
    expect(types.lastIndexOf('preview')).toBeLessThan(types.indexOf('result'));
  });

  it('skips previews while one is being made, and closes one that is ready after its run ended', async () => {
    const pending: Array<() => void> = [];
    const made: FakeBitmap[] = [];
    const { handler, events } = setup({
      deps: {
        warmUp: false,
        previewBitmap: (_rgba, width, height) =>
          new Promise<ImageBitmap>((resolve) => {
            const b: FakeBitmap = {
              width,
              height,
              closed: false,
              close() {
                this.closed = true;
              },
            };
            made.push(b);
            pending.push(() => resolve(b as unknown as ImageBitmap));
          }),
      },
    });
    await handler.handle(load());
    await handler.handle({ id: 'g', type: 'generate', params: PARAMS, previews: true });
    // The first preview was never ready during the run: the other three steps were skipped.
    expect(made).toHaveLength(1);
    for (const resolve of pending) resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(of(events, 'preview')).toEqual([]);
    expect(made[0].closed).toBe(true);
  });

  it('a failed decode skips the preview; the run goes on', async () => {
    const { handler, events } = setup({ deps: { warmUp: false, previewBitmap: () => Promise.reject(new Error('no bitmaps here')) } });
    await handler.handle(load());
    await handler.handle({ id: 'g', type: 'generate', params: PARAMS, previews: true });
    expect(of(events, 'preview')).toEqual([]);
    expect(of(events, 'result')).toHaveLength(1);
  });
});
