/**
 * Broken model folders fail with a message naming the file, and nothing else breaks: a good
 * folder loads right after. Folders: tests/fixtures/replicas/bad/ (made by
 * training/replicas/make_replicas.py); the truncated data file is made here.
 */
import { cpSync, mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPipeline, releasePipeline } from '@/lib/diffusion/load-pipeline';
import { ModelFolderError } from '@/lib/errors';
import { loadModelFolder } from '@/lib/models/load-folder';
import { createNodeSessionFactory } from '@/lib/onnx/node';
import { dirSource } from '../helpers/dir-source';

const factory = createNodeSessionFactory({ intraOpNumThreads: 1 });
const open = async (folder: string) => loadPipeline(await loadModelFolder(dirSource(folder)), factory);
const failure = (folder: string) =>
  open(folder).then(
    () => null,
    (e: unknown) => e as ModelFolderError,
  );
const tmp = mkdtempSync(join(tmpdir(), 'lantern-bad-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('bad model folders', () => {
  it('an external-data location that leaves the folder', async () => {
    const err = await failure('tests/fixtures/replicas/bad/escaping-location');
    expect(err).toBeInstanceOf(ModelFolderError);
    expect(err?.code).toBe('model-malformed');
    expect(err?.file).toBe('unet/model.onnx');
    expect(err?.message).toMatch(/unet\/model\.onnx: external data location "\.\.\/x\.bin" leaves the model folder/);
  });

  it('a graph naming an external file that is absent', async () => {
    const err = await failure('tests/fixtures/replicas/bad/missing-external');
    expect(err).toBeInstanceOf(ModelFolderError);
    expect(err?.code).toBe('model-missing-file');
    expect(err?.file).toBe('unet/model.onnx_data');
    expect(err?.message).toMatch(/unet\/model\.onnx_data: not found, but unet\/model\.onnx keeps its weights there/);
  });

  it('a part folder with no graph', async () => {
    const err = await failure('tests/fixtures/replicas/bad/empty-part');
    expect(err).toBeInstanceOf(ModelFolderError);
    expect(err?.code).toBe('model-missing-file');
    expect(err?.file).toBe('unet/');
    expect(err?.message).toMatch(/unet\/: holds no ONNX graph/);
  });

  it('a truncated external-data file (an interrupted download)', async () => {
    const folder = join(tmp, 'truncated');
    cpSync('models/fixtures/replicas/optimum-lcm-dreamshaper', folder, { recursive: true });
    const data = join(folder, 'unet', 'model.onnx_data');
    const size = statSync(data).size;
    truncateSync(data, size - 100);
    const err = await failure(folder);
    expect(err).toBeInstanceOf(ModelFolderError);
    expect(err?.code).toBe('model-malformed');
    expect(err?.message).toMatch(
      new RegExp(`unet/model\\.onnx_data: ${size - 100} bytes, but unet/model\\.onnx reads up to byte ${size} — the file is truncated`),
    );
  });

  it('leaves nothing broken: a good folder loads and runs right after', async () => {
    await failure('tests/fixtures/replicas/bad/missing-external');
    const models = await open('models/fixtures/replicas/optimum-lcm-dreamshaper');
    expect(models.family.family.id).toBe('lcm');
    await releasePipeline(models);
  });
});
