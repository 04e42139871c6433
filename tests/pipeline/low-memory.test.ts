/**
 * Low-memory mode on onnxruntime-node: the same seed gives the same image as the normal mode,
 * and the text encoder and VAE decoder exist only for their step. A wrapping factory logs
 * every create, run and release, so the order of events is what is checked.
 */
import { describe, expect, it } from 'vitest';
import type { GenerateParams } from '@/lib/diffusion/check-inputs';
import { loadPipeline, releasePipeline } from '@/lib/diffusion/load-pipeline';
import { CancelledError, generate } from '@/lib/diffusion/pipeline';
import { OnDemandSession } from '@/lib/diffusion/part-sessions';
import { loadModelFolder } from '@/lib/models/load-folder';
import { createNodeSessionFactory } from '@/lib/onnx/node';
import type { ModelSession, SessionFactory } from '@/lib/onnx/types';
import { dirSource } from '../helpers/dir-source';

const PARAMS: GenerateParams = {
  prompt: 'a red circle on a blue background',
  negativePrompt: 'blurry',
  seed: 7,
  steps: 3,
  guidanceScale: 7.5,
  guidanceRescale: 0,
  scheduler: 'default',
  width: 64,
  height: 64,
};

/** Logs `create|run|release <part>` and counts the sessions open now. */
function countingFactory(inner: SessionFactory) {
  const log: string[] = [];
  const open = new Set<string>();
  const part = (label: string) => label.split('/')[0];
  const factory: SessionFactory = {
    backend: inner.backend,
    externalDataBy: inner.externalDataBy,
    runsFloat64: inner.runsFloat64,
    async create(files) {
      const s = await inner.create(files);
      const name = part(files.label);
      log.push(`create ${name}`);
      open.add(name);
      const wrapped: ModelSession = {
        label: s.label,
        inputs: s.inputs,
        outputs: s.outputs,
        run: async (feeds, names) => {
          log.push(`run ${name}`);
          return s.run(feeds, names);
        },
        release: async () => {
          log.push(`release ${name}`);
          open.delete(name);
          await s.release();
        },
      };
      return wrapped;
    },
  };
  return { factory, log, open };
}

const load = async (folder: string, lowMemory: boolean) => {
  const counting = countingFactory(createNodeSessionFactory({ intraOpNumThreads: 1 }));
  const models = await loadPipeline(await loadModelFolder(dirSource(folder)), counting.factory, undefined, { lowMemory });
  return { models, ...counting };
};

describe('low-memory mode', () => {
  it.each(['models/fixtures/tiny-sd', 'models/fixtures/replicas/optimum-lcm-dreamshaper'])('%s: same image as the normal mode, bit for bit', async (folder) => {
    const normal = await load(folder, false);
    const low = await load(folder, true);
    expect(low.models.lowMemory).toBe(true);
    expect(normal.models.lowMemory).toBe(false);
    const params = PARAMS;
    const a = await generate(normal.models, params);
    const b = await generate(low.models, params);
    const c = await generate(low.models, params); // parts re-opened for the second run
    expect(b.image.data).toEqual(a.image.data);
    expect(c.image.data).toEqual(a.image.data);
    expect(a.image.data.some((v) => v !== a.image.data[0])).toBe(true);
    // The metadata read from the graph matches what the runtime reports.
    for (const key of ['textEncoder', 'vaeDecoder'] as const) {
      expect(low.models[key]).toBeInstanceOf(OnDemandSession);
      expect(low.models[key].inputs.map((i) => [i.name, i.type])).toEqual(normal.models[key].inputs.map((i) => [i.name, i.type]));
    }
    await releasePipeline(normal.models);
    await releasePipeline(low.models);
    expect(normal.open.size).toBe(0);
    expect(low.open.size).toBe(0);
  });

  it('opens the text encoder only to encode and the VAE decoder only to decode', async () => {
    const low = await load('models/fixtures/tiny-sd', true);
    // tiny-sd also has a VAE encoder: it stays resident (img2img), like the U-Net.
    expect(low.log).toEqual(['create unet', 'create vae_encoder']);
    await generate(low.models, PARAMS);
    const steps = low.log.slice(2);
    // Prompt and negative prompt on one open; released before the first U-Net step.
    expect(steps.slice(0, 4)).toEqual(['create text_encoder', 'run text_encoder', 'run text_encoder', 'release text_encoder']);
    expect(steps.slice(4, 4 + PARAMS.steps)).toEqual(Array(PARAMS.steps).fill('run unet'));
    expect(steps.slice(4 + PARAMS.steps)).toEqual(['create vae_decoder', 'run vae_decoder', 'release vae_decoder']);
    expect([...low.open]).toEqual(['unet', 'vae_encoder']);
    await releasePipeline(low.models);
    expect(low.log.filter((e) => e.startsWith('release'))).toEqual(['release text_encoder', 'release vae_decoder', 'release unet', 'release vae_encoder']);
  });

  it('the normal mode keeps every part open across runs', async () => {
    const normal = await load('models/fixtures/tiny-sd', false);
    await generate(normal.models, PARAMS);
    await generate(normal.models, PARAMS);
    expect(normal.log.filter((e) => e.startsWith('create'))).toEqual(['create text_encoder', 'create unet', 'create vae_decoder', 'create vae_encoder']);
    expect(normal.log.filter((e) => e.startsWith('release'))).toEqual([]);
    await releasePipeline(normal.models);
  });

  it('a cancelled run leaves neither part open, and the next run works', async () => {
    const low = await load('models/fixtures/tiny-sd', true);
    const abort = new AbortController();
    const err = await generate(low.models, { ...PARAMS, steps: 10 }, { signal: abort.signal, onProgress: (p) => p.step === 2 && abort.abort() }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CancelledError);
    expect([...low.open]).toEqual(['unet', 'vae_encoder']);
    const r = await generate(low.models, PARAMS);
    expect(r.image.data.every(Number.isFinite)).toBe(true);
    expect([...low.open]).toEqual(['unet', 'vae_encoder']);
    await releasePipeline(low.models);
  });
});
