/**
 * "Will it run here?" before a multi-GB download: estimates the memory a catalogue model needs
 * (weights per part by dtype, activations at the chosen size), with and without the low-memory
 * mode, picks the backend, judges both against the device's capabilities (lib/onnx/device-caps)
 * and the free storage, and picks the variant that runs. Pure: the same inputs give the same
 * report, and every reason names its numbers. The model and its assumptions: docs/catalog.md.
 */
import { FAMILIES } from '../diffusion/families/catalog';
import type { DeviceCaps, GpuCaps, StorageCaps } from '../onnx/device-caps';
import { entryVariants, partOf, type CatalogEntry, type CatalogFile, type ResolvedVariant } from './catalog';

export type FitBackend = 'webgpu' | 'wasm';
export type BackendPreference = 'auto' | FitBackend;
/** fits: runs; tight: runs near a limit (or only in low-memory mode); too-big: over a hard limit; needs-f16: fp16 graphs, a GPU without shader-f16, and wasm cannot hold them. */
export type FitVerdict = 'fits' | 'tight' | 'too-big' | 'needs-f16';
export type FitPart = 'text_encoder' | 'unet' | 'controlnet' | 'vae_decoder' | 'vae_encoder';

const GiB = 1024 ** 3;
/** wasm32 linear memory: 4 GiB at most (onnxruntime-web's large-model notes), weights and activations together. */
export const WASM_MEMORY_LIMIT = 4 * GiB;
/** Chrome's largest ArrayBuffer (0x7fe00000): a graph without external data is read as one. */
export const ARRAY_BUFFER_LIMIT = 0x7fe00000;
/** Above this share of a limit the verdict is "tight". */
export const TIGHT_SHARE = 0.75;
/** `navigator.deviceMemory` never reports more than this (Chrome caps it): at 8 the real amount is unknown. */
export const DEVICE_MEMORY_CAP_GIB = 8;
/** CLIP's prompt length. */
const TEXT_TOKENS = 77;

/**
 * Live tensors, in units of one top-level feature map (B × unetChannels × latent cells): the 12 skip
 * connections SD's U-Net keeps for its up path (1 620 channel-maps of 320-equivalents ≈ 5), the
 * GEGLU feed-forward's inner 2 560 channels (8) and ~4 working tensors.
 */
export const UNET_TOP_TENSORS = 17;
/** A ControlNet keeps its 13 residual outputs (≈ 5 feature maps) and ~1 working tensor. */
export const CONTROLNET_TOP_TENSORS = 6;
/** Text encoder: ~16 hidden-state-sized tensors (MLP 4× wide, attention, residuals). */
export const TEXT_TENSORS = 16;
/** VAE: input, output and a normalisation temporary of the largest full-resolution tensor. */
export const VAE_LIVE_TENSORS = 3;

export interface FitRequest {
  /** Image size; default the entry's. */
  width?: number;
  height?: number;
  /** Decides the CFG batch (2 when the family uses CFG and guidance > 1); default the entry's. */
  guidance?: number;
  /** Count the ControlNet (default: when the entry has one). */
  controlnet?: boolean;
  /** Count the VAE encoder (img2img); default false. */
  img2img?: boolean;
  backend?: BackendPreference;
  /** Bytes of this variant already in the cache (not downloaded again). */
  cachedBytes?: number;
}

export interface PartMemory {
  part: FitPart;
  /** Bytes of the part's graph + external data files, as downloaded. */
  fileBytes: number;
  /** Weights as held by the backend (wasm runs fp16 graphs with fp32 casts: twice the bytes). */
  weights: number;
  /** Peak of the tensors alive while the part runs. */
  activations: number;
  /** Its largest single tensor, and what it is. */
  largestBuffer: number;
  largestWhat: string;
}

export interface MemoryPhase {
  name: 'encode' | 'img2img-encode' | 'denoise' | 'decode';
  bytes: number;
}

export interface MemoryEstimate {
  backend: FitBackend;
  /** Bytes per activation element: 2 for fp16 graphs on WebGPU, 4 otherwise. */
  computeBytes: 2 | 4;
  batch: 1 | 2;
  width: number;
  height: number;
  parts: PartMemory[];
  /** Every part loaded at once: all weights + the largest part's activations. */
  peak: number;
  /** Low-memory mode: the U-Net (and ControlNet) stay loaded; the text encoder is released after encoding, the VAE loaded only to decode (encoder: to encode). */
  peakLowMemory: number;
  phasesLowMemory: MemoryPhase[];
  largestBuffer: { bytes: number; what: string };
}

export interface StorageFit {
  verdict: 'fits' | 'tight' | 'too-big' | 'unknown';
  /** Bytes still to download. */
  needed: number;
  /** quota − usage; null when the browser does not say. */
  free: number | null;
  reason: string;
}

