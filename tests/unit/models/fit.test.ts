/**
 * "Will it run here?" on made-up devices. Every expected number is worked out by hand from the
 * memory model in docs/catalog.md (weights = listed graph bytes, ×2 on wasm for fp16; activations
 * from the attention scores, the top-level feature maps and the VAE's full-resolution tensors).
 */
import { describe, expect, it } from 'vitest';
import { CATALOG, downloadBytes, entryVariants, type CatalogEntry } from '@/lib/models/catalog';
import { chooseFitBackend, estimateMemory, judgeEntry, judgeStorage, judgeVariant, WASM_MEMORY_LIMIT } from '@/lib/models/fit';
import { gpuCapsOf, readDeviceCaps, type DeviceCaps, type GpuCaps } from '@/lib/onnx/device-caps';

const GiB = 1024 ** 3;
const entry = (id: string): CatalogEntry => CATALOG.find((e) => e.id === id)!;
const variant = (id: string, v = 'default') => entryVariants(entry(id)).find((x) => x.id === v)!;

const gpu = (over: Partial<GpuCaps>): GpuCaps => ({
  maxBufferSize: 4 * GiB,
  maxStorageBufferBindingSize: 4 * GiB,
  shaderF16: true,
  vendor: 'test',
  architecture: 'hw',
  description: '',
  software: false,
  ...over,
});
const device = (g: GpuCaps | null, over: Partial<DeviceCaps> = {}): DeviceCaps => ({
  gpu: g,
  ...(g ? {} : { gpuMissing: 'this browser has no WebGPU' }),
  deviceMemoryGiB: 8,
  cores: 8,
  crossOriginIsolated: true,
  storage: { quota: 100e9, usage: 0, persisted: true },
  ...over,
});

/** A 4 GB-buffer adapter with shader-f16. */
const BIG_F16 = device(gpu({}));
/** SwiftShader-like: 1 GiB max buffer, no shader-f16, software. */
const SWIFTSHADER = device(gpu({ maxBufferSize: GiB, maxStorageBufferBindingSize: GiB, shaderF16: false, vendor: 'google', architecture: 'swiftshader', software: true }));
/** No WebGPU at all. */
const NO_WEBGPU = device(null);
/** A hardware GPU without shader-f16, 2 GiB buffers. */
const HW_NO_F16 = device(gpu({ maxBufferSize: 2 * GiB, maxStorageBufferBindingSize: 2 * GiB, shaderF16: false }));

