/** Finding the parts of folders in every public layout, from their files alone. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelFolderError } from '@/lib/errors';
import { orderGraphNames } from '@/lib/models/layouts/graphs';
import { loadModelFolder } from '@/lib/models/load-folder';
import { dirSource, text } from '../../helpers/dir-source';

const TINY = 'models/fixtures/tiny-sd';
const graph = (part: string) => new Uint8Array(readFileSync(`${TINY}/${part}/model.onnx`));

describe('graph file order', () => {
  it('prefers model.onnx, then model_layernorm.onnx, then other graphs by name', () => {
    expect(orderGraphNames(['z.onnx', 'model_layernorm.onnx', 'config.json', 'a.onnx', 'model.onnx'])).toEqual([
      'model.onnx',
      'model_layernorm.onnx',
      'a.onnx',
      'z.onnx',
    ]);
  });
});

describe('loadModelFolder across layouts', () => {
  it("reads diffusers' own index that lists `vae` (optimum) as vae_decoder + vae_encoder", async () => {
    const index = text(JSON.stringify({ _class_name: 'StableDiffusionPipeline', _name_or_path: 'stabilityai/sd-turbo', vae: ['diffusers', 'AutoencoderKL'], unet: ['diffusers', 'UNet2DConditionModel'], text_encoder: ['transformers', 'CLIPTextModel'] }));
    for (const listing of [true, false]) {
      const folder = await loadModelFolder(dirSource(TINY, { 'model_index.json': index }, { listing }));
      expect(folder.index?.parts).toEqual(expect.arrayContaining(['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']));
      expect(folder.index?.nameOrPath).toBe('stabilityai/sd-turbo');
      expect(folder.layout).toBe('optimum');
      expect(Object.keys(folder.graphs).sort()).toEqual(['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']);
    }
  });

  it('reads a folder with no model_index.json and no scheduler (WebNN-style), picking graphs by the documented order', async () => {
    const folder = await loadModelFolder(
      dirSource(TINY, {
        'model_index.json': null,
        'scheduler/scheduler_config.json': null,
        'unet/model.onnx': null,
        'unet/model_layernorm.onnx': graph('unet'),
        'text_encoder/model_layernorm.onnx': graph('text_encoder'),
      }),
    );
    expect(folder.index).toBeNull();
    expect(folder.layout).toBe('no-index');
    expect(folder.schedulerConfig).toBeNull();
    expect(folder.graphs.unet?.path).toBe('unet/model_layernorm.onnx');
    expect(folder.graphs.text_encoder?.path).toBe('text_encoder/model.onnx');
    expect(folder.warnings).toEqual(['text_encoder/: using model.onnx (also there: model_layernorm.onnx)']);
  });

  it('probes model_layernorm.onnx over plain HTTP-like sources that cannot list', async () => {
    const folder = await loadModelFolder(dirSource(TINY, { 'unet/model.onnx': null, 'unet/model_layernorm.onnx': graph('unet') }, { listing: false }));
    expect(folder.graphs.unet?.path).toBe('unet/model_layernorm.onnx');
  });

  it('names a part folder that holds no graph', async () => {
    const err = await loadModelFolder(dirSource(TINY, { 'unet/model.onnx': null, 'unet/notes.txt': text('hi') })).catch((e) => e);
    expect(err).toBeInstanceOf(ModelFolderError);
    expect(err.code).toBe('model-missing-file');
    expect(err.file).toBe('unet/');
    expect(err.message).toMatch(/unet\/: holds no ONNX graph \(found notes\.txt; looked for model\.onnx, model_layernorm\.onnx or any \*\.onnx\)/);
  });

  it('names the missing required part', async () => {
    const err = await loadModelFolder(dirSource(TINY, { 'vae_decoder/model.onnx': null })).catch((e) => e);
    expect(err).toBeInstanceOf(ModelFolderError);
    expect(err.message).toMatch(/no vae_decoder\/ graph; Lantern needs text_encoder, unet and vae_decoder/);
  });
});