export interface FitReport {
  entryId: string;
  variantId: string;
  variantLabel: string;
  verdict: FitVerdict;
  /** null: refused (no backend can run it). */
  backend: FitBackend | null;
  backendReason: string;
  /** Run in low-memory mode: everything at once does not fit, one part at a time does. */
  lowMemory: boolean;
  memory: MemoryEstimate;
  storage: StorageFit;
  /** Human-readable, with the numbers: shown before the download. */
  reasons: string[];
}

/** Decimal units, as the Hub shows sizes. */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

const isGraphBytes = (f: CatalogFile) => !f.path.endsWith('.json');
const needsF16 = (v: ResolvedVariant) => v.dtype.weights === 'fp16' || v.dtype.io === 'fp16';

/** Bytes of each part's graph and external data, as listed. */
export function partFileBytes(files: readonly CatalogFile[]): Partial<Record<FitPart, number>> {
  const out: Partial<Record<FitPart, number>> = {};
  for (const f of files) {
    const part = partOf(f.path);
    if (part && isGraphBytes(f)) out[part] = (out[part] ?? 0) + f.size;
  }
  return out;
}

/** Which backend runs the variant here, and why; null: none can. Mirrors lib/onnx/web.ts chooseBackend, plus the fp16 rule. */
export function chooseFitBackend(variant: ResolvedVariant, caps: DeviceCaps, pref: BackendPreference = 'auto'): { backend: FitBackend | null; reason: string } {
  if (pref === 'wasm') return { backend: 'wasm', reason: 'wasm chosen in settings' };
  const gpu = caps.gpu;
  if (!gpu) return { backend: 'wasm', reason: `${caps.gpuMissing ?? 'no WebGPU'}: wasm` };
  const name = [gpu.vendor, gpu.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  if (needsF16(variant) && !gpu.shaderF16) {
    if (pref === 'webgpu') return { backend: null, reason: `${variant.dtype.weights} graphs need shader-f16, which ${name} lacks` };
    return { backend: 'wasm', reason: `fp16 graphs need shader-f16, which ${name} lacks: wasm (slower)` };
  }
  if (gpu.software && pref === 'auto') return { backend: 'wasm', reason: `WebGPU adapter is software (${name}): wasm is faster` };
  return { backend: 'webgpu', reason: `WebGPU on ${name}` };
}

/** The memory the variant needs on `backend` (see docs/catalog.md for the model). */
export function estimateMemory(variant: ResolvedVariant, backend: FitBackend, req: FitRequest = {}): MemoryEstimate {
  const arch = variant.architecture;
  const width = req.width ?? variant.capabilities.size.width;
  const height = req.height ?? variant.capabilities.size.height;
  const guidance = req.guidance ?? variant.capabilities.guidance;
  const batch: 1 | 2 = FAMILIES[variant.family].classifierFreeGuidance && guidance > 1 ? 2 : 1;
  const fp16 = variant.dtype.weights === 'fp16';
  // onnxruntime's CPU kernels are fp32: fp16 nodes get Casts (InsertCastTransformer), and the cast weights are folded to fp32.
  const c: 2 | 4 = backend === 'webgpu' && fp16 ? 2 : 4;
  const weightFactor = backend === 'wasm' && fp16 ? 2 : 1;
  const weightBytes = fp16 && backend === 'webgpu' ? 2 : 4;

  const pixels = width * height;
  const cells = pixels / arch.vaeDownsample ** 2;
  const tokens = cells / arch.attentionTokenDivisor;
  const attention = batch * arch.attentionHeads * tokens * tokens * c;
  const topMap = batch * cells * arch.unetChannels * c;
  const midAttention = cells * cells * c;

  const files = partFileBytes(variant.files);
  const useControlnet = (req.controlnet ?? variant.capabilities.controlnet !== null) && files.controlnet !== undefined;
  const useEncoder = req.img2img === true && files.vae_encoder !== undefined;
  const parts: PartMemory[] = [];
  const add = (part: FitPart, activations: number, largestBuffer: number, largestWhat: string) => {
    const fileBytes = files[part] ?? 0;
    parts.push({ part, fileBytes, weights: fileBytes * weightFactor, activations, largestBuffer, largestWhat });
  };
  const embedding = arch.vocabSize * arch.textHidden * weightBytes;
  const hidden = batch * TEXT_TOKENS * arch.textHidden * c;
  add('text_encoder', hidden * TEXT_TENSORS, Math.max(embedding, hidden * 4), embedding >= hidden * 4 ? 'text encoder token embedding' : 'text encoder MLP');
  add('unet', attention + topMap * UNET_TOP_TENSORS, attention, `U-Net attention scores (${batch}×${arch.attentionHeads}×${tokens}²)`);
  if (useControlnet) add('controlnet', attention + topMap * CONTROLNET_TOP_TENSORS, attention, `ControlNet attention scores (${batch}×${arch.attentionHeads}×${tokens}²)`);
  const decoderMap = arch.vaeDecoderPeakChannels * pixels * c;
  add('vae_decoder', decoderMap * VAE_LIVE_TENSORS + midAttention, Math.max(decoderMap, midAttention), `VAE decoder ${arch.vaeDecoderPeakChannels}×${width}×${height} feature map`);
  if (useEncoder) {
    const encoderMap = arch.vaeEncoderPeakChannels * pixels * c;
    add('vae_encoder', encoderMap * VAE_LIVE_TENSORS + midAttention, Math.max(encoderMap, midAttention), `VAE encoder ${arch.vaeEncoderPeakChannels}×${width}×${height} feature map`);
  }

  const of = (p: FitPart) => parts.find((x) => x.part === p);
  const w = (p: FitPart) => of(p)?.weights ?? 0;
  const a = (p: FitPart) => of(p)?.activations ?? 0;
  const allWeights = parts.reduce((n, p) => n + p.weights, 0);
  const resident = w('unet') + w('controlnet');
  const phasesLowMemory: MemoryPhase[] = [
    { name: 'encode', bytes: resident + w('text_encoder') + a('text_encoder') },
    ...(useEncoder ? [{ name: 'img2img-encode' as const, bytes: resident + w('vae_encoder') + a('vae_encoder') }] : []),
    { name: 'denoise', bytes: resident + a('unet') + a('controlnet') },
    { name: 'decode', bytes: resident + w('vae_decoder') + a('vae_decoder') },
  ];
  const largest = parts.reduce((best, p) => (p.largestBuffer > best.largestBuffer ? p : best));
  return {
    backend,
    computeBytes: c,
    batch,
    width,
    height,
    parts,
    peak: allWeights + Math.max(a('text_encoder'), a('unet') + a('controlnet'), a('vae_decoder'), a('vae_encoder')),
    peakLowMemory: Math.max(...phasesLowMemory.map((p) => p.bytes)),
    phasesLowMemory,
    largestBuffer: { bytes: largest.largestBuffer, what: largest.largestWhat },
  };
}

/** Download size against `navigator.storage.estimate()`. */
export function judgeStorage(downloadBytes: number, storage: StorageCaps | null, cachedBytes = 0): StorageFit {
  const needed = Math.max(0, downloadBytes - cachedBytes);
  if (!storage) return { verdict: 'unknown', needed, free: null, reason: `needs ${formatBytes(needed)} of storage; this browser does not say how much is free` };
  const free = Math.max(0, storage.quota - storage.usage);
  const say = `needs ${formatBytes(needed)} of storage, ${formatBytes(free)} free`;
  if (needed > free) return { verdict: 'too-big', needed, free, reason: `${say}: free some space (delete a cached model) first` };
  if (needed > free * TIGHT_SHARE) return { verdict: 'tight', needed, free, reason: `${say}: it fits, with little room left` };
  return { verdict: 'fits', needed, free, reason: say };
}

interface Judged {
  verdict: Exclude<FitVerdict, 'needs-f16'>;
  lowMemory: boolean;
  reasons: string[];
}

/** Memory judgement against one limit (`limit` bytes, hard: over it fails). */
function againstLimit(m: MemoryEstimate, limit: number, what: string): Judged {
  const peak = `${formatBytes(m.peak)} with every part loaded`;
  const low = `${formatBytes(m.peakLowMemory)} in low-memory mode`;
  if (m.peak <= limit * TIGHT_SHARE) return { verdict: 'fits', lowMemory: false, reasons: [`needs about ${peak}, within ${what} (${formatBytes(limit)})`] };
  if (m.peak <= limit) return { verdict: 'tight', lowMemory: false, reasons: [`needs about ${peak}, close to ${what} (${formatBytes(limit)})`] };
  if (m.peakLowMemory <= limit) return { verdict: 'tight', lowMemory: true, reasons: [`needs about ${peak}, more than ${what} (${formatBytes(limit)}); ${low} fits: low-memory mode`] };
  return { verdict: 'too-big', lowMemory: true, reasons: [`needs about ${peak} and ${low}, more than ${what} (${formatBytes(limit)})`] };
}

function judgeWebGpu(m: MemoryEstimate, gpu: GpuCaps, caps: DeviceCaps): Judged {
  const reasons: string[] = [];
  const binding = Math.min(gpu.maxBufferSize, gpu.maxStorageBufferBindingSize);
  if (m.largestBuffer.bytes > binding) {
    const limitName = gpu.maxStorageBufferBindingSize <= gpu.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
    return {
      verdict: 'too-big',
      lowMemory: false,
      reasons: [`its largest tensor, the ${m.largestBuffer.what}, is ${formatBytes(m.largestBuffer.bytes)} at ${m.width}×${m.height}: more than this GPU's ${limitName} (${formatBytes(binding)}); try a smaller size`],
    };
  }
  // Each graph passes through onnxruntime-web's wasm memory while its session is created.
  const biggest = m.parts.reduce((b, p) => (p.fileBytes > b.fileBytes ? p : b));
  if (biggest.fileBytes > WASM_MEMORY_LIMIT) {
    return { verdict: 'too-big', lowMemory: false, reasons: [`${biggest.part} is ${formatBytes(biggest.fileBytes)}: more than the ${formatBytes(WASM_MEMORY_LIMIT)} of wasm memory it is loaded through`] };
  }
  reasons.push(`largest tensor ${formatBytes(m.largestBuffer.bytes)} (${m.largestBuffer.what}) within the GPU's buffer limit (${formatBytes(binding)})`);
  const mem = caps.deviceMemoryGiB;
  if (mem !== null && mem < DEVICE_MEMORY_CAP_GIB) {
    const judged = againstLimit(m, mem * GiB, `this device's ${mem} GiB of memory`);
    return { ...judged, reasons: [...reasons, ...judged.reasons] };
  }
  reasons.push(`needs about ${formatBytes(m.peak)} of GPU memory (${formatBytes(m.peakLowMemory)} in low-memory mode); the browser does not say how much this GPU has`);
  return { verdict: 'fits', lowMemory: false, reasons };
}

function judgeWasm(m: MemoryEstimate, caps: DeviceCaps): Judged {
  const memGiB = caps.deviceMemoryGiB;
  const deviceLimit = memGiB !== null && memGiB < DEVICE_MEMORY_CAP_GIB ? memGiB * GiB : Infinity;
  const limit = Math.min(WASM_MEMORY_LIMIT, deviceLimit);
  const judged = againstLimit(m, limit, limit === WASM_MEMORY_LIMIT ? 'the 4 GiB wasm memory' : `this device's ${memGiB} GiB of memory`);
  const graphs = m.parts.filter((p) => p.fileBytes > ARRAY_BUFFER_LIMIT);
  if (graphs.length > 0) judged.reasons.push(`${graphs[0].part} is ${formatBytes(graphs[0].fileBytes)}: read in pieces (external data), never as one buffer`);
  return judged;
}

const RANK: Record<FitVerdict, number> = { fits: 0, tight: 1, 'needs-f16': 2, 'too-big': 3 };

/** Will this variant run here? */
export function judgeVariant(variant: ResolvedVariant, caps: DeviceCaps, req: FitRequest = {}): FitReport {
  const choice = chooseFitBackend(variant, caps, req.backend);
  const backend = choice.backend ?? 'webgpu';
  const memory = estimateMemory(variant, backend, req);
  const storage = judgeStorage(
    variant.files.reduce((n, f) => n + f.size, 0),
    caps.storage,
    req.cachedBytes,
  );
  const base = { entryId: variant.entryId, variantId: variant.id, variantLabel: variant.label, memory, storage, backendReason: choice.reason };
  if (choice.backend === null) {
    return { ...base, verdict: 'needs-f16', backend: null, lowMemory: false, reasons: [choice.reason, storage.reason] };
  }
  const judged = backend === 'webgpu' && caps.gpu ? judgeWebGpu(memory, caps.gpu, caps) : judgeWasm(memory, caps);
  let verdict: FitVerdict = judged.verdict;
  const reasons = [choice.reason, ...judged.reasons];
  // fp16 sent to wasm for want of shader-f16, and too big there: the GPU's missing fp16 is the cause.
  if (verdict === 'too-big' && backend === 'wasm' && needsF16(variant) && caps.gpu && !caps.gpu.shaderF16) verdict = 'needs-f16';
  if (storage.verdict === 'too-big') verdict = 'too-big';
  else if (storage.verdict === 'tight' && verdict === 'fits') verdict = 'tight';
  reasons.push(storage.reason);
  return { ...base, verdict, backend, lowMemory: judged.lowMemory, reasons };
}

/** Judges every variant of the entry; `best` is the one that runs best here (ties: the entry's order, its own files first). */
export function judgeEntry(entry: CatalogEntry, caps: DeviceCaps, req: FitRequest = {}): { best: FitReport; all: FitReport[] } {
  const all = entryVariants(entry).map((v) => judgeVariant(v, caps, req));
  const best = all.reduce((b, r) => (RANK[r.verdict] < RANK[b.verdict] || (RANK[r.verdict] === RANK[b.verdict] && r.lowMemory === false && b.lowMemory) ? r : b));
  return { best, all };
}
