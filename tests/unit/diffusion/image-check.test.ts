import { describe, expect, it } from 'vitest';
import { NonFiniteOutputError } from '@/lib/errors';
import { checkDecoded, countNonFinite, flatImageWarning } from '@/lib/diffusion/image-check';
import { generate } from '@/lib/diffusion/pipeline';
import { loadPipeline } from '@/lib/diffusion/load-pipeline';
import { loadModelFolder } from '@/lib/models/load-folder';
import type { ModelSession, SessionFactory } from '@/lib/onnx/types';
import { tensor, type Tensor } from '@/lib/tensor/tensor';
import { fakeSessionFactory } from '../../helpers/fake-sessions';
import { dirSource } from '../../helpers/dir-source';

const params = {
  prompt: 'a red circle',
  negativePrompt: '',
  seed: 1,
  steps: 3,
  guidanceScale: 7.5,
  guidanceRescale: 0,
  scheduler: 'ddim' as const,
  width: 64,
  height: 64,
};

/** The fake factory, with one part's outputs rewritten by `map`. */
function factoryWith(part: string, map: (out: Tensor) => Tensor): SessionFactory & { runs: string[] } {
  const base = fakeSessionFactory();
  return {
    ...base,
    async create(files) {
      const s = await base.create(files);
      if (!files.label.startsWith(`${part}/`)) return s;
      const wrapped: ModelSession = {
        ...s,
        async run(feeds) {
          const out = await s.run(feeds);
          return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, map(v)]));
        },
      };
      return wrapped;
    },
  };
}

const withNaN = (t: Tensor) => {
  const data = Float32Array.from(t.data);
  for (let i = 0; i < data.length; i += 7) data[i] = NaN;
  return tensor(t.dims, data);
};

async function run(factory: SessionFactory) {
  const models = await loadPipeline(await loadModelFolder(dirSource('models/fixtures/tiny-sd')), factory);
  return generate(models, params);
}

describe('NaN and flat images after decoding', () => {
  it('a VAE decoder that outputs NaN: NonFiniteOutputError naming the file and the fp32/wasm way out', async () => {
    const err = await run(factoryWith('vae_decoder', withNaN)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteOutputError);
    const e = err as NonFiniteOutputError;
    expect(e.code).toBe('non-finite-output');
    expect(e.stage).toBe('vae-decode');
    expect(e.label).toBe('vae_decoder/model.onnx');
    expect(e.count).toBe(Math.ceil((3 * 64 * 64) / 7));
    expect(e.message).toMatch(
      /^vae_decoder\/model\.onnx produced NaN\/∞ in 1756 of 12288 values: an fp16 VAE overflow\? try the fp32 VAE or the wasm backend$/,
    );
  });

  it('a U-Net that outputs NaN: stops at the step it happened, naming the U-Net', async () => {
    const factory = factoryWith('unet', withNaN);
    const err = await run(factory).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteOutputError);
    expect(err).toMatchObject({ code: 'non-finite-output', stage: 'denoising', label: 'unet/model.onnx' });
    expect((err as Error).message).toMatch(/^the latents became NaN\/∞ at step 1 of 3 \(timestep \d+; \d+ of 256 values\) from unet\/model\.onnx/);
    expect(factory.runs.filter((r) => r.startsWith('unet/'))).toHaveLength(1);
    expect(factory.runs.some((r) => r.startsWith('vae_decoder/'))).toBe(false);
  });

  it('a healthy run has no warnings', async () => {
    expect((await run(fakeSessionFactory())).warnings).toEqual([]);
  });

  it('an all-black decode is kept, with a warning', async () => {
    const r = await run(factoryWith('vae_decoder', (t) => tensor(t.dims, new Float32Array(t.data.length).fill(-1))));
    expect(r.image.data.every((v) => v === 0)).toBe(true);
    expect(r.warnings).toEqual([
      'the image is all black: vae_decoder/model.onnx decoded no detail; an fp16 VAE that overflowed, or a model whose parts do not belong together? try the fp32 VAE or the wasm backend',
    ]);
  });

  it('flatImageWarning: one flat colour is named; one level of detail is enough to pass', () => {
    const flat = { width: 2, height: 1, data: Float32Array.from([1, 0.5, 0, 1, 0.5, 0]) };
    expect(flatImageWarning(flat, 'vae')).toMatch(/^the image is one flat colour \(rgb 255, 128, 0\): vae decoded no detail/);
    const detail = { width: 2, height: 1, data: Float32Array.from([1, 0.5, 0, 1, 0.5, 1 / 255]) };
    expect(flatImageWarning(detail, 'vae')).toBeNull();
    expect(flatImageWarning({ width: 0, height: 0, data: new Float32Array(0) }, 'vae')).toBeNull();
  });

  it('countNonFinite / checkDecoded count NaN and ±∞, pass finite data', () => {
    expect(countNonFinite([0, NaN, Infinity, -Infinity, 1])).toBe(3);
    expect(() => checkDecoded([0, 1, -1], 'vae_decoder/model.onnx')).not.toThrow();
    expect(() => checkDecoded([0, -Infinity], 'vae_decoder/model.onnx')).toThrow(/1 of 2 values/);
  });
});
