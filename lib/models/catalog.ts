/**
 * The model catalogue: curated public repos that run in a browser, plus the embedded
 * lantern-shapes. One home for the entries (the picker, the CLI and the fit check read them).
 *
 * Sizes are the Hub's own file listings as read on the pages named in each entry's `sources`
 * (the Hub is not reachable from where this was written: the pages are stored copies). The Hub
 * shows large files rounded ("1.73 GB" = 10^9 bytes): those sizes are marked `approx` and say
 * where the estimate comes from; small files show exact bytes. The download itself always uses
 * the tree API's exact sizes and sha256 (lib/hub), never these numbers. docs/catalog.md has the
 * entries, their sources and the memory model (lib/models/fit.ts).
 */
import { LanternError, type LanternErrorCode } from '../errors';
import { FAMILY_IDS, type FamilyId } from '../diffusion/families/types';

/** Where the files come from: a Hub repo at a revision (`subfolder` "" = the top), or a plain base URL (the embedded model). */
export type CatalogSource = { kind: 'hub'; repo: string; revision: string; subfolder: string } | { kind: 'url'; baseUrl: string };

/** A file that comes from another repo or path than the entry's source (a ControlNet from a second repo, a U-Net moved to `unet/`). */
export interface FileOrigin {
  repo: string;
  revision: string;
  /** Path inside that repo. */
  path: string;
}

export interface CatalogFile {
  /** Path inside the assembled model folder, e.g. "unet/model.onnx". */
  path: string;
  /** Bytes; when `approx`, the Hub's rounded figure (or the estimate `note` gives). */
  size: number;
  approx?: boolean;
  /** Why the size is approximate, or where it was read when not in `sources`. */
  note?: string;
  sha256?: string;
  /** Absent: the file is at `path` in the entry's source. */
  from?: FileOrigin;
}

export type Precision = 'fp16' | 'fp32';

export interface CatalogDtype {
  /** Weights and, with them, the compute precision of the graphs. */
  weights: Precision;
  /** The graphs' float inputs and outputs. */
  io: Precision;
}

export interface StepRange {
  min: number;
  max: number;
  default: number;
}

export interface CatalogCapabilities {
  txt2img: boolean;
  img2img: boolean;
  /** What the ControlNet reads (null: no ControlNet). */
  controlnet: 'scribble' | 'sketch' | null;
  steps: StepRange;
  guidance: number;
  /** The image size the model is made for; `fixed`: the graphs have static shapes or the model only works there. */
  size: { width: number; height: number; fixed: boolean };
}

/**
 * What the memory estimate needs to know about the networks (lib/models/fit.ts). Numbers are the
 * diffusers configs' (unet/config.json `block_out_channels[0]`, `attention_head_dim`; CLIP `hidden_size`).
 */
export interface CatalogArchitecture {
  /** U-Net channels at the top (full-latent) level: SD 320. */
  unetChannels: number;
  /** Heads of the first self-attention: SD 1.x 8, SD 2.x 5 (64-wide heads of 320). */
  attentionHeads: number;
  /** Latent cells per attention token at the first self-attention (1: it runs at full latent size). */
  attentionTokenDivisor: number;
  /** Text encoder width (= cross-attention width): SD 1.x 768, SD 2.x 1024. */
  textHidden: number;
  /** Token embedding rows: CLIP 49 408. */
  vocabSize: number;
  /** Image pixels per latent cell along a side: SD 8. */
  vaeDownsample: number;
  /** Channels of the VAE decoder's largest full-resolution tensor (SD: 256, the last upsampler's output). */
  vaeDecoderPeakChannels: number;
  /** Channels of the VAE encoder's first (full-resolution) block: SD 128. */
  vaeEncoderPeakChannels: number;
}

/** Where a fact was read: a URL (Hub page, repo file) and what it gave. */
export interface CatalogCitation {
  url: string;
  what: string;
}

export interface Licence {
  /** The Hub's licence tag, e.g. "creativeml-openrail-m". */
  id: string;
  name: string;
  url?: string;
}

/** Another download of the same model (fp32 next to fp16, …): the fit check picks the one that runs here. */
export interface CatalogVariant {
  id: string;
  label: string;
  source: CatalogSource;
  files: CatalogFile[];
  dtype: CatalogDtype;
  sources: CatalogCitation[];
  /** Only where the variant can do less or more than the entry. */
  capabilities?: Partial<CatalogCapabilities>;
  notes?: string[];
}

export interface CatalogEntry {
  /** Stable: caches, settings and URLs keep it. */
  id: string;
  name: string;
  description: string;
  source: CatalogSource;
  licence: Licence;
  family: FamilyId;
  capabilities: CatalogCapabilities;
  files: CatalogFile[];
  sources: CatalogCitation[];
  dtype: CatalogDtype;
  architecture: CatalogArchitecture;
  /** The entry's own files as a variant (shown in the picker): e.g. "fp16". */
  variantLabel: string;
  variants?: CatalogVariant[];
  /** What is known not to work, or was not tried. */
  notes?: string[];
}

/** One downloadable form of an entry: the entry's own files, or one of its variants. */
export interface ResolvedVariant {
  entryId: string;
  id: string;
  label: string;
  source: CatalogSource;
  files: CatalogFile[];
  dtype: CatalogDtype;
  capabilities: CatalogCapabilities;
  architecture: CatalogArchitecture;
  family: FamilyId;
}

