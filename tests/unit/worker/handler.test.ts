import { describe, expect, it } from 'vitest';
import { DiffusionWorkerHandler, type HandlerDeps } from '@/lib/worker/handler';
import type { WorkerEvent, WorkerRequest } from '@/lib/worker/protocol';
import type { GenerateParams } from '@/lib/diffusion/check-inputs';
import { fakeSessionFactory } from '../../helpers/fake-sessions';
import { BackendError } from '@/lib/errors';
import type { BackendPreference } from '@/lib/onnx/types';
import { dirSource } from '../../helpers/dir-source';

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

function setup(overrides: Partial<HandlerDeps> = {}, onEvent?: (e: WorkerEvent) => void) {
  const events: WorkerEvent[] = [];
  const factory = fakeSessionFactory();
  let clock = 0;
  const handler = new DiffusionWorkerHandler(
    {
      openBackend: async (pref) => ({ factory, reason: `fake (${pref})` }),
      source: (spec) => {
        if (spec.kind !== 'url') throw new Error(`test handler serves url sources only, not ${spec.kind}`);
        return dirSource(spec.baseUrl);
      },
      now: () => (clock += 5),
      // No createImageBitmap in Node: a stand-in the size of the preview.
      previewBitmap: async (_rgba, width, height) => ({ width, height, close() {} }) as unknown as ImageBitmap,
      ...overrides,
    },
    (e) => {
      events.push(e);
      onEvent?.(e);
    },
  );
  return { handler, events, factory };
}

const of = <T extends WorkerEvent['type']>(events: WorkerEvent[], type: T) => events.filter((e): e is Extract<WorkerEvent, { type: T }> => e.type === type);