describe('estimateMemory', () => {
  it('SD-Turbo at 512² on WebGPU fp16: batch 1 (guidance 0), 2-byte activations', () => {
    const m = estimateMemory(variant('sd-turbo'), 'webgpu');
    expect(m).toMatchObject({ batch: 1, computeBytes: 2, width: 512, height: 512 });
    const part = (p: string) => m.parts.find((x) => x.part === p)!;
    expect(part('text_encoder')).toMatchObject({ weights: 681e6, activations: 1 * 77 * 1024 * 16 * 2, largestBuffer: 49408 * 1024 * 2 });
    // attention scores 1×5×4096²×2 = 167 772 160; feature maps 4096×320×17×2 = 44 564 480
    expect(part('unet')).toMatchObject({ weights: 1.73e9, activations: 212_336_640, largestBuffer: 167_772_160 });
    // 3 × 256×512²×2 + 4096²×2
    expect(part('vae_decoder')).toMatchObject({ weights: 99.1e6, activations: 436_207_616, largestBuffer: 134_217_728 });
    expect(m.parts.map((p) => p.part)).toEqual(['text_encoder', 'unet', 'vae_decoder']);
    expect(m.peak).toBe(681e6 + 1.73e9 + 99.1e6 + 436_207_616);
    expect(m.phasesLowMemory).toEqual([
      { name: 'encode', bytes: 1.73e9 + 681e6 + 2_523_136 },
      { name: 'denoise', bytes: 1.73e9 + 212_336_640 },
      { name: 'decode', bytes: 1.73e9 + 99.1e6 + 436_207_616 },
    ]);
    expect(m.peakLowMemory).toBe(2_413_523_136);
    expect(m.largestBuffer).toEqual({ bytes: 167_772_160, what: 'U-Net attention scores (1×5×4096²)' });
  });

  it('the same graphs on wasm: fp32 casts double the fp16 weights, 4-byte activations', () => {
    const m = estimateMemory(variant('sd-turbo'), 'wasm');
    expect(m.computeBytes).toBe(4);
    expect(m.parts.map((p) => p.weights)).toEqual([1.362e9, 3.46e9, 198.2e6]);
    expect(m.peak).toBe(5.0202e9 + 872_415_232);
    expect(m.peakLowMemory).toBe(3.46e9 + 1.362e9 + 5_046_272);
  });

  it('SD 1.5 + scribble with CFG: batch 2, the ControlNet and its residuals counted while denoising, img2img adds the encoder', () => {
    const m = estimateMemory(variant('sd15-scribble'), 'webgpu', { img2img: true });
    expect(m.batch).toBe(2);
    const part = (p: string) => m.parts.find((x) => x.part === p)!;
    // attention 2×8×4096²×2 = 536 870 912; feature map 2×4096×320×2 = 5 242 880
    expect(part('unet').activations).toBe(536_870_912 + 5_242_880 * 17);
    expect(part('controlnet')).toMatchObject({ weights: 736e6, activations: 536_870_912 + 5_242_880 * 6 });
    expect(part('vae_encoder')).toMatchObject({ weights: 68.4e6, activations: 3 * 128 * 262_144 * 2 + 4096 * 4096 * 2 });
    const weights = 246e6 + 1.72e9 + 736e6 + 99.1e6 + 68.4e6;
    expect(m.peak).toBe(weights + 625_999_872 + 568_328_192);
    expect(m.phasesLowMemory.map((p) => p.name)).toEqual(['encode', 'img2img-encode', 'denoise', 'decode']);
    expect(m.phasesLowMemory[2].bytes).toBe(1.72e9 + 736e6 + 625_999_872 + 568_328_192);
  });

  it('guidance ≤ 1 drops the CFG batch', () => {
    expect(estimateMemory(variant('sd15'), 'webgpu', { guidance: 1 }).batch).toBe(1);
    expect(estimateMemory(variant('sd15'), 'webgpu').batch).toBe(2);
  });
});