/** A catalogue entry (or catalogue) that does not have the shape the code relies on; `field` is its path, e.g. `files[2].size`. */
export class CatalogError extends LanternError {
  readonly code: LanternErrorCode = 'model-malformed';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'CatalogError';
  }
}

// ---------------------------------------------------------------------------------------------
// The entries
// ---------------------------------------------------------------------------------------------

const HF = 'https://huggingface.co';
const MB = 1_000_000;
const GB = 1_000_000_000;

/** The Hub page shows this file rounded: `shown` × unit bytes, approximately. */
const hubRounded = (path: string, shown: number, unit: number, extra: Partial<CatalogFile> = {}): CatalogFile => ({
  path,
  size: Math.round(shown * unit),
  approx: true,
  ...extra,
});
const exact = (path: string, size: number, extra: Partial<CatalogFile> = {}): CatalogFile => ({ path, size, ...extra });

const SD_ARCH: Omit<CatalogArchitecture, 'attentionHeads' | 'textHidden'> = {
  unetChannels: 320,
  attentionTokenDivisor: 1,
  vocabSize: 49_408,
  vaeDownsample: 8,
  vaeDecoderPeakChannels: 256,
  vaeEncoderPeakChannels: 128,
};
const SD1_ARCH: CatalogArchitecture = { ...SD_ARCH, attentionHeads: 8, textHidden: 768 };
const SD2_ARCH: CatalogArchitecture = { ...SD_ARCH, attentionHeads: 5, textHidden: 1024 };

// --- SD-Turbo: schmuell/sd-turbo-ort-web (onnxruntime-web's own SD-Turbo demo model) -----------

const TURBO_REPO = 'schmuell/sd-turbo-ort-web';
const TURBO_REV = 'ace89b7d2cd849f9a73914cdbb8a3ea60c853dd1';
const turboTree = (sub = '') => `${HF}/${TURBO_REPO}/tree/${TURBO_REV}${sub ? `/${sub}` : ''}`;

const SD_TURBO: CatalogEntry = {
  id: 'sd-turbo',
  name: 'SD-Turbo',
  description: "Stability AI's SD-Turbo (SD 2.1 distilled): a 512×512 image in one step, no guidance. fp16, exported for onnxruntime-web's WebGPU demo.",
  source: { kind: 'hub', repo: TURBO_REPO, revision: TURBO_REV, subfolder: '' },
  licence: { id: 'stabilityai-non-comercial', name: 'Stability AI Non-Commercial Research Community License', url: `${HF}/${TURBO_REPO}/blob/${TURBO_REV}/LICENSE` },
  family: 'sd-turbo',
  capabilities: { txt2img: true, img2img: true, controlnet: null, steps: { min: 1, max: 4, default: 1 }, guidance: 0, size: { width: 512, height: 512, fixed: true } },
  files: [
    exact('model_index.json', 608),
    exact('scheduler/scheduler_config.json', 583),
    exact('text_encoder/config.json', 703),
    hubRounded('text_encoder/model.onnx', 681, MB),
    hubRounded('tokenizer/merges.txt', 525, 1000),
    exact('tokenizer/special_tokens_map.json', 574),
    exact('tokenizer/tokenizer_config.json', 855),
    hubRounded('tokenizer/vocab.json', 1.06, MB),
    hubRounded('unet/config.json', 1.95, 1000),
    hubRounded('unet/model.onnx', 1.73, GB),
    exact('vae_decoder/config.json', 740),
    hubRounded('vae_decoder/model.onnx', 99.1, MB),
    exact('vae_encoder/config.json', 740),
    hubRounded('vae_encoder/model.onnx', 68.4, MB),
  ],
  sources: [
    { url: turboTree(), what: 'revision ace89b7 (main, 4 commits; weights from 7b51591), model_index.json 608 B, licence tag stabilityai-non-comercial' },
    { url: turboTree('text_encoder'), what: 'config.json 703 B, model.onnx 681 MB' },
    { url: `${HF}/${TURBO_REPO}/tree/main/unet`, what: 'config.json 1.95 kB, model.onnx 1.73 GB (no external data)' },
    { url: `${HF}/${TURBO_REPO}/tree/5eddd2140ba17d2c94b30bedcb3ee2139d03409e/vae_decoder`, what: 'config.json 740 B, model.onnx 99.1 MB' },
    { url: `${HF}/${TURBO_REPO}/tree/7b51591f5e802b607e42f78999bdcda9a57a08d6/vae_encoder`, what: 'config.json 740 B, model.onnx 68.4 MB' },
    { url: turboTree('tokenizer'), what: 'merges.txt 525 kB, special_tokens_map.json 574 B, tokenizer_config.json 855 B, vocab.json 1.06 MB' },
    { url: turboTree('scheduler'), what: 'scheduler_config.json 583 B' },
    {
      url: 'https://github.com/microsoft/onnxruntime-inference-examples/blob/main/js/sd-turbo/index.js',
      what: 'the repo is what onnxruntime-web feeds (int32 ids, int64 timestep); the demo refuses to load without shader-f16',
    },
    {
      url: 'https://github.com/microsoft/webnn-developer-preview/blob/main/demos/sd-turbo/index.js',
      what: 'the same SD-Turbo graphs in binary units: unet 1.61 GiB, text encoder 649 MiB, VAE decoder 94.5 MiB',
    },
  ],
  dtype: { weights: 'fp16', io: 'fp32' },
  architecture: SD2_ARCH,
  variantLabel: 'fp16',
  notes: ['fp16 graphs: WebGPU needs the shader-f16 feature (the onnxruntime demo checks it); wasm runs them with fp32 casts at twice the memory.'],
};

