/**
 * The studio controller's concurrency, against a fake WorkerLike that answers like the real
 * worker: the real DiffusionWorkerHandler on fake sessions, messages delivered asynchronously
 * (like postMessage) in both directions, and `busy` for a second load/generate as the worker does.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DiffusionClient, type WorkerLike } from '@/lib/worker/client';
import { DiffusionWorkerHandler } from '@/lib/worker/handler';
import type { WorkerEvent, WorkerRequest } from '@/lib/worker/protocol';
import type { GenerateParams } from '@/lib/diffusion/check-inputs';
import { SCHEDULER_NAMES } from '@/lib/diffusion/params';
import { StudioController, saneRecommended } from '@/components/studio-controller';
import { useRun } from '@/stores/run';
import { DEFAULT_SETTINGS, useSettings } from '@/stores/settings';
import { fakeSessionFactory } from '../../helpers/fake-sessions';
import { dirSource, text } from '../../helpers/dir-source';

const TINY = { kind: 'url', baseUrl: 'models/fixtures/tiny-sd' } as const;
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

/** A worker in the same process: requests and events cross a macrotask boundary each, like postMessage. */
function fakeWorker(overrides: Record<string, Uint8Array | null> = {}, opts: { warmUp?: boolean } = {}) {
  const requests: WorkerRequest[] = [];
  const events: WorkerEvent[] = [];
  const onMessage: Array<(e: MessageEvent<WorkerEvent>) => void> = [];
  const backends: string[] = [];
  const factory = fakeSessionFactory();
  const handler = new DiffusionWorkerHandler(
    {
      openBackend: async (pref) => {
        backends.push(pref);
        return { factory, reason: `fake (${pref})` };
      },
      source: (spec) => {
        if (spec.kind !== 'url') throw new Error(`fake worker serves url sources only, not ${spec.kind}`);
        return dirSource(spec.baseUrl, overrides);
      },
      now: () => performance.now(),
      warmUp: opts.warmUp,
    },
    (event) =>
      setTimeout(() => {
        events.push(event);
        for (const l of onMessage) l({ data: event } as MessageEvent<WorkerEvent>);
      }),
  );
  const worker: WorkerLike = {
    postMessage(message) {
      const req = message as WorkerRequest;
      requests.push(req);
      setTimeout(() => void handler.handle(req));
    },
    addEventListener(type: 'message' | 'error', listener: never) {
      if (type === 'message') onMessage.push(listener as (e: MessageEvent<WorkerEvent>) => void);
    },
    terminate() {},
  };
  return { worker, requests, events, backends };
}

function setup(overrides: Record<string, Uint8Array | null> = {}, opts: { warmUp?: boolean } = {}) {
  const fake = fakeWorker(overrides, opts);
  const client = new DiffusionClient(fake.worker);
  const controller = new StudioController(() => client);
  return { ...fake, controller };
}