describe('judging on made-up devices', () => {
  it('a 4 GB-buffer adapter with f16 runs SD-Turbo on WebGPU', () => {
    const r = judgeVariant(variant('sd-turbo'), BIG_F16);
    expect(r).toMatchObject({ verdict: 'fits', backend: 'webgpu', lowMemory: false });
    expect(r.reasons.join('\n')).toContain('largest tensor 167.8 MB (U-Net attention scores (1×5×4096²))');
    expect(r.reasons.join('\n')).toContain('needs about 2.95 GB of GPU memory (2.41 GB in low-memory mode)');
  });

  it('SwiftShader without f16: SD-Turbo goes to wasm, which cannot hold it: needs-f16, naming the numbers', () => {
    const r = judgeVariant(variant('sd-turbo'), SWIFTSHADER);
    expect(r.backend).toBe('wasm');
    expect(r.verdict).toBe('needs-f16');
    expect(r.backendReason).toBe('fp16 graphs need shader-f16, which google swiftshader lacks: wasm (slower)');
    // 5.89 GB all loaded, 4.83 GB in low-memory mode, against 4 GiB = 4.29 GB
    expect(r.reasons.join('\n')).toContain('needs about 5.89 GB with every part loaded and 4.83 GB in low-memory mode, more than the 4 GiB wasm memory (4.29 GB)');
  });

  it('forcing WebGPU on a GPU without f16 refuses the fp16 graphs', () => {
    const r = judgeVariant(variant('sd-turbo'), SWIFTSHADER, { backend: 'webgpu' });
    expect(r).toMatchObject({ verdict: 'needs-f16', backend: null });
    expect(r.reasons[0]).toBe('fp16 graphs need shader-f16, which google swiftshader lacks');
  });

  it('no WebGPU: SD-Turbo is too big for wasm (no GPU to blame), lantern-shapes fits', () => {
    const turbo = judgeVariant(variant('sd-turbo'), NO_WEBGPU);
    expect(turbo).toMatchObject({ verdict: 'too-big', backend: 'wasm' });
    expect(turbo.reasons[0]).toBe('this browser has no WebGPU: wasm');
    const shapes = judgeVariant(variant('lantern-shapes'), NO_WEBGPU);
    expect(shapes).toMatchObject({ verdict: 'fits', backend: 'wasm' });
    // weights 2 793 775 + 19 138 644 + 8 360 940 + 3 151 232; VAE decoder 3×64×64²×4 + 256²×4 is the largest part's activations
    expect(shapes.memory.peak).toBe(33_444_591 + 3_407_872);
    expect(shapes.reasons.join('\n')).toContain('needs about 36.9 MB with every part loaded, within the 4 GiB wasm memory (4.29 GB)');
  });

  it('SwiftShader with auto and an fp32 model: wasm, because the adapter is software', () => {
    expect(chooseFitBackend(variant('lcm-dreamshaper-v7', 'fp32'), SWIFTSHADER)).toEqual({ backend: 'wasm', reason: 'WebGPU adapter is software (google swiftshader): wasm is faster' });
    expect(chooseFitBackend(variant('lcm-dreamshaper-v7', 'fp32'), SWIFTSHADER, 'webgpu').backend).toBe('webgpu');
  });

  it('picks the variant that fits: a GPU without f16 gets LCM fp32 on WebGPU, not fp16 on wasm', () => {
    const { best, all } = judgeEntry(entry('lcm-dreamshaper-v7'), HW_NO_F16);
    expect(all.map((r) => [r.variantId, r.verdict, r.backend])).toEqual([
      ['default', 'needs-f16', 'wasm'],
      ['fp32', 'fits', 'webgpu'],
    ]);
    expect(best.variantId).toBe('fp32');
    // fp32 LCM, batch 1: attention 1×8×4096²×4 = 536 870 912 is its largest tensor, under 2 GiB
    expect(best.memory.largestBuffer.bytes).toBe(536_870_912);
    // and with f16 the fp16 download (less than half the bytes) is the pick
    expect(judgeEntry(entry('lcm-dreamshaper-v7'), BIG_F16).best.variantId).toBe('default');
  });

  it('a tensor over the binding limit is too big at 512², fits at 384²', () => {
    const small = device(gpu({ maxStorageBufferBindingSize: 256 * 1024 * 1024 }));
    const at512 = judgeVariant(variant('sd15'), small);
    expect(at512.verdict).toBe('too-big');
    expect(at512.reasons.join('\n')).toContain('its largest tensor, the U-Net attention scores (2×8×4096²), is 536.9 MB at 512×512: more than this GPU\'s maxStorageBufferBindingSize (268.4 MB)');
    // 2×8×2304²×2 = 169 869 312
    const at384 = judgeVariant(variant('sd15'), small, { width: 384, height: 384 });
    expect(at384.verdict).toBe('fits');
    expect(at384.memory.largestBuffer.bytes).toBe(169_869_312);
  });

  it('4 GiB of device memory: SD 1.5 + scribble is tight (4.00 GB of 4.29 GB)', () => {
    const r = judgeVariant(variant('sd15-scribble'), device(gpu({}), { deviceMemoryGiB: 4 }));
    expect(r.memory.peak).toBe(2.8011e9 + 1_194_328_064);
    expect(r).toMatchObject({ verdict: 'tight', lowMemory: false });
    expect(r.reasons.join('\n')).toContain("needs about 4.00 GB with every part loaded, close to this device's 4 GiB of memory (4.29 GB)");
  });

  it('low-memory mode: fp32 LCM on wasm at 384² fits only one part at a time', () => {
    const r = judgeVariant(variant('lcm-dreamshaper-v7', 'fp32'), NO_WEBGPU, { width: 384, height: 384 });
    // weights 493e6 + 3.44195e9 + 198e6; VAE decoder at 384²: 3×256×147 456×4 + 2304²×4 = 474 218 496
    expect(r.memory.peak).toBe(4.13295e9 + 474_218_496);
    // decode: U-Net + VAE decoder + its activations
    expect(r.memory.peakLowMemory).toBe(3.44195e9 + 198e6 + 474_218_496);
    expect(r.memory.peakLowMemory).toBeLessThan(WASM_MEMORY_LIMIT);
    expect(r).toMatchObject({ verdict: 'tight', lowMemory: true });
    expect(r.reasons.join('\n')).toContain('4.11 GB in low-memory mode fits: low-memory mode');
    expect(judgeVariant(variant('lcm-dreamshaper-v7', 'fp32'), NO_WEBGPU).verdict).toBe('too-big');
  });
});