// --- SD 1.5: TensorStack/stable-diffusion-v1-5-onnx (OnnxStack's fp16 export) ------------------

const SD15_REPO = 'TensorStack/stable-diffusion-v1-5-onnx';
const SD15_REV = '38a032483c47fec93f82457e3d03661703852402';
const sd15Tree = (sub = '') => `${HF}/${SD15_REPO}/tree/${SD15_REV}${sub ? `/${sub}` : ''}`;
const SD15_LICENCE: Licence = { id: 'creativeml-openrail-m', name: 'CreativeML Open RAIL-M', url: `${HF}/stable-diffusion-v1-5/stable-diffusion-v1-5` };
const SD15_NOT_LISTED = 'listing not read; fp16 SD 1.5 U-Net = the 1.72 GB of this repo’s controlnet/model.onnx (same network plus residual inputs)';

/** Everything but the U-Net, shared by the SD 1.5 and the SD 1.5 + scribble entries (one download serves both). */
const SD15_COMMON: CatalogFile[] = [
  exact('model_index.json', 573),
  exact('scheduler/scheduler_config.json', 321),
  exact('text_encoder/config.json', 642),
  hubRounded('text_encoder/model.onnx', 246, MB),
  hubRounded('tokenizer/merges.txt', 574, 1000),
  exact('tokenizer/special_tokens_map.json', 496),
  exact('tokenizer/tokenizer_config.json', 863),
  hubRounded('tokenizer/vocab.json', 1.11, MB),
  hubRounded('vae_decoder/model.onnx', 99.1, MB, { note: 'listing not read; the fp16 SD VAE decoder is 99.1 MB in every fp16 export seen (schmuell/sd-turbo-ort-web, onnxruntime-web-temp/demo)' }),
  exact('vae_encoder/config.json', 576),
  hubRounded('vae_encoder/model.onnx', 68.4, MB),
];
const SD15_SOURCES: CatalogCitation[] = [
  { url: sd15Tree(), what: 'revision 38a0324 (main, 9 commits; files from ff0ccfc), model_index.json 573 B, repo 4.47 GB' },
  { url: sd15Tree('text_encoder'), what: 'config.json 642 B, model.onnx 246 MB (fp16: 123 M parameters × 2 bytes)' },
  { url: sd15Tree('scheduler'), what: 'scheduler_config.json 321 B' },
  { url: `${HF}/${SD15_REPO}/tree/61ec4be28b2a0f96c0d587103c88b7949dd2e58d/tokenizer`, what: 'merges.txt 574 kB, special_tokens_map.json 496 B, tokenizer_config.json 863 B, vocab.json 1.11 MB (tokenizer/model.onnx 1.68 MB not needed)' },
  { url: `${HF}/${SD15_REPO}/tree/main/vae_encoder`, what: 'config.json 576 B, model.onnx 68.4 MB' },
  { url: sd15Tree('controlnet'), what: 'config.json 779 B, model.onnx 1.72 GB: the U-Net that takes ControlNet residuals' },
  {
    url: 'https://github.com/TensorStack-AI/OnnxStack/blob/a8c38898f1e76b44f11e4e0bcb2b9ff5cd8860c7/OnnxStack.Converter/StableDiffusion/config_unet.json',
    what: 'OnnxStack converter: OrtTransformersOptimization float16 with keep_io_types (fp16 weights, fp32 I/O), for DirectML',
  },
];
const SD15_NOTES = [
  'Not tried in a browser: OnnxStack optimises for DirectML (float16, NHWC convolutions, GroupNorm and attention fusions); onnxruntime-web may lack some of those contrib kernels.',
  'fp32 I/O is what the converter config asks for (keep_io_types); the graphs were not read.',
];

const SD15: CatalogEntry = {
  id: 'sd15',
  name: 'Stable Diffusion 1.5',
  description: 'The classic Stable Diffusion 1.5 at 512×512, 25 steps with guidance 7.5. fp16 ONNX export by TensorStack (OnnxStack).',
  source: { kind: 'hub', repo: SD15_REPO, revision: SD15_REV, subfolder: '' },
  licence: SD15_LICENCE,
  family: 'sd1',
  capabilities: { txt2img: true, img2img: true, controlnet: null, steps: { min: 1, max: 100, default: 25 }, guidance: 7.5, size: { width: 512, height: 512, fixed: false } },
  files: [...SD15_COMMON, hubRounded('unet/model.onnx', 1.72, GB, { note: SD15_NOT_LISTED })],
  sources: SD15_SOURCES,
  dtype: { weights: 'fp16', io: 'fp32' },
  architecture: SD1_ARCH,
  variantLabel: 'fp16',
  notes: SD15_NOTES,
};

// --- SD 1.5 + scribble ControlNet: TensorStack/ControlNet-onnx SD/Scribble ----------------------

