/**
 * A lost WebGPU device: the handler reloads the same model from the same source on a newly
 * opened backend and retries the run once; a second loss is reported as `device-lost`. Out of
 * memory carries suggestions computed from the run's size, mode and backend.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DiffusionWorkerHandler, oomSuggestions, type HandlerDeps } from '@/lib/worker/handler';
import type { ModelSourceSpec, WorkerEvent } from '@/lib/worker/protocol';
import type { GenerateParams } from '@/lib/diffusion/check-inputs';
import { DeviceLostError, OutOfMemoryError } from '@/lib/errors';
import { uncaughtRuntimeError } from '@/lib/onnx/runtime-errors';
import type { DeviceLoss, ModelSession, SessionFactory } from '@/lib/onnx/types';
import { fakeSessionFactory } from '../../helpers/fake-sessions';
import { dirSource } from '../../helpers/dir-source';

const PARAMS: GenerateParams = {
  prompt: 'a red circle',
  negativePrompt: '',
  seed: 42,
  steps: 2,
  guidanceScale: 7.5,
  guidanceRescale: 0,
  scheduler: 'ddim',
  width: 16,
  height: 16,
};

/** A downloaded snapshot: the worker reads it from OPFS (here: the fixture folder), never the network. */
const CACHED: ModelSourceSpec = { kind: 'cache', key: 'hub/tiny-sd@main', label: 'tiny-sd (cached)' };

type Fault = (label: string) => Error | null;
/** A run that never settles, as when the runtime dies in a callback nothing awaits. */
const HANG = new Error('hang');

/**
 * A backend whose U-Net runs fail as `fault` says, counting sessions created, and whose device
 * can be lost between runs (`loseDevice`), as a WebGPU factory reports through onDeviceLost.
 */