/** Resolves once the store satisfies `ok` (polling across macrotasks). */
async function until(ok: () => boolean, what: string, ms = 5_000): Promise<void> {
  const start = Date.now();
  while (!ok()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}: ${JSON.stringify({ ...useRun.getState(), preview: null, result: null })}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
const run = () => useRun.getState();
const ready = () => until(() => run().phase === 'ready' && run().model !== null, 'ready');
const errorsOf = (events: WorkerEvent[]) => events.filter((e) => e.type === 'error');
const loadsOf = (requests: WorkerRequest[]) => requests.filter((r) => r.type === 'load-model');

beforeEach(() => {
  useRun.setState({ phase: 'idle', model: null, error: null, result: null, preview: null, message: '', lastSeed: null });
  useSettings.setState({ ...DEFAULT_SETTINGS });
});

describe('studio controller', () => {
  it('loads a model, applies its recommended settings, and generates a result naming the model', async () => {
    const { controller } = setup();
    controller.loadModel(TINY, 'auto');
    expect(run().phase).toBe('loading-model');
    await ready();
    expect(run().model?.name).toBe('tiny-sd');
    expect(useSettings.getState().steps).toBe(4);
    controller.startGenerate({ params: PARAMS, previews: false });
    await until(() => run().result !== null, 'result');
    expect(run().result?.modelName).toBe('tiny-sd');
    expect(run().message).toMatch(/^done in .* on wasm/);
  });

  it('the same load asked twice at start (a reload with a saved backend) sends one load and shows no error', async () => {
    const { controller, requests, events } = setup();
    controller.loadModel(TINY, 'wasm');
    controller.loadModel(TINY, 'wasm');
    await ready();
    await new Promise((r) => setTimeout(r, 20));
    expect(loadsOf(requests)).toHaveLength(1);
    expect(errorsOf(events)).toEqual([]);
    expect(run().error).toBeNull();
  });

  it('a second load while one runs is queued, not refused: the newest one wins and is the model in use', async () => {
    const { controller, requests, events, backends } = setup();
    controller.loadModel(TINY, 'auto');
    controller.loadModel(TINY, 'webgpu');
    controller.loadModel(TINY, 'wasm');
    await until(() => loadsOf(requests).length === 2 && run().phase === 'ready', 'second load');
    expect(loadsOf(requests).map((r) => r.type === 'load-model' && r.backend)).toEqual(['auto', 'wasm']);
    expect(backends).toEqual(['auto', 'wasm']);
    expect(errorsOf(events)).toEqual([]);
    expect(run().model?.backendReason).toBe('fake (wasm)');
    expect(run().error).toBeNull();
  });

  it('a warm-up shows as a load phase; a load asked for during it cancels it, and the newest load is the model in use', async () => {
    const { controller, requests, events } = setup({}, { warmUp: true });
    const labels: string[] = [];
    const unsubscribe = useRun.subscribe((s) => labels.at(-1) !== s.loadLabel && labels.push(s.loadLabel));
    controller.loadModel(TINY, 'auto');
    await until(() => run().loadLabel.startsWith('warming up'), 'warming up');
    expect(run().loadLabel).toBe('warming up (64×64)…');
    controller.loadModel(TINY, 'wasm');
    await until(() => loadsOf(requests).length === 2 && run().phase === 'ready', 'second load');
    unsubscribe();
    const [first] = loadsOf(requests);
    expect(requests.filter((r) => r.type === 'cancel')).toEqual([{ id: expect.any(String), type: 'cancel', target: first.id }]);
    expect(errorsOf(events)).toEqual([]);
    expect(run().model?.backendReason).toBe('fake (wasm)');
    // Each load warmed up (or began to): the newest one's warm-up ran whole.
    expect(labels.filter((l) => l.startsWith('warming up'))).toHaveLength(2);
    expect(run().model?.warmupMs).toEqual(expect.any(Number));
  });

  it('a backend change during a run waits for it: model info, ControlNet and examples stay, the result names the model, then it reloads', async () => {
    const { controller, requests, events } = setup();
    controller.loadModel(TINY, 'auto');
    await ready();
    const before = run().model!;
    controller.startGenerate({ params: { ...PARAMS, steps: 30 }, previews: false });
    await until(() => run().step >= 1, 'first step');
    controller.loadModel(TINY, 'wasm');
    // While the run goes on, nothing the UI shows about the model is lost.
    expect(run().model).toBe(before);
    expect(run().phase).toBe('generating');
    expect(run().message).toMatch(/opens when this run ends/);
    expect(loadsOf(requests)).toHaveLength(1);
    await until(() => run().result !== null, 'result');
    expect(run().result?.modelName).toBe('tiny-sd');
    await until(() => loadsOf(requests).length === 2 && run().phase === 'ready' && run().model !== null, 'reload');
    expect(run().model?.backendReason).toBe('fake (wasm)');
    expect(run().model?.hasControlNet).toBe(before.hasControlNet);
    expect(run().model?.examplePrompts).toEqual(before.examplePrompts);
    expect(errorsOf(events)).toEqual([]);
  });

  it('live mode: a new request cancels the run in flight, stale results are dropped, only the newest waiting one runs', async () => {
    const { controller, requests, events } = setup();
    controller.loadModel(TINY, 'auto');
    await ready();
    controller.requestLive({ params: { ...PARAMS, steps: 40, seed: 1 }, previews: true });
    await until(() => run().step >= 1, 'first live step');
    controller.requestLive({ params: { ...PARAMS, seed: 2 }, previews: false });
    controller.requestLive({ params: { ...PARAMS, seed: 3 }, previews: false });
    await until(() => run().result !== null, 'live result');
    const generates = requests.filter((r) => r.type === 'generate');
    expect(generates.map((r) => r.type === 'generate' && r.params.seed)).toEqual([1, 3]);
    expect(requests.filter((r) => r.type === 'cancel')).toHaveLength(1);
    expect(run().result?.params.seed).toBe(3);
    expect(run().lastSeed).toBe(3);
    expect(run().message).toMatch(/^live \d+ ms on wasm/);
    expect(errorsOf(events)).toEqual([]);
  });

  it('a live result that arrives after a newer request (the cancel came too late) is never shown', async () => {
    const { controller, requests } = setup();
    controller.loadModel(TINY, 'auto');
    await ready();
    controller.requestLive({ params: { ...PARAMS, steps: 2, seed: 1 }, previews: false });
    // Asked at once: the cancel reaches the worker before its first step, or the 2-step run finishes first.
    controller.requestLive({ params: { ...PARAMS, steps: 2, seed: 2 }, previews: false });
    const shown: number[] = [];
    const unsub = useRun.subscribe((s, prev) => {
      if (s.result && s.result !== prev.result) shown.push(s.result.params.seed);
    });
    await until(() => run().result !== null && requests.filter((r) => r.type === 'generate').length === 2 && run().phase === 'ready', 'newest');
    unsub();
    expect(shown).toEqual([2]);
  });

  it('a live request during a load runs once the model is ready', async () => {
    const { controller, events } = setup();
    controller.loadModel(TINY, 'auto');
    controller.requestLive({ params: PARAMS, previews: false });
    await until(() => run().result !== null, 'live result after load');
    expect(errorsOf(events)).toEqual([]);
  });

  it('a failed load says so with its code; the next load works', async () => {
    const { controller } = setup();
    controller.loadModel({ kind: 'url', baseUrl: 'models/fixtures/does-not-exist' }, 'auto');
    await until(() => run().phase === 'error', 'error');
    expect(run().error?.code).toBe('model-missing-file');
    controller.loadModel(TINY, 'auto');
    await ready();
    expect(run().error).toBeNull();
  });

  it('a batch of 3 runs seed, seed + 1, seed + 2 one after another, each result shown as it arrives', async () => {
    const { controller, requests } = setup();
    controller.loadModel(TINY, 'auto');
    await ready();
    const shown: number[] = [];
    const stop = useRun.subscribe((s, prev) => {
      if (s.result && s.result !== prev.result) shown.push(s.result.params.seed);
    });
    controller.startGenerate({ params: PARAMS, previews: false }, 3);
    expect(run().batch).toEqual({ index: 1, count: 3 });
    await until(() => shown.length === 3 && run().phase === 'ready', 'three results');
    stop();
    expect(shown).toEqual([42, 43, 44]);
    expect(requests.filter((r) => r.type === 'generate').map((r) => r.type === 'generate' && r.params.seed)).toEqual([42, 43, 44]);
    expect(run().batch).toBeNull();
  });

  it('cancel during a batch stops the rest of it', async () => {
    const { controller, requests } = setup();
    controller.loadModel(TINY, 'auto');
    await ready();
    controller.startGenerate({ params: { ...PARAMS, steps: 50 }, previews: false }, 4);
    await until(() => run().step > 0, 'first steps');
    controller.cancelGenerate();
    await until(() => run().phase === 'ready' && run().message.startsWith('cancelled'), 'cancelled');
    await new Promise((r) => setTimeout(r, 30));
    expect(requests.filter((r) => r.type === 'generate')).toHaveLength(1);
    expect(run().batch).toBeNull();
  });

  it('retry asks again for what failed: the load, then (once loaded) the failed run', async () => {
    const overrides: Record<string, Uint8Array | null> = { 'unet/model.onnx': null };
    const { controller, requests } = setup(overrides);
    controller.loadModel(TINY, 'auto');
    await until(() => run().phase === 'error', 'load error');
    expect(run().error).toMatchObject({ code: 'model-missing-file', during: 'load' });
    delete overrides['unet/model.onnx'];
    controller.retry();
    await ready();
    expect(loadsOf(requests)).toHaveLength(2);
    controller.startGenerate({ params: { ...PARAMS, width: 12 }, previews: false });
    await until(() => run().error !== null, 'run error');
    expect(run().error).toMatchObject({ code: 'invalid-params', during: 'run' });
    controller.retry();
    await until(() => requests.filter((r) => r.type === 'generate').length === 2 && run().phase === 'ready', 'retried run');
  });

  it('a lantern.json recommending height "abc" loads: the bad value is left out, the rest applied', async () => {
    const lantern = JSON.stringify({ name: 'tiny-sd', recommended: { steps: 6, height: 'abc', width: 65, liveSteps: 'x', scheduler: 'nope' } });
    const { controller } = setup({ 'lantern.json': text(lantern) });
    useSettings.setState({ height: 64, width: 128 });
    controller.loadModel(TINY, 'auto');
    await ready();
    const s = useSettings.getState();
    expect([s.steps, s.width, s.height, s.scheduler]).toEqual([6, 64, 64, 'default']);
    expect(run().model?.recommended).toEqual({ steps: 6, width: 64 });
    // Each repaired or ignored value is said beside the model, not only in the console.
    expect(run().model?.warnings).toEqual([
      // The list grows with the samplers registered.
      `lantern.json recommends scheduler "nope": not one of ${SCHEDULER_NAMES.join(', ')} — ignored`,
      'lantern.json recommends width 65: width must be a multiple of 8 (got 65) — used 64',
      'lantern.json recommends height "abc": not a finite number — ignored',
      'lantern.json recommends liveSteps "x": not a finite number — ignored',
    ]);
  });
});

describe('saneRecommended', () => {
  it('clamps numbers, leaves out values of the wrong type', () => {
    expect(saneRecommended({ steps: 5000, guidance: Number.NaN, height: 'abc' as unknown as number, liveSteps: -3, scheduler: 'euler' })).toEqual({
      steps: 1000,
      liveSteps: 1,
      scheduler: 'euler',
    });
  });
});