const CN_REPO = 'TensorStack/ControlNet-onnx';
const CN_REV = 'e4e8e8b56d205694beaf1d9ceeeabaf5a8ef5f6e';

const SD15_SCRIBBLE: CatalogEntry = {
  id: 'sd15-scribble',
  name: 'Stable Diffusion 1.5 + scribble ControlNet',
  description: 'SD 1.5 that follows your sketch: the scribble ControlNet (white lines on black) with the U-Net that takes its residuals. Same base files as SD 1.5.',
  source: { kind: 'hub', repo: SD15_REPO, revision: SD15_REV, subfolder: '' },
  licence: SD15_LICENCE,
  family: 'sd1',
  capabilities: { txt2img: true, img2img: true, controlnet: 'scribble', steps: { min: 1, max: 100, default: 25 }, guidance: 7.5, size: { width: 512, height: 512, fixed: false } },
  files: [
    ...SD15_COMMON,
    // TensorStack's controlnet/ folder is the residual-taking U-Net: it becomes the folder's U-Net.
    exact('unet/config.json', 779, { from: { repo: SD15_REPO, revision: SD15_REV, path: 'controlnet/config.json' } }),
    hubRounded('unet/model.onnx', 1.72, GB, { from: { repo: SD15_REPO, revision: SD15_REV, path: 'controlnet/model.onnx' } }),
    hubRounded('controlnet/model.onnx', 736, MB, { from: { repo: CN_REPO, revision: CN_REV, path: 'SD/Scribble/model.onnx' } }),
  ],
  sources: [
    ...SD15_SOURCES,
    { url: `${HF}/${CN_REPO}/tree/main/SD/Scribble`, what: 'SD/Scribble/model.onnx 736 MB at e4e8e8b (one graph, no external data; fp16: 361 M parameters × 2 bytes)' },
    { url: `${HF}/${CN_REPO}/tree/${CN_REV}/SD/Normal`, what: 'the full commit id e4e8e8b56d20… of the ControlNet upload' },
  ],
  dtype: { weights: 'fp16', io: 'fp32' },
  architecture: SD1_ARCH,
  variantLabel: 'fp16',
  notes: [
    ...SD15_NOTES,
    'Assembled from two repos: unet/ is TensorStack’s controlnet/ (U-Net with down_block_{i}_additional_residual inputs), controlnet/ is ControlNet-onnx SD/Scribble.',
    'The ControlNet’s float64 conditioning_scale is rewritten to float32 at load (onnxruntime-web has no double Cast).',
  ],
};

// --- LCM Dreamshaper v7 -----------------------------------------------------------------------

