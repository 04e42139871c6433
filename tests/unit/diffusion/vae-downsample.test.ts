import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generate } from '@/lib/diffusion/pipeline';
import { loadPipeline } from '@/lib/diffusion/load-pipeline';
import { loadModelFolder } from '@/lib/models/load-folder';
import { fakeSessionFactory } from '../../helpers/fake-sessions';
import { dirSource, text } from '../../helpers/dir-source';

const lantern = JSON.parse(readFileSync('models/fixtures/tiny-sd/lantern.json', 'utf8'));
const params = {
  prompt: 'a red circle',
  negativePrompt: '',
  seed: 1,
  steps: 2,
  guidanceScale: 7.5,
  guidanceRescale: 0,
  scheduler: 'ddim' as const,
  width: 64,
  height: 48,
};

describe('VAE downsample factor from the folder', () => {
  it('is 8 by default (SD) and sizes the latents accordingly', async () => {
    const folder = await loadModelFolder(dirSource('models/fixtures/tiny-sd'));
    expect(folder.vaeDownsample).toBe(8);
    const r = await generate(await loadPipeline(folder, fakeSessionFactory()), params);
    expect(r.latents.dims).toEqual([1, 4, 6, 8]);
  });

  it("follows lantern.json's vaeDownsampleFactor (the shapes VAE uses 4)", async () => {
    const source = dirSource('models/fixtures/tiny-sd', { 'lantern.json': text(JSON.stringify({ ...lantern, vaeDownsampleFactor: 4 })) });
    const folder = await loadModelFolder(source);
    const r = await generate(await loadPipeline(folder, fakeSessionFactory()), params);
    expect(r.latents.dims).toEqual([1, 4, 12, 16]);
    await expect(generate(await loadPipeline(folder, fakeSessionFactory()), { ...params, width: 66 })).rejects.toThrow(
      /width must be a positive multiple of 4 \(got 66\)/,
    );
  });

  it("derives it from a diffusers vae config's block_out_channels", async () => {
    const source = dirSource('models/fixtures/tiny-sd', { 'vae_decoder/config.json': text('{"block_out_channels": [64, 128, 256]}') });
    expect((await loadModelFolder(source)).vaeDownsample).toBe(4);
  });

  it('rejects a malformed factor, naming the file', async () => {
    const source = dirSource('models/fixtures/tiny-sd', { 'lantern.json': text(JSON.stringify({ ...lantern, vaeDownsampleFactor: 2.5 })) });
    await expect(loadModelFolder(source)).rejects.toThrow(/lantern\.json: "vaeDownsampleFactor" must be a positive integer \(got 2.5\)/);
  });
});