describe('storage', () => {
  it('compares the download with the free quota, minus what is cached', () => {
    expect(judgeStorage(3e9, { quota: 10e9, usage: 1e9, persisted: false })).toEqual({ verdict: 'fits', needed: 3e9, free: 9e9, reason: 'needs 3.00 GB of storage, 9.00 GB free' });
    expect(judgeStorage(3e9, { quota: 3.5e9, usage: 0, persisted: false }).verdict).toBe('tight');
    expect(judgeStorage(3e9, { quota: 2e9, usage: 0, persisted: false })).toMatchObject({ verdict: 'too-big', reason: 'needs 3.00 GB of storage, 2.00 GB free: free some space (delete a cached model) first' });
    expect(judgeStorage(3e9, { quota: 2e9, usage: 0, persisted: false }, 2.5e9)).toMatchObject({ verdict: 'fits', needed: 0.5e9 });
    expect(judgeStorage(3e9, null).verdict).toBe('unknown');
  });

  it('a full disk makes a model that fits in memory too big to download', () => {
    const r = judgeVariant(variant('sd-turbo'), device(gpu({}), { storage: { quota: 1e9, usage: 0, persisted: null } }));
    expect(r.verdict).toBe('too-big');
    expect(r.storage.needed).toBe(downloadBytes(variant('sd-turbo').files));
    expect(r.reasons.at(-1)).toMatch(/^needs 2\.58 GB of storage, 1\.00 GB free/);
  });
});

describe('readDeviceCaps', () => {
  it('reads an adapter, memory and storage into plain data that survives structuredClone', async () => {
    const nav = {
      gpu: {
        requestAdapter: async () => ({
          limits: { maxBufferSize: 2 * GiB, maxStorageBufferBindingSize: GiB },
          features: new Set(['shader-f16']),
          info: { vendor: 'nvidia', architecture: 'ampere', description: '' },
        }),
      },
      deviceMemory: 8,
      hardwareConcurrency: 12,
      storage: { estimate: async () => ({ quota: 50e9, usage: 1e9 }), persisted: async () => false },
    };
    const caps = await readDeviceCaps(nav);
    expect(caps).toEqual({
      gpu: { maxBufferSize: 2 * GiB, maxStorageBufferBindingSize: GiB, shaderF16: true, vendor: 'nvidia', architecture: 'ampere', description: '', software: false },
      deviceMemoryGiB: 8,
      cores: 12,
      crossOriginIsolated: false,
      storage: { quota: 50e9, usage: 1e9, persisted: false },
    });
    expect(structuredClone(caps)).toEqual(caps);
  });

  it('is robust without WebGPU, without an adapter, when requestAdapter throws, and without navigator', async () => {
    expect(await readDeviceCaps({})).toMatchObject({ gpu: null, gpuMissing: 'this browser has no WebGPU', deviceMemoryGiB: null, storage: null });
    expect((await readDeviceCaps({ gpu: { requestAdapter: async () => null } })).gpuMissing).toBe('no WebGPU adapter available');
    const failing = { gpu: { requestAdapter: async () => Promise.reject(new Error('blocked')) } };
    expect((await readDeviceCaps(failing)).gpuMissing).toBe('requesting a WebGPU adapter failed: blocked');
    expect((await readDeviceCaps(undefined)).gpu).toBeNull();
  });

  it('marks SwiftShader and fallback adapters as software', () => {
    expect(gpuCapsOf({ info: { architecture: 'swiftshader' } }).software).toBe(true);
    expect(gpuCapsOf({ info: { isFallbackAdapter: true } }).software).toBe(true);
    expect(gpuCapsOf({ isFallbackAdapter: true }).software).toBe(true);
    expect(gpuCapsOf({ info: { architecture: 'rdna-3' } })).toMatchObject({ software: false, shaderF16: false, maxBufferSize: 0 });
  });
});
