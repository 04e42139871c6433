/** An assembled folder (SD 1.5 + scribble from two repos) loads like one folder and keeps each file's own locate. */
import { describe, expect, it } from 'vitest';
import { assembledSource } from '@/lib/models/assembled-source';
import { loadModelFolder } from '@/lib/models/load-folder';
import { dirSource } from '../../helpers/dir-source';

const REPLICA = 'models/fixtures/replicas/tensorstack-sd15-controlnet';

describe('assembledSource', () => {
  it('maps paths across sources, lists the assembled folders, and is read by the loader', async () => {
    const base = dirSource(REPLICA);
    const common = ['model_index.json', 'scheduler/scheduler_config.json', 'text_encoder/model.onnx', 'tokenizer/vocab.json', 'tokenizer/merges.txt', 'vae_decoder/model.onnx'];
    const src = assembledSource('sd15-scribble', [
      ...common.map((p) => ({ as: p, source: base, path: p })),
      // The U-Net under another name, as TensorStack's controlnet/ folder is used.
      { as: 'unet/model.onnx', source: base, path: 'unet/model.onnx' },
      { as: 'controlnet/model.onnx', source: base, path: 'controlnet/model.onnx' },
    ]);
    expect(await src.list!('')).toEqual(['model_index.json']);
    expect(await src.list!('tokenizer')).toEqual(['merges.txt', 'vocab.json']);
    expect(await src.list!('vae_encoder')).toBeNull();
    expect(await src.size('unet/model.onnx')).toBe(await base.size('unet/model.onnx'));
    expect(await src.readBytes('unet/weights.pb')).toBeNull();
    const folder = await loadModelFolder(src);
    expect(Object.keys(folder.graphs).sort()).toEqual(['controlnet', 'text_encoder', 'unet', 'vae_decoder']);
  });

  it('refuses two files assembled at one path', () => {
    const base = dirSource(REPLICA);
    expect(() =>
      assembledSource('x', [
        { as: 'unet/model.onnx', source: base, path: 'unet/model.onnx' },
        { as: 'unet/model.onnx', source: base, path: 'controlnet/model.onnx' },
      ]),
    ).toThrow(/two files are assembled as unet\/model\.onnx/);
  });
});
