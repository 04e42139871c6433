/**
 * Parts of different models in one folder are refused at load, naming both files and both
 * numbers (ModelMismatchError, code model-mismatch). The folders are combined here from the
 * committed fixtures: tiny-sd (text width 32) with lantern-shapes' U-Net / ControlNet (128).
 * Latent channels differ in no committed fixture: those pairs run on fake sessions whose
 * declared shapes are rewritten.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPipeline, releasePipeline } from '@/lib/diffusion/load-pipeline';
import { checkPartsFit } from '@/lib/diffusion/part-compat';
import { ModelMismatchError } from '@/lib/errors';
import { loadModelFolder } from '@/lib/models/load-folder';
import { createNodeSessionFactory } from '@/lib/onnx/node';
import type { IoInfo, ModelSession, SessionFactory } from '@/lib/onnx/types';
import { fakeSessionFactory } from '../helpers/fake-sessions';
import { dirSource } from '../helpers/dir-source';

const factory = createNodeSessionFactory({ intraOpNumThreads: 1 });
const bytes = (path: string) => new Uint8Array(readFileSync(path));

async function loadError(folder: string, overrides: Record<string, Uint8Array | null>, f: SessionFactory = factory, lowMemory = false) {
  return loadPipeline(await loadModelFolder(dirSource(folder, overrides)), f, undefined, { lowMemory }).then(
    async (m) => {
      await releasePipeline(m);
      return null;
    },
    (e: unknown) => e,
  );
}

describe('mismatched parts (real graphs)', () => {
  it('a U-Net of another text width: both files and both widths, before any Generate', async () => {
    const err = await loadError('models/fixtures/tiny-sd', { 'unet/model.onnx': bytes('models/lantern-shapes/unet/model.onnx') });
    expect(err).toBeInstanceOf(ModelMismatchError);
    const e = err as ModelMismatchError;
    expect(e.code).toBe('model-mismatch');
    expect(e.files).toEqual(['text_encoder/model.onnx', 'unet/model.onnx']);
    expect(e.values).toEqual([32, 128]);
    expect(e.message).toBe(
      'text_encoder/model.onnx outputs last_hidden_state of width 32 but unet/model.onnx takes encoder_hidden_states of width 128: these parts come from different models (use parts of one model)',
    );
  });

  it('the same in low-memory mode (the text encoder only described, not opened)', async () => {
    const err = await loadError('models/fixtures/tiny-sd', { 'unet/model.onnx': bytes('models/lantern-shapes/unet/model.onnx') }, factory, true);
    expect(err).toMatchObject({ code: 'model-mismatch', values: [32, 128] });
  });

  it('a ControlNet of another text width', async () => {
    const err = await loadError('models/fixtures/tiny-sd-controlnet', { 'controlnet/model.onnx': bytes('models/lantern-shapes/controlnet/model.onnx') });
    expect(err).toBeInstanceOf(ModelMismatchError);
    expect(err).toMatchObject({ files: ['text_encoder/model.onnx', 'controlnet/model.onnx'], values: [32, 128] });
  });

  it('parts of one model load (and symbolic widths are skipped)', async () => {
    expect(await loadError('models/fixtures/tiny-sd', {})).toBeNull();
    expect(await loadError('models/fixtures/tiny-sd-controlnet', {})).toBeNull();
    // lantern-shapes' text encoder declares a symbolic width: nothing to compare, so it loads
    expect(await loadError('models/lantern-shapes', {})).toBeNull();
  });
});

/** The fake factory with some declared dims rewritten: part → (io name → shape). */
function reshaped(shapes: Record<string, Record<string, IoInfo['shape']>>): SessionFactory {
  const base = fakeSessionFactory();
  return {
    ...base,
    async create(files) {
      const s = await base.create(files);
      const part = files.label.split('/')[0];
      const over = shapes[part] ?? {};
      const edit = (io: readonly IoInfo[]) => io.map((i) => (over[i.name] ? { ...i, shape: over[i.name] } : i));
      return { ...s, inputs: edit(s.inputs), outputs: edit(s.outputs) } satisfies ModelSession;
    },
  };
}