describe('worker handler', () => {
  it('loads a model folder and reports the backend and recommended settings', async () => {
    const { handler, events } = setup();
    await handler.handle({ id: 'a', type: 'load-model', source: { kind: 'url', baseUrl: 'models/fixtures/tiny-sd' }, backend: 'auto' });
    const [ready] = of(events, 'model-ready');
    expect(ready.id).toBe('a');
    expect(ready.info.backend).toBe('wasm');
    expect(ready.info.backendReason).toBe('fake (auto)');
    expect(ready.info.maxPromptTokens).toBe(75);
    expect(ready.info.defaultSampler).toBe('DDIM');
    // Leading spacing with steps_offset 1 puts step 1000's timestep at 1000: DDIM runs at most 999 here; Euler all 1000.
    expect(ready.info.stepLimits.ddim).toEqual({ min: 1, max: 999 });
    expect(ready.info.stepLimits.euler?.max).toBe(1000);
    expect(of(events, 'load-progress').map((e) => e.part)).toEqual(expect.arrayContaining(['text_encoder', 'unet', 'vae_decoder']));
  });

  it('generates: one progress event per step, then an RGBA result', async () => {
    const { handler, events, factory } = setup();
    await handler.handle({ id: 'a', type: 'load-model', source: { kind: 'url', baseUrl: 'models/fixtures/tiny-sd' }, backend: 'auto' });
    await handler.handle({ id: 'g', type: 'generate', params: PARAMS, previews: true });
    expect(of(events, 'progress').map((e) => e.step)).toEqual([1, 2, 3, 4]);
    expect(of(events, 'preview')).toHaveLength(4);
    const [result] = of(events, 'result');
    expect([result.width, result.height]).toEqual([16, 16]);
    expect(result.rgba.length).toBe(16 * 16 * 4);
    expect(result.params).toEqual(PARAMS);
    expect(result.sampler).toBe('DDIM');
    // CFG: two text-encoder passes (cond + uncond), 4 U-Net passes with batch 2, one decode.
    expect(factory.runs.filter((r) => r.startsWith('unet'))).toHaveLength(4);
    expect(factory.runs.filter((r) => r.startsWith('text_encoder'))).toHaveLength(2);
  });

  it('skips the unconditional pass at guidance ≤ 1', async () => {
    const { handler, factory } = setup();
    await handler.handle({ id: 'a', type: 'load-model', source: { kind: 'url', baseUrl: 'models/fixtures/tiny-sd' }, backend: 'auto' });
    await handler.handle({ id: 'g', type: 'generate', params: { ...PARAMS, guidanceScale: 1 }, previews: false });
    expect(factory.runs.filter((r) => r.startsWith('text_encoder'))).toHaveLength(1);
  });

  it('cancel stops between steps; a second run while busy is refused', async () => {
    // Cancel arrives as a message (like postMessage to a worker) once step 2 is reported;
    // fake sessions resolve through microtasks only, so only the loop's own yield lets it in.
    const inbox = new MessageChannel();
    inbox.port1.onmessage = (m: MessageEvent<WorkerRequest>) => void handler.handle(m.data);
    const { handler, events } = setup({}, (e) => {
      if (e.type === 'progress' && e.step === 2) {
        inbox.port2.postMessage({ id: 'g2', type: 'generate', params: PARAMS, previews: false });
        inbox.port2.postMessage({ id: 'c', type: 'cancel', target: 'g' });
      }
    });
    await handler.handle({ id: 'a', type: 'load-model', source: { kind: 'url', baseUrl: 'models/fixtures/tiny-sd' }, backend: 'auto' });
    await handler.handle({ id: 'g', type: 'generate', params: { ...PARAMS, steps: 50 }, previews: false });
    const [cancelled] = of(events, 'cancelled');
    expect(cancelled.id).toBe('g');
    expect(cancelled.atStep).toBeGreaterThanOrEqual(2);
    expect(cancelled.atStep).toBeLessThanOrEqual(10);
    expect(of(events, 'progress')).toHaveLength(cancelled.atStep);
    expect(of(events, 'result')).toHaveLength(0);
    expect(of(events, 'error')).toEqual([expect.objectContaining({ id: 'g2', code: 'busy' })]);
    inbox.port1.close();
  });

  it('answers errors with codes: no model, invalid params, missing file', async () => {
    const { handler, events } = setup();
    await handler.handle({ id: 'g', type: 'generate', params: PARAMS, previews: false });
    await handler.handle({ id: 'm', type: 'load-model', source: { kind: 'url', baseUrl: 'models/fixtures/does-not-exist' }, backend: 'auto' });
    await handler.handle({ id: 'a', type: 'load-model', source: { kind: 'url', baseUrl: 'models/fixtures/tiny-sd' }, backend: 'auto' });
    await handler.handle({ id: 'p', type: 'generate', params: { ...PARAMS, width: 30 }, previews: false });
    const errors = of(events, 'error');
    expect(errors.map((e) => [e.id, e.code])).toEqual([
      ['g', 'no-model'],
      ['m', 'model-missing-file'],
      ['p', 'invalid-params'],
    ]);
    expect(errors[1].message).toMatch(/not a model folder/);
    expect(errors[2].message).toMatch(/width must be a positive multiple of 8 \(got 30\)/);
  });

  it('counts prompt tokens with the model tokenizer', async () => {
    const { handler, events } = setup();
    await handler.handle({ id: 'a', type: 'load-model', source: { kind: 'url', baseUrl: 'models/fixtures/tiny-sd' }, backend: 'auto' });
    await handler.handle({ id: 't', type: 'count-tokens', text: 'a red circle' });
    const [count] = of(events, 'token-count');
    expect(count).toMatchObject({ id: 't', count: 3, max: 75, truncated: false });
  });

  it('auto on a GPU without shader-f16 reloads an fp16 model on wasm and says why; an explicit webgpu reports the error', async () => {
    const wasm = fakeSessionFactory();
    // A WebGPU factory whose U-Net needs float16 kernels the device lacks.
    const gpu = {
      ...fakeSessionFactory(),
      backend: 'webgpu' as const,
      async create(files: Parameters<ReturnType<typeof fakeSessionFactory>['create']>[0]) {
        if (files.label.startsWith('unet/')) throw new BackendError(files.label, `${files.label}: requires f16`, 'shader-f16');
        return wasm.create(files);
      },
    };
    const openBackend = async (pref: BackendPreference) => ({ factory: pref === 'wasm' ? wasm : gpu, reason: `chose ${pref}` });
    const auto = setup({ openBackend });
    await auto.handler.handle({ id: 'a', type: 'load-model', source: { kind: 'url', baseUrl: 'models/fixtures/tiny-sd' }, backend: 'auto' });
    const [ready] = of(auto.events, 'model-ready');
    expect(ready.info.backend).toBe('wasm');
    expect(ready.info.backendReason).toMatch(/no shader-f16.*unet\/model\.onnx.*wasm/);

    const forced = setup({ openBackend });
    await forced.handler.handle({ id: 'b', type: 'load-model', source: { kind: 'url', baseUrl: 'models/fixtures/tiny-sd' }, backend: 'webgpu' });
    expect(of(forced.events, 'error').map((e) => e.code)).toEqual(['backend-failed']);
  });
});