const LCM16_REPO = 'aislamov/lcm-dreamshaper-v7-onnx';
const LCM32_REPO = 'SimianLuo/LCM_Dreamshaper_v7';
const LCM32_REV = 'a85df6a8bd976cdd08b4fd8f3b73f229c9e54df5';
const lcmTokenizer = (tokenizerConfig: CatalogFile): CatalogFile[] => [
  hubRounded('tokenizer/merges.txt', 525, 1000),
  exact('tokenizer/special_tokens_map.json', 133),
  tokenizerConfig,
  hubRounded('tokenizer/vocab.json', 1.06, MB),
];
const LCM: CatalogEntry = {
  id: 'lcm-dreamshaper-v7',
  name: 'LCM Dreamshaper v7',
  description: 'Latent Consistency Model distilled from Dreamshaper v7 (SD 1.5): good images in 4 steps, guidance through the U-Net’s embedding (no negative pass).',
  source: { kind: 'hub', repo: LCM16_REPO, revision: 'main', subfolder: '' },
  licence: { id: 'mit', name: 'MIT', url: `${HF}/${LCM32_REPO}` },
  family: 'lcm',
  // No vae_encoder listed for the fp16 export (its listing was not read): txt2img only.
  capabilities: { txt2img: true, img2img: false, controlnet: null, steps: { min: 1, max: 8, default: 4 }, guidance: 8, size: { width: 512, height: 512, fixed: false } },
  files: [
    exact('model_index.json', 633),
    exact('scheduler/scheduler_config.json', 539),
    hubRounded('text_encoder/model.onnx', 247, MB),
    ...lcmTokenizer(hubRounded('tokenizer/tokenizer_config.json', 1.19, 1000)),
    hubRounded('unet/config.json', 1.73, 1000),
    hubRounded('unet/model.onnx', 93.7, MB),
    hubRounded('unet/model.onnx_data', 1.64, GB),
    hubRounded('vae_decoder/model.onnx', 2.11, MB),
    hubRounded('vae_decoder/model.onnx_data', 97.4, MB),
  ],
  sources: [
    { url: `${HF}/${LCM16_REPO}/tree/main`, what: 'main = 7dbd8a0 ("Initial FP16 commit", Nov 7 2023; full id not read, so the revision is the branch), model_index.json 633 B' },
    { url: `${HF}/${LCM16_REPO}/tree/main/text_encoder`, what: 'model.onnx 247 MB' },
    { url: `${HF}/${LCM16_REPO}/tree/main/unet`, what: 'config.json 1.73 kB, model.onnx 93.7 MB, model.onnx_data 1.64 GB' },
    { url: `${HF}/${LCM16_REPO}/tree/main/scheduler`, what: 'scheduler_config.json 539 B' },
    { url: `${HF}/${LCM16_REPO}/tree/main/tokenizer`, what: 'merges.txt 525 kB, special_tokens_map.json 133 B, tokenizer_config.json 1.19 kB, vocab.json 1.06 MB' },
    { url: `${HF}/${LCM16_REPO}/tree/main`, what: 'vae_decoder/{model.onnx 2.11 MB, model.onnx_data 97.4 MB} (docs/model-folders.md, LCM table)' },
  ],
  dtype: { weights: 'fp16', io: 'fp32' },
  architecture: SD1_ARCH,
  variantLabel: 'fp16',
  variants: [
    {
      id: 'fp32',
      label: 'fp32 (official repo)',
      source: { kind: 'hub', repo: LCM32_REPO, revision: LCM32_REV, subfolder: '' },
      files: [
        exact('model_index.json', 588),
        exact('scheduler/scheduler_config.json', 539),
        exact('text_encoder/config.json', 610),
        hubRounded('text_encoder/model.onnx', 493, MB),
        ...lcmTokenizer(exact('tokenizer/tokenizer_config.json', 765)),
        hubRounded('unet/config.json', 1.73, 1000),
        hubRounded('unet/model.onnx', 1.95, MB),
        hubRounded('unet/model.onnx_data', 3.44, GB),
        exact('vae_decoder/config.json', 651),
        hubRounded('vae_decoder/model.onnx', 198, MB),
        exact('vae_encoder/config.json', 651),
        hubRounded('vae_encoder/model.onnx', 137, MB),
      ],
      dtype: { weights: 'fp32', io: 'fp32' },
      capabilities: { img2img: true },
      sources: [
        { url: `${HF}/${LCM32_REPO}/tree/${LCM32_REV}/unet`, what: 'optimum export (PR #11 "add-onnx"): config.json 1.73 kB, model.onnx 1.95 MB, model.onnx_data 3.44 GB' },
        { url: `${HF}/${LCM32_REPO}/tree/${LCM32_REV}/vae_encoder`, what: 'config.json 651 B, model.onnx 137 MB' },
        { url: `${HF}/${LCM32_REPO}/tree/0010c37ddd81113174cbde0939e0d703e8b68e9d/text_encoder`, what: 'config.json 610 B, model.onnx 493 MB' },
        { url: `${HF}/${LCM32_REPO}/tree/${LCM32_REV}/scheduler`, what: 'scheduler_config.json 539 B; model_index.json 588 B at the top; licence mit' },
        { url: `${HF}/${LCM32_REPO}/tree/refs%2Fpr%2F14/vae_decoder`, what: 'vae_decoder/{config.json 651 B, model.onnx 198 MB} from 4721097 (add-onnx #11)' },
        { url: `${HF}/${LCM32_REPO}/tree/4589b3f976e166a178f58fe1ae021756d4393180/tokenizer`, what: 'merges.txt 525 kB, special_tokens_map.json 133 B, tokenizer_config.json 765 B, vocab.json 1.06 MB (added_tokens.json deleted in #8)' },
      ],
      notes: ['Its VAE encoder samples inside the graph (optimum ≤ 1.22): img2img works but is not reproducible from the seed.'],
    },
  ],
  notes: ['The fp16 export keeps the VAE decoder’s weights in model.onnx_data although they are below 2 GB.'],
};

// --- lantern-shapes (embedded, same origin) -----------------------------------------------------