describe('mismatched latent channels (declared shapes)', () => {
  it('a VAE decoder of other latent channels than the U-Net', async () => {
    const f = reshaped({ unet: { sample: ['batch', 4, 'h', 'w'] }, vae_decoder: { latent_sample: ['batch', 16, 'h', 'w'] } });
    const err = await loadError('models/fixtures/tiny-sd', {}, f);
    expect(err).toBeInstanceOf(ModelMismatchError);
    expect((err as Error).message).toBe(
      'unet/model.onnx takes sample with channels 4 but vae_decoder/model.onnx takes latent_sample with channels 16: these parts come from different models (use parts of one model)',
    );
  });

  it('a VAE encoder whose latents have other channels (latent_sample, and latent_parameters = 2C)', async () => {
    const err = await loadError('models/fixtures/tiny-sd', {}, reshaped({ vae_encoder: { latent_sample: ['batch', 16, 'h', 'w'] } }));
    expect(err).toMatchObject({ code: 'model-mismatch', files: ['vae_encoder/model.onnx', 'unet/model.onnx'], values: [16, 4] });
    const s = (label: string, inputs: IoInfo[], outputs: IoInfo[]) => ({ label, inputs, outputs }) as unknown as ModelSession;
    const io = (name: string, shape: IoInfo['shape']) => ({ name, type: 'float32', shape }) as IoInfo;
    const parts = {
      textEncoder: s('text_encoder/model.onnx', [], [io('last_hidden_state', ['b', 77, 768])]),
      unet: s('unet/model.onnx', [io('sample', ['b', 4, 'h', 'w']), io('encoder_hidden_states', ['b', 's', 768])], []),
      vaeDecoder: s('vae_decoder/model.onnx', [io('latent_sample', ['b', 4, 'h', 'w'])], []),
    };
    expect(() => checkPartsFit({ ...parts, vaeEncoder: s('vae_encoder/model.onnx', [], [io('latent_parameters', ['b', 8, 'h', 'w'])]) })).not.toThrow();
    expect(() => checkPartsFit({ ...parts, vaeEncoder: s('vae_encoder/model.onnx', [], [io('latent_parameters', ['b', 32, 'h', 'w'])]) })).toThrow(
      /vae_encoder\/model\.onnx outputs latent_parameters with channels \(mean ‖ logvar, so latents of half as many\) 32 but unet\/model\.onnx takes sample with channels 4/,
    );
    // symbolic on either side: skipped
    expect(() => checkPartsFit({ ...parts, vaeDecoder: s('vae_decoder/model.onnx', [io('latent_sample', ['b', 'c', 'h', 'w'])], []) })).not.toThrow();
    expect(() => checkPartsFit({ ...parts, textEncoder: s('text_encoder/model.onnx', [], [io('last_hidden_state', ['b', 77, 1024])]) })).toThrow(
      ModelMismatchError,
    );
  });

  it('a ControlNet of other latent channels (the fake factory has no ControlNet: checked on declared sessions)', () => {
    const s = (label: string, inputs: IoInfo[], outputs: IoInfo[]) => ({ label, inputs, outputs }) as unknown as ModelSession;
    const io = (name: string, shape: IoInfo['shape']) => ({ name, type: 'float32', shape }) as IoInfo;
    const parts = {
      textEncoder: s('text_encoder/model.onnx', [], [io('last_hidden_state', ['b', 77, 32])]),
      unet: s('unet/model.onnx', [io('sample', ['b', 4, 'h', 'w']), io('encoder_hidden_states', ['b', 's', 32])], []),
      vaeDecoder: s('vae_decoder/model.onnx', [io('latent_sample', ['b', 4, 'h', 'w'])], []),
    };
    const controlnet = (channels: number) =>
      s('controlnet/model.onnx', [io('sample', ['b', channels, 'h', 'w']), io('encoder_hidden_states', ['b', 's', 32])], []);
    expect(() => checkPartsFit({ ...parts, controlnet: controlnet(4) })).not.toThrow();
    let caught: unknown;
    try {
      checkPartsFit({ ...parts, controlnet: controlnet(9) });
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'model-mismatch', files: ['unet/model.onnx', 'controlnet/model.onnx'], values: [4, 9] });
  });
});
