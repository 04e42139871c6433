import { describe, expect, it } from 'vitest';
import { writePngText } from '@/lib/png/chunks';
import { readPngSettings, restoreFromComfy } from '@/lib/png/restore';
import { tinyPng } from './helpers';

/** ComfyUI's default txt2img graph, API form, as its `prompt` chunk holds it. */
const comfyGraph = {
  '3': {
    class_type: 'KSampler',
    inputs: {
      seed: 156680208700286,
      steps: 20,
      cfg: 8,
      sampler_name: 'dpmpp_2m',
      scheduler: 'karras',
      denoise: 1,
      model: ['4', 0],
      positive: ['6', 0],
      negative: ['7', 0],
      latent_image: ['5', 0],
    },
  },
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'v1-5-pruned-emaonly.safetensors' } },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 768, batch_size: 1 } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'beautiful scenery nature glass bottle landscape, , purple galaxy bottle,', clip: ['4', 1] } },
  '7': { class_type: 'CLIPTextEncode', inputs: { text: 'text, watermark', clip: ['4', 1] } },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
};

describe('ComfyUI prompt graph', () => {
  it('maps KSampler, CLIPTextEncode and EmptyLatentImage', () => {
    const r = restoreFromComfy(JSON.stringify(comfyGraph));
    expect(r.params).toEqual({
      seed: 156680208700286,
      steps: 20,
      guidanceScale: 8,
      scheduler: 'dpmpp-2m-karras',
      prompt: 'beautiful scenery nature glass bottle landscape, , purple galaxy bottle,',
      negativePrompt: 'text, watermark',
      width: 512,
      height: 768,
    });
    expect(r.modelName).toBe('v1-5-pruned-emaonly.safetensors');
    expect(r.notUnderstood).toEqual([]);
  });

  it('says what it could not map: unknown sampler, linked text, img2img denoise, bad JSON', () => {
    const g = structuredClone(comfyGraph) as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
    g['3'].inputs.sampler_name = 'uni_pc';
    g['3'].inputs.denoise = 0.5;
    g['3'].inputs.cfg = 50;
    g['6'].inputs.text = ['9', 0];
    const r = restoreFromComfy(JSON.stringify(g));
    expect(r.params.scheduler).toBeUndefined();
    expect(r.params.prompt).toBeUndefined();
    expect(r.params.guidanceScale).toBeUndefined();
    expect(r.params.strength).toBe(0.5);
    expect(r.init).toBe(true);
    expect(r.notUnderstood).toEqual(
      expect.arrayContaining([
        'sampler_name: uni_pc (no such sampler in Lantern)',
        'positive: not a CLIPTextEncode with a text',
        'cfg: guidanceScale must be ≤ 20 (got 50)',
      ]),
    );
    expect(restoreFromComfy('{not json').notUnderstood).toEqual(['prompt: not JSON']);
    expect(restoreFromComfy('[]').notUnderstood).toEqual(['prompt: not a ComfyUI graph']);
    expect(restoreFromComfy('{}').notUnderstood).toEqual(['prompt: no KSampler node']);
  });
});

describe('readPngSettings', () => {
  it('prefers parameters (A1111) over prompt (ComfyUI) and names the source', async () => {
    const a1111 = 'cat\nSteps: 5, Sampler: Euler a, CFG scale: 7, Seed: 3, Size: 64x64, Version: v1.10.1';
    const both = writePngText(tinyPng(), [
      { keyword: 'prompt', text: JSON.stringify(comfyGraph) },
      { keyword: 'parameters', text: a1111 },
    ]);
    const r = await readPngSettings(both);
    expect(r).toMatchObject({ ok: true, source: 'a1111', settings: { params: { prompt: 'cat', steps: 5, scheduler: 'euler-ancestral' } } });
    const comfy = await readPngSettings(writePngText(tinyPng(), [{ keyword: 'prompt', text: JSON.stringify(comfyGraph) }]));
    expect(comfy).toMatchObject({ ok: true, source: 'comfyui', settings: { params: { steps: 20 } } });
  });

  it('answers not-png and no-settings as results', async () => {
    expect(await readPngSettings(new Uint8Array(0))).toMatchObject({ ok: false, reason: 'not-png' });
    expect(await readPngSettings(tinyPng())).toMatchObject({ ok: false, reason: 'no-settings' });
  });
});

describe("result-png (the studio's two calls)", () => {
  it('writeResultPng → readPngSettings gives the settings back', async () => {
    const { writeResultPng, readPngSettings: read } = await import('@/lib/png/result-png');
    const params = {
      prompt: '猫',
      negativePrompt: '',
      seed: 9,
      steps: 4,
      guidanceScale: 5,
      guidanceRescale: 0,
      scheduler: 'lcm' as const,
      width: 64,
      height: 128,
    };
    const png = writeResultPng(writeResultPng(tinyPng(), { params, modelName: 'old' }), {
      params,
      sampler: 'LCM',
      modelName: 'tiny-sd',
      modelHash: '0123456789',
    });
    const r = await read(png);
    expect(r).toMatchObject({ ok: true, source: 'lantern', settings: { params, modelName: 'tiny-sd', modelHash: '0123456789', notUnderstood: [] } });
  });
});