/** Sizes and sha256 from models/lantern-shapes/lantern.json (`files`); lantern.json itself as on disk. */
const SHAPES: CatalogEntry = {
  id: 'lantern-shapes',
  name: 'lantern-shapes',
  description: "Lantern's own tiny model (64×64 coloured shapes) with a sketch ControlNet: works offline on a fresh clone.",
  source: { kind: 'url', baseUrl: '/models/lantern-shapes/' },
  licence: { id: 'mit', name: 'MIT' },
  family: 'sd',
  capabilities: { txt2img: true, img2img: true, controlnet: 'sketch', steps: { min: 1, max: 50, default: 25 }, guidance: 5, size: { width: 64, height: 64, fixed: false } },
  files: [
    exact('controlnet/model.onnx', 8_360_940, { sha256: 'bfb9697124a96cb50fc596497834a76fe387f0033b6a716a3cdb34c77d32c074' }),
    exact('lantern.json', 3_627),
    exact('model_index.json', 610, { sha256: '43efb018a0dfa85404ea9dbe11296314124eaae7d49b63eb67ea7da119063813' }),
    exact('scheduler/scheduler_config.json', 408, { sha256: '41ff1d244dce27a45219ef3bb392c84b130cb4ebf12bcf2b1ff35712518092cb' }),
    exact('text_encoder/model.onnx', 2_793_775, { sha256: '59cb0622b26cd1c13f19e2e8074a9bb5ddd150b39258c6578b6c86bce9f6be47' }),
    exact('tokenizer/merges.txt', 1_172, { sha256: '50fa0e146e255b0a39a4b6b3104dfb085448676b419bc7045d6a21b84f7138b1' }),
    exact('tokenizer/special_tokens_map.json', 472, { sha256: 'c4864a9376a8401918425bed71fc14fc0e81f9b59ec45c1cf96cccb2df508eac' }),
    exact('tokenizer/tokenizer.json', 18_482, { sha256: 'd60fcf6cf5a88ed6263f588bf25d8c309573adfa9a37bd89244fa0d70761c248' }),
    exact('tokenizer/tokenizer_config.json', 314, { sha256: 'b1919d975d32cacc51d89a26616f36461054ba0cc52c05741630e58b492b594d' }),
    exact('tokenizer/vocab.json', 11_351, { sha256: '58b1f573ea0484b0daccd8b0692c6bbd37ffb5033c5d31cd8816bf23fb8b34b5' }),
    exact('unet/model.onnx', 19_138_644, { sha256: '218d59ce86e04cd0a5e9fbe3d0d1e100b406ee4022d32d87cbecf0ca9bbac546' }),
    exact('vae_decoder/model.onnx', 3_151_232, { sha256: '93a83d08cb4feedcdf3582558d1b4d10330d553fc452444f5395934fedad7d10' }),
    exact('vae_encoder/model.onnx', 2_658_673, { sha256: '38629221b5e67674d04c949e74e69ae6902400662b273dff1223e193da5718df' }),
  ],
  sources: [{ url: 'models/lantern-shapes/lantern.json', what: 'files: bytes and sha256 of every file; name, licence MIT, recommended 25 steps, guidance 5, 64×64' }],
  dtype: { weights: 'fp32', io: 'fp32' },
  // lantern.json `training.config`: U-Net channels [64, 96, 112], self-attention from the second level, 4 heads; text width 128; VAE [32, 64, 128], ×4.
  architecture: {
    unetChannels: 64,
    attentionHeads: 4,
    attentionTokenDivisor: 4,
    textHidden: 128,
    vocabSize: 0,
    vaeDownsample: 4,
    vaeDecoderPeakChannels: 64,
    vaeEncoderPeakChannels: 32,
  },
  variantLabel: 'fp32',
};

export const CATALOG: readonly CatalogEntry[] = [SD_TURBO, SD15, SD15_SCRIBBLE, LCM, SHAPES];

// ---------------------------------------------------------------------------------------------
// Reading entries
// ---------------------------------------------------------------------------------------------

export function catalogEntry(id: string): CatalogEntry | undefined {
  return CATALOG.find((e) => e.id === id);
}

/** The entry's own files first, then its variants, each with the capabilities it really has. */
export function entryVariants(entry: CatalogEntry): ResolvedVariant[] {
  const own: ResolvedVariant = {
    entryId: entry.id,
    id: 'default',
    label: entry.variantLabel,
    source: entry.source,
    files: entry.files,
    dtype: entry.dtype,
    capabilities: entry.capabilities,
    architecture: entry.architecture,
    family: entry.family,
  };
  return [
    own,
    ...(entry.variants ?? []).map((v) => ({
      ...own,
      id: v.id,
      label: v.label,
      source: v.source,
      files: v.files,
      dtype: v.dtype,
      capabilities: { ...entry.capabilities, ...v.capabilities },
    })),
  ];
}

/** Where a variant's file is fetched from: its own repo and path, or `from`. Hub variants only. */
export function fileOrigin(variant: Pick<ResolvedVariant, 'source'>, file: CatalogFile): FileOrigin {
  if (file.from) return file.from;
  if (variant.source.kind !== 'hub') throw new CatalogError('source', `${file.path}: not a Hub source`);
  const sub = variant.source.subfolder;
  return { repo: variant.source.repo, revision: variant.source.revision, path: sub ? `${sub}/${file.path}` : file.path };
}

/** Bytes to download (all files). */
export function downloadBytes(files: readonly CatalogFile[]): number {
  return files.reduce((n, f) => n + f.size, 0);
}

/** True when some size is the Hub's rounded figure: the total is then "about". */
export function hasApproxSizes(files: readonly CatalogFile[]): boolean {
  return files.some((f) => f.approx === true);
}

/** The part folder a file belongs to ("unet/model.onnx_data" → "unet"), or null for top-level and tokenizer/scheduler files. */
export function partOf(path: string): 'text_encoder' | 'unet' | 'vae_decoder' | 'vae_encoder' | 'controlnet' | null {
  const top = path.split('/')[0];
  return top === 'text_encoder' || top === 'unet' || top === 'vae_decoder' || top === 'vae_encoder' || top === 'controlnet' ? top : null;
}

// ---------------------------------------------------------------------------------------------
// Validation: entries may also come from JSON (a user's own list); each problem names its field.
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const ID = /^[a-z0-9][a-z0-9._-]*$/;
const REPO = /^[\w.-]+\/[\w.-]+$/;