function faultyBackend(fault: Fault, backend: SessionFactory['backend'] = 'webgpu') {
  const counts = { backendOpens: 0, sessionsCreated: 0, sourceOpens: 0 };
  const listeners = new Set<(loss: DeviceLoss) => void>();
  const open = (): SessionFactory => {
    const base = fakeSessionFactory();
    return {
      ...base,
      backend,
      async create(files) {
        counts.sessionsCreated++;
        const s = await base.create(files);
        const run: ModelSession['run'] = async (feeds, names) => {
          const err = fault(s.label);
          if (err === HANG) return new Promise<never>(() => {});
          if (err) throw err;
          return s.run(feeds, names);
        };
        return { ...s, run };
      },
      onDeviceLost(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
  };
  const deps: HandlerDeps = {
    openBackend: async () => {
      counts.backendOpens++;
      return { factory: open(), reason: 'fake' };
    },
    source: (spec) => {
      counts.sourceOpens++;
      expect(spec).toEqual(CACHED);
      return dirSource('models/fixtures/tiny-sd');
    },
    now: () => 0,
  };
  const loseDevice = () => {
    for (const l of [...listeners]) l({ reason: 'unknown', message: 'GPU reset' });
  };
  return { deps, counts, loseDevice };
}

function harness(fault: Fault, backend?: SessionFactory['backend']) {
  const events: WorkerEvent[] = [];
  const b = faultyBackend(fault, backend);
  const handler = new DiffusionWorkerHandler(b.deps, (e) => events.push(e));
  return { ...b, handler, events };
}

const of = <T extends WorkerEvent['type']>(events: WorkerEvent[], type: T) => events.filter((e): e is Extract<WorkerEvent, { type: T }> => e.type === type);

/** Throws DeviceLostError for the first `n` U-Net runs. */
function unetLost(n: number): Fault {
  let left = n;
  return (label) => (label.startsWith('unet/') && left-- > 0 ? new DeviceLostError(label, `${label}: run failed: the WebGPU device was lost (unknown)`) : null);
}

describe('worker handler: lost WebGPU device', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reloads the model from the same cached source on a new backend, retries once and posts the result', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const h = harness(unetLost(1));
    await h.handler.handle({ id: 'a', type: 'load-model', source: CACHED, backend: 'webgpu' });
    expect(h.counts).toEqual({ backendOpens: 1, sessionsCreated: 4, sourceOpens: 1 });
    await h.handler.handle({ id: 'g', type: 'generate', params: PARAMS, previews: false });

    expect(of(h.events, 'recovering')).toEqual([
      { id: 'g', type: 'recovering', reason: 'device-lost', attempt: 1, message: 'GPU device lost — reloading the model and retrying' },
    ]);
    expect(of(h.events, 'error')).toEqual([]);
    const [result] = of(h.events, 'result');
    expect(result).toMatchObject({ id: 'g', width: 16, height: 16 });
    // One more backend, one more read of the same source, every session created again.
    expect(h.counts).toEqual({ backendOpens: 2, sessionsCreated: 8, sourceOpens: 2 });
    // The recovery is inside the generate: no model-ready, no load-progress for it.
    expect(h.events.filter((e) => e.id === 'g').map((e) => e.type)).toEqual(['recovering', 'progress', 'progress', 'result']);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('a second loss ends the run with device-lost, saying the model was reloaded and the run retried', async () => {
    const h = harness(unetLost(2));
    await h.handler.handle({ id: 'a', type: 'load-model', source: CACHED, backend: 'webgpu' });
    await h.handler.handle({ id: 'g', type: 'generate', params: PARAMS, previews: false });
    expect(of(h.events, 'recovering')).toHaveLength(1);
    expect(of(h.events, 'result')).toHaveLength(0);
    const [error] = of(h.events, 'error');
    expect(error).toMatchObject({ id: 'g', code: 'device-lost', file: 'unet/model.onnx' });
    expect(error.message).toMatch(/reloaded on a new device and the run retried once, and it was lost again/);
    expect(h.counts.sourceOpens).toBe(2); // one reload, not a loop
    // The reloaded model stays usable: the next run works.
    await h.handler.handle({ id: 'g2', type: 'generate', params: PARAMS, previews: false });
    expect(of(h.events, 'result').map((e) => e.id)).toEqual(['g2']);
  });

  it('a device lost between runs is recovered before the next run', async () => {
    const h = harness(() => null);
    await h.handler.handle({ id: 'a', type: 'load-model', source: CACHED, backend: 'webgpu' });
    await h.handler.handle({ id: 'g1', type: 'generate', params: PARAMS, previews: false });
    h.loseDevice();
    await h.handler.handle({ id: 'g2', type: 'generate', params: PARAMS, previews: false });
    expect(h.events.filter((e) => e.id === 'g2').map((e) => e.type)).toEqual(['recovering', 'progress', 'progress', 'result']);
    expect(h.counts.sourceOpens).toBe(2);
    // The old factory's listener was dropped with its sessions: losing nothing more, nothing more happens.
    await h.handler.handle({ id: 'g3', type: 'generate', params: PARAMS, previews: false });
    expect(of(h.events, 'recovering')).toHaveLength(1);
  });

  it('lost between runs, then lost again in the run after the reload: device-lost, no second reload', async () => {
    let broken = false;
    const h = harness((label) => (broken && label.startsWith('unet/') ? new DeviceLostError(label, `${label}: run failed: device lost`) : null));
    await h.handler.handle({ id: 'a', type: 'load-model', source: CACHED, backend: 'webgpu' });
    h.loseDevice();
    broken = true;
    await h.handler.handle({ id: 'g', type: 'generate', params: PARAMS, previews: false });
    expect(of(h.events, 'recovering')).toHaveLength(1);
    const [error] = of(h.events, 'error');
    expect(error).toMatchObject({ id: 'g', code: 'device-lost', file: 'unet/model.onnx' });
    expect(error.message).toMatch(/lost again after the model was reloaded on a new device; the run was tried once more/);
    expect(h.counts.sourceOpens).toBe(2);
  });

  it('a device lost while loading: the load is tried once more and the model comes up', async () => {
    let createsLeftToFail = 1;
    const events: WorkerEvent[] = [];
    const b = faultyBackend(() => null);
    const open = b.deps.openBackend;
    b.deps.openBackend = async (pref) => {
      const opened = await open(pref);
      const create = opened.factory.create.bind(opened.factory);
      opened.factory = {
        ...opened.factory,
        async create(files) {
          if (files.label.startsWith('unet/') && createsLeftToFail-- > 0) throw new DeviceLostError(files.label, `${files.label}: could not load: device lost`);
          return create(files);
        },
      };
      return opened;
    };
    const handler = new DiffusionWorkerHandler(b.deps, (e) => events.push(e));
    await handler.handle({ id: 'a', type: 'load-model', source: CACHED, backend: 'webgpu' });
    expect(events.filter((e) => e.type === 'recovering' || e.type === 'model-ready' || e.type === 'error').map((e) => e.type)).toEqual([
      'recovering',
      'model-ready',
    ]);
    expect(b.counts.sourceOpens).toBe(2);
  });
});

describe('worker handler: out of memory and unknown failures', () => {
  const oomAtUnet: Fault = (label) => (label.startsWith('unet/') ? new OutOfMemoryError(label, `${label}: run failed: std::bad_alloc`) : null);

  it('out of memory on wasm at a size above the model’s: smaller size and low-memory mode are suggested', async () => {
    const h = harness(oomAtUnet, 'wasm');
    await h.handler.handle({ id: 'a', type: 'load-model', source: CACHED, backend: 'wasm' });
    await h.handler.handle({ id: 'g', type: 'generate', params: { ...PARAMS, width: 768, height: 768 }, previews: false });
    const [error] = of(h.events, 'error');
    expect(error).toMatchObject({ id: 'g', code: 'out-of-memory', file: 'unet/model.onnx', suggestions: ['smaller-size', 'low-memory'] });
    expect(error.message).toMatch(/std::bad_alloc — try a smaller image size or low-memory mode$/);
    expect(of(h.events, 'recovering')).toHaveLength(0);
  });

  it('out of memory on WebGPU at the model’s own size: low-memory mode and wasm, not a smaller size', async () => {
    const h = harness(oomAtUnet, 'webgpu');
    await h.handler.handle({ id: 'a', type: 'load-model', source: CACHED, backend: 'webgpu' });
    await h.handler.handle({ id: 'g', type: 'generate', params: { ...PARAMS, width: 64, height: 64 }, previews: false });
    const [error] = of(h.events, 'error');
    expect(error).toMatchObject({ code: 'out-of-memory', suggestions: ['low-memory', 'wasm'] });
    expect(error.message).toMatch(/— try low-memory mode or the wasm backend$/);
  });

  it('suggestions follow the context: nothing smaller for a static U-Net, nothing left in low-memory mode on wasm', () => {
    const base = { params: { width: 1024, height: 1024 }, recommended: { width: 512, height: 512 }, fixedSize: false, lowMemory: false, backend: 'webgpu' };
    expect(oomSuggestions(base)).toEqual(['smaller-size', 'low-memory', 'wasm']);
    expect(oomSuggestions({ ...base, fixedSize: true, lowMemory: true })).toEqual(['wasm']);
    expect(oomSuggestions({ ...base, params: { width: 256, height: 256 }, lowMemory: true, backend: 'wasm' })).toEqual([]);
    // 512² on a 512² model is still worth shrinking: the floor is 256².
    expect(oomSuggestions({ ...base, params: { width: 512, height: 512 }, lowMemory: true, backend: 'wasm' })).toEqual(['smaller-size']);
  });

  it('out of memory while loading suggests low-memory mode and wasm', async () => {
    const b = faultyBackend(() => null, 'webgpu');
    const open = b.deps.openBackend;
    b.deps.openBackend = async (pref) => {
      const opened = await open(pref);
      opened.factory = {
        ...opened.factory,
        async create(files) {
          throw new OutOfMemoryError(files.label, `${files.label}: could not load: Out of memory`);
        },
      };
      return opened;
    };
    const events: WorkerEvent[] = [];
    await new DiffusionWorkerHandler(b.deps, (e) => events.push(e)).handle({ id: 'a', type: 'load-model', source: CACHED, backend: 'webgpu' });
    expect(of(events, 'error')).toEqual([
      expect.objectContaining({ code: 'out-of-memory', file: 'text_encoder/model.onnx', suggestions: ['low-memory', 'wasm'] }),
    ]);
  });

  it('a plain Error from an unknown place is internal, with no file or suggestions', async () => {
    const h = harness((label) => (label.startsWith('vae_decoder/') ? new Error('something odd: out of memory') : null));
    await h.handler.handle({ id: 'a', type: 'load-model', source: CACHED, backend: 'webgpu' });
    await h.handler.handle({ id: 'g', type: 'generate', params: PARAMS, previews: false });
    expect(of(h.events, 'error')).toEqual([{ id: 'g', type: 'error', code: 'internal', message: 'something odd: out of memory' }]);
  });

  it('an error nothing caught ends the hung run: typed where the runtime named it, internal otherwise', async () => {
    for (const [text, code] of [
      ['Uncaught std::bad_alloc', 'out-of-memory'],
      ['Uncaught TypeError: x is not a function', 'internal'],
    ] as const) {
      const h = harness((label) => (label.startsWith('unet/') ? HANG : null), 'wasm');
      await h.handler.handle({ id: 'a', type: 'load-model', source: CACHED, backend: 'wasm' });
      void h.handler.handle({ id: 'g', type: 'generate', params: PARAMS, previews: false });
      await new Promise((r) => setTimeout(r, 50));
      const err = new Error(text);
      expect(h.handler.uncaught(uncaughtRuntimeError(err) ?? err)).toBe(true);
      expect(of(h.events, 'error')).toEqual([expect.objectContaining({ id: 'g', code })]);
      if (code === 'out-of-memory') expect(of(h.events, 'error')[0].suggestions).toEqual(['low-memory']);
      // The worker takes requests again (not 'busy').
      await h.handler.handle({ id: 'b', type: 'load-model', source: CACHED, backend: 'wasm' });
      expect(of(h.events, 'model-ready').map((e) => e.id)).toEqual(['a', 'b']);
      expect(h.handler.uncaught(err)).toBe(false);
    }
  });
});
