import { describe, expect, it } from 'vitest';
import { loadModelFolder, readPart } from '@/lib/models/load-folder';
import { ModelFolderError } from '@/lib/models/file-source';
import { dirSource, text } from '../../helpers/dir-source';

const TINY = 'models/fixtures/tiny-sd';
const FLOAT_T = 'models/fixtures/tiny-sd-float-t';

describe('model folder loading', () => {
  it('reads the manifest, scheduler config and tokenizer.json of a fixture', async () => {
    const folder = await loadModelFolder(dirSource(TINY));
    expect(folder.index!.parts).toEqual(expect.arrayContaining(['text_encoder', 'unet', 'vae_decoder']));
    expect(folder.schedulerConfig!.num_train_timesteps).toBe(1000);
    expect(folder.tokenizerFiles.tokenizerJson).toBeDefined();
    expect(folder.vaeScalingFactor).toBeCloseTo(0.18215, 6);
    expect(folder.lantern?.recommended?.steps).toBeGreaterThan(0);
  });

  it('falls back to vocab.json + merges.txt like Hub SD repos', async () => {
    const folder = await loadModelFolder(dirSource(FLOAT_T));
    expect(folder.tokenizerFiles.tokenizerJson).toBeUndefined();
    expect(folder.tokenizerFiles.mergesTxt?.startsWith('#version')).toBe(true);
    expect(Object.keys(folder.tokenizerFiles.vocabJson ?? {}).length).toBeGreaterThan(256);
    expect(folder.schedulerConfig!._class_name).toBe('PNDMScheduler');
  });

  it('loads a folder without a scheduler config (the family default is used, see load-pipeline)', async () => {
    const folder = await loadModelFolder(dirSource(TINY, { 'scheduler/scheduler_config.json': null }));
    expect(folder.schedulerConfig).toBeNull();
  });

  it('names a folder that is not a model folder', async () => {
    const err = await loadModelFolder(dirSource('models/fixtures/does-not-exist')).catch((e) => e);
    expect(err).toBeInstanceOf(ModelFolderError);
    expect(err.problem).toBe('missing-file');
    expect(err.message).toMatch(/not a model folder: no model_index\.json and no text_encoder\/, unet\/, vae_decoder\/ graph/);
  });

  it('names the malformed file and what is wrong with it', async () => {
    const bad = await loadModelFolder(dirSource(TINY, { 'model_index.json': text('{"unet": [') })).catch((e) => e);
    expect(bad.problem).toBe('malformed-file');
    expect(bad.message).toMatch(/^model_index\.json: not valid JSON/);
    // The folders present count: an index that forgets unet still finds unet/.
    const noUnet = await loadModelFolder(dirSource(TINY, { 'model_index.json': text('{"text_encoder": ["a","b"], "vae_decoder": ["a","b"]}') }));
    expect(noUnet.graphs.unet?.path).toBe('unet/model.onnx');
    const badSchedule = await loadModelFolder(
      dirSource(TINY, { 'scheduler/scheduler_config.json': text('{"_class_name": "DDIMScheduler", "beta_schedule": "cosine"}') }),
    ).catch((e) => e);
    expect(badSchedule.problem).toBe('malformed-file');
    expect(badSchedule.message).toMatch(/scheduler_config\.json: DDIMScheduler does not support beta_schedule "cosine"/);
  });

  it("reads Python's bare -Infinity in configs (Hub DPM configs carry lambda_min_clipped: -inf)", async () => {
    const config = '{"_class_name": "DPMSolverMultistepScheduler", "lambda_min_clipped": -Infinity, "beta_schedule": "scaled_linear"}';
    const folder = await loadModelFolder(dirSource(TINY, { 'scheduler/scheduler_config.json': text(config) }));
    expect(folder.schedulerConfig!.lambda_min_clipped).toBeNull();
    expect(folder.schedulerConfig!.beta_schedule).toBe('scaled_linear');
  });

  it('reads example prompts from lantern.json and rejects ones that are not strings', async () => {
    const ok = await loadModelFolder(dirSource(TINY, { 'lantern.json': text('{"examplePrompts": ["a red circle", "two green squares"]}') }));
    expect(ok.lantern?.examplePrompts).toEqual(['a red circle', 'two green squares']);
    const bad = await loadModelFolder(dirSource(TINY, { 'lantern.json': text('{"examplePrompts": ["a red circle", 3]}') })).catch((e) => e);
    expect(bad.problem).toBe('malformed-file');
    expect(bad.message).toBe('lantern.json: "examplePrompts" must be an array of strings');
  });

  it('says which tokenizer file is missing', async () => {
    const err = await loadModelFolder(dirSource(FLOAT_T, { 'tokenizer/merges.txt': null })).catch((e) => e);
    expect(err.message).toMatch(/needs tokenizer\.json, or vocab\.json \+ merges\.txt \(merges\.txt is missing\)/);
  });

  it('reads a part, and rejects a truncated graph', async () => {
    const folder = await loadModelFolder(dirSource(TINY));
    const unet = await readPart(folder, 'unet');
    expect(unet.model.length).toBeGreaterThan(1000);
    const broken = await loadModelFolder(dirSource(TINY, { 'unet/model.onnx': new Uint8Array(3) }));
    await expect(readPart(broken, 'unet')).rejects.toThrow(/unet\/model\.onnx: 3 bytes is not an ONNX model/);
    await expect(loadModelFolder(dirSource(TINY, { 'vae_decoder/model.onnx': null }))).rejects.toThrow(/no vae_decoder\/ graph/);
  });
});