function fail(field: string, why: string): never {
  throw new CatalogError(field, `catalogue: ${field}: ${why}`);
}
function str(v: unknown, field: string, nonEmpty = true): string {
  if (typeof v !== 'string' || (nonEmpty && v.trim() === '')) fail(field, `expected a${nonEmpty ? ' non-empty' : ''} string, got ${JSON.stringify(v)}`);
  return v;
}
function posInt(v: unknown, field: string, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < (allowZero ? 0 : 1)) fail(field, `expected a ${allowZero ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(v)}`);
  return v;
}
function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') fail(field, `expected true or false, got ${JSON.stringify(v)}`);
  return v;
}
function obj(v: unknown, field: string): Json {
  if (!isObject(v)) fail(field, `expected an object, got ${JSON.stringify(v)}`);
  return v;
}
function list(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v) || v.length === 0) fail(field, `expected a non-empty list, got ${JSON.stringify(v)}`);
  return v;
}
function oneOf<T extends string>(v: unknown, options: readonly T[], field: string): T {
  if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) fail(field, `expected one of ${options.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** A relative path inside a folder: no leading "/", no "." or ".." segments, no empty segments. */
function relPath(v: unknown, field: string): string {
  const p = str(v, field);
  if (p.startsWith('/') || p.split('/').some((s) => s === '' || s === '.' || s === '..')) fail(field, `"${p}" must be a relative path without empty, "." or ".." segments`);
  return p;
}

function validateSource(v: unknown, field: string): CatalogSource {
  const s = obj(v, field);
  const kind = oneOf(s.kind, ['hub', 'url'] as const, `${field}.kind`);
  if (kind === 'url') return { kind, baseUrl: str(s.baseUrl, `${field}.baseUrl`) };
  const repo = str(s.repo, `${field}.repo`);
  if (!REPO.test(repo)) fail(`${field}.repo`, `"${repo}" is not owner/name`);
  const subfolder = str(s.subfolder, `${field}.subfolder`, false);
  if (subfolder !== '') relPath(subfolder, `${field}.subfolder`);
  return { kind, repo, revision: str(s.revision, `${field}.revision`), subfolder };
}

function validateFiles(v: unknown, field: string): CatalogFile[] {
  const files = list(v, field).map((raw, i) => {
    const f = obj(raw, `${field}[${i}]`);
    const file: CatalogFile = { path: relPath(f.path, `${field}[${i}].path`), size: posInt(f.size, `${field}[${i}].size`) };
    if (f.approx !== undefined) file.approx = bool(f.approx, `${field}[${i}].approx`);
    if (f.note !== undefined) file.note = str(f.note, `${field}[${i}].note`);
    if (f.sha256 !== undefined) {
      file.sha256 = str(f.sha256, `${field}[${i}].sha256`);
      if (!/^[0-9a-f]{64}$/.test(file.sha256)) fail(`${field}[${i}].sha256`, 'expected 64 lowercase hex digits');
    }
    if (f.from !== undefined) {
      const o = obj(f.from, `${field}[${i}].from`);
      const repo = str(o.repo, `${field}[${i}].from.repo`);
      if (!REPO.test(repo)) fail(`${field}[${i}].from.repo`, `"${repo}" is not owner/name`);
      file.from = { repo, revision: str(o.revision, `${field}[${i}].from.revision`), path: relPath(o.path, `${field}[${i}].from.path`) };
    }
    return file;
  });
  const seen = new Set<string>();
  files.forEach((f, i) => {
    if (seen.has(f.path)) fail(`${field}[${i}].path`, `"${f.path}" is listed twice`);
    seen.add(f.path);
  });
  return files;
}

function validateDtype(v: unknown, field: string): CatalogDtype {
  const d = obj(v, field);
  const precisions = ['fp16', 'fp32'] as const;
  return { weights: oneOf(d.weights, precisions, `${field}.weights`), io: oneOf(d.io, precisions, `${field}.io`) };
}

function validateCitations(v: unknown, field: string): CatalogCitation[] {
  return list(v, field).map((raw, i) => {
    const c = obj(raw, `${field}[${i}]`);
    return { url: str(c.url, `${field}[${i}].url`), what: str(c.what, `${field}[${i}].what`) };
  });
}

function validateCapabilities(v: unknown, field: string): CatalogCapabilities {
  const c = obj(v, field);
  const steps = obj(c.steps, `${field}.steps`);
  const range: StepRange = { min: posInt(steps.min, `${field}.steps.min`), max: posInt(steps.max, `${field}.steps.max`), default: posInt(steps.default, `${field}.steps.default`) };
  if (range.min > range.max || range.default < range.min || range.default > range.max) fail(`${field}.steps`, `needs min ≤ default ≤ max, got ${range.min} ≤ ${range.default} ≤ ${range.max}`);
  const size = obj(c.size, `${field}.size`);
  if (c.controlnet !== null) oneOf(c.controlnet, ['scribble', 'sketch'] as const, `${field}.controlnet`);
  if (typeof c.guidance !== 'number' || !(c.guidance >= 0)) fail(`${field}.guidance`, `expected a number ≥ 0, got ${JSON.stringify(c.guidance)}`);
  return {
    txt2img: bool(c.txt2img, `${field}.txt2img`),
    img2img: bool(c.img2img, `${field}.img2img`),
    controlnet: c.controlnet as CatalogCapabilities['controlnet'],
    steps: range,
    guidance: c.guidance,
    size: { width: posInt(size.width, `${field}.size.width`), height: posInt(size.height, `${field}.size.height`), fixed: bool(size.fixed, `${field}.size.fixed`) },
  };
}

function validateArchitecture(v: unknown, field: string): CatalogArchitecture {
  const a = obj(v, field);
  const n = (k: keyof CatalogArchitecture, zero = false) => posInt(a[k], `${field}.${k}`, zero);
  return {
    unetChannels: n('unetChannels'),
    attentionHeads: n('attentionHeads'),
    attentionTokenDivisor: n('attentionTokenDivisor'),
    textHidden: n('textHidden'),
    vocabSize: n('vocabSize', true),
    vaeDownsample: n('vaeDownsample'),
    vaeDecoderPeakChannels: n('vaeDecoderPeakChannels'),
    vaeEncoderPeakChannels: n('vaeEncoderPeakChannels'),
  };
}

/** The parts a folder must have, and a graph in each (docs/model-folders.md): checked on every file list. */
function checkFolderShape(files: CatalogFile[], caps: CatalogCapabilities, field: string): void {
  const paths = new Set(files.map((f) => f.path));
  for (const part of ['text_encoder', 'unet', 'vae_decoder'] as const) {
    if (![...paths].some((p) => p.startsWith(`${part}/`) && p.endsWith('.onnx'))) fail(field, `has no ${part}/*.onnx graph (text_encoder, unet and vae_decoder are required)`);
  }
  if (!paths.has('tokenizer/tokenizer.json') && !(paths.has('tokenizer/vocab.json') && paths.has('tokenizer/merges.txt'))) {
    fail(field, 'has no tokenizer (tokenizer/tokenizer.json, or tokenizer/vocab.json + tokenizer/merges.txt)');
  }
  const hasGraph = (part: string) => [...paths].some((p) => p.startsWith(`${part}/`) && p.endsWith('.onnx'));
  if (caps.controlnet !== null && !hasGraph('controlnet')) fail(field, `capabilities.controlnet is "${caps.controlnet}" but there is no controlnet/*.onnx graph`);
  if (caps.img2img && !hasGraph('vae_encoder')) fail(field, 'capabilities.img2img is true but there is no vae_encoder/*.onnx graph');
}

/** Checks one entry (e.g. parsed from JSON) and returns it typed; throws CatalogError naming the first bad field. */
export function validateCatalogEntry(v: unknown, field = 'entry'): CatalogEntry {
  const e = obj(v, field);
  const id = str(e.id, `${field}.id`);
  if (!ID.test(id)) fail(`${field}.id`, `"${id}" may hold only lowercase letters, digits, ".", "_" and "-"`);
  const licence = obj(e.licence, `${field}.licence`);
  const entry: CatalogEntry = {
    id,
    name: str(e.name, `${field}.name`),
    description: str(e.description, `${field}.description`),
    source: validateSource(e.source, `${field}.source`),
    licence: { id: str(licence.id, `${field}.licence.id`), name: str(licence.name, `${field}.licence.name`), ...(licence.url !== undefined ? { url: str(licence.url, `${field}.licence.url`) } : {}) },
    family: oneOf(e.family, FAMILY_IDS, `${field}.family`),
    capabilities: validateCapabilities(e.capabilities, `${field}.capabilities`),
    files: validateFiles(e.files, `${field}.files`),
    sources: validateCitations(e.sources, `${field}.sources`),
    dtype: validateDtype(e.dtype, `${field}.dtype`),
    architecture: validateArchitecture(e.architecture, `${field}.architecture`),
    variantLabel: str(e.variantLabel, `${field}.variantLabel`),
  };
  checkFolderShape(entry.files, entry.capabilities, `${field}.files`);
  if (e.notes !== undefined) entry.notes = list(e.notes, `${field}.notes`).map((n, i) => str(n, `${field}.notes[${i}]`));
  if (e.variants !== undefined) {
    const ids = new Set<string>(['default']);
    entry.variants = list(e.variants, `${field}.variants`).map((raw, i) => {
      const f = `${field}.variants[${i}]`;
      const vr = obj(raw, f);
      const vid = str(vr.id, `${f}.id`);
      if (!ID.test(vid) || ids.has(vid)) fail(`${f}.id`, `"${vid}" must be a new id of lowercase letters, digits, ".", "_", "-" (not "default")`);
      ids.add(vid);
      const variant: CatalogVariant = {
        id: vid,
        label: str(vr.label, `${f}.label`),
        source: validateSource(vr.source, `${f}.source`),
        files: validateFiles(vr.files, `${f}.files`),
        dtype: validateDtype(vr.dtype, `${f}.dtype`),
        sources: validateCitations(vr.sources, `${f}.sources`),
      };
      if (vr.capabilities !== undefined) variant.capabilities = obj(vr.capabilities, `${f}.capabilities`) as Partial<CatalogCapabilities>;
      const caps = validateCapabilities({ ...entry.capabilities, ...variant.capabilities }, `${f}.capabilities`);
      checkFolderShape(variant.files, caps, `${f}.files`);
      if (vr.notes !== undefined) variant.notes = list(vr.notes, `${f}.notes`).map((n, j) => str(n, `${f}.notes[${j}]`));
      return variant;
    });
  }
  return entry;
}

/** Checks a whole catalogue: every entry, and ids unique. */
export function validateCatalog(v: unknown): CatalogEntry[] {
  const entries = list(v, 'catalogue').map((e, i) => validateCatalogEntry(e, `catalogue[${i}]`));
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (seen.has(e.id)) fail(`catalogue[${i}].id`, `"${e.id}" is used twice`);
    seen.add(e.id);
  });
  return entries;
}
