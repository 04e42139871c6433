/**
 * Reads a model folder (docs/model-folders.md) through a FileSource: the JSON files and the
 * location of each part's graph up front, the graphs themselves on demand (readPart). The
 * layouts in the wild differ — optimum's index lists `vae`, diffusers' script writes
 * `OnnxStableDiffusionPipeline`, WebNN-style folders have no index and no scheduler — so the
 * part folders present are what counts. Missing or malformed files fail with the file's name.
 */
import type { SchedulerConfig } from '../diffusion/schedulers/types';
import type { TokenizerFiles } from '../tokenizer';
import { ModelFolderError, type FileSource } from './file-source';
import { findPartGraph, type PartGraph } from './layouts/graphs';
import {
  MODEL_PARTS,
  parseJson,
  parseLanternManifest,
  parseModelIndex,
  parseSchedulerConfig,
  SD1_VAE_SCALING_FACTOR,
  SD_VAE_DOWNSAMPLE,
  type LanternManifest,
  type ModelIndex,
  type ModelPart,
} from './manifest';

export { readPart, type PartFiles } from './read-part';

/** How the folder was written, from its files (reported to the user; the loader reads all alike). */
export type LayoutKind = 'diffusers-onnx' | 'optimum' | 'no-index';

export const REQUIRED_PARTS = ['text_encoder', 'unet', 'vae_decoder'] as const satisfies readonly ModelPart[];

export interface ModelFolder {
  source: FileSource;
  /** null: the folder has no model_index.json (WebNN-style). */
  index: ModelIndex | null;
  layout: LayoutKind;
  /** The graph found for each part present. */
  graphs: Partial<Record<ModelPart, PartGraph>>;
  /** null: no scheduler/scheduler_config.json; the family's training schedule is used (lib/diffusion/families). */
  schedulerConfig: SchedulerConfig | null;
  tokenizerFiles: TokenizerFiles;
  lantern: LanternManifest | null;
  /** Each part's config.json as optimum and diffusers write them (absent: {}). */
  partConfigs: Partial<Record<ModelPart, Record<string, unknown>>>;
  vaeScalingFactor: number;
  /** Image pixels per latent cell along each side. */
  vaeDownsample: number;
  /** Display name: lantern.json's name, else the folder's last path segment. */
  name: string;
  /** Things the user should know (several graphs in a part folder, …). */
  warnings: string[];
}

async function optionalJson(source: FileSource, path: string): Promise<unknown | undefined> {
  const bytes = await source.readBytes(path);
  return bytes === null ? undefined : parseJson(path, bytes);
}

async function readTokenizerFiles(source: FileSource): Promise<TokenizerFiles> {
  const [tokenizerJson, tokenizerConfig, specialTokensMap] = await Promise.all([
    optionalJson(source, 'tokenizer/tokenizer.json'),
    optionalJson(source, 'tokenizer/tokenizer_config.json'),
    optionalJson(source, 'tokenizer/special_tokens_map.json'),
  ]);
  const files: TokenizerFiles = {
    tokenizerJson,
    tokenizerConfig: tokenizerConfig as Record<string, unknown> | undefined,
    specialTokensMap: specialTokensMap as Record<string, unknown> | undefined,
  };
  if (tokenizerJson !== undefined) return files;
  // Hub SD repos ship the CLIP BPE as vocab.json + merges.txt only.
  const [vocab, merges] = await Promise.all([optionalJson(source, 'tokenizer/vocab.json'), source.readBytes('tokenizer/merges.txt')]);
  if (vocab === undefined || merges === null) {
    throw new ModelFolderError(
      'missing-file',
      'tokenizer/tokenizer.json',
      `${source.base}tokenizer/: needs tokenizer.json, or vocab.json + merges.txt (${vocab === undefined ? 'vocab.json' : 'merges.txt'} is missing)`,
    );
  }
  return { ...files, vocabJson: vocab as Record<string, number>, mergesTxt: new TextDecoder().decode(merges) };
}

function layoutOf(index: ModelIndex | null, hasVaeKey: boolean): LayoutKind {
  if (index === null) return 'no-index';
  return hasVaeKey || !index.className.startsWith('Onnx') ? 'optimum' : 'diffusers-onnx';
}

export async function loadModelFolder(source: FileSource): Promise<ModelFolder> {
  const indexJson = await optionalJson(source, 'model_index.json');
  const index = indexJson === undefined ? null : parseModelIndex('model_index.json', indexJson);
  const schedulerPath = 'scheduler/scheduler_config.json';
  const [schedulerJson, lanternJson] = await Promise.all([optionalJson(source, schedulerPath), optionalJson(source, 'lantern.json')]);

  const graphs: Partial<Record<ModelPart, PartGraph>> = {};
  const warnings: string[] = [];
  const partConfigs: Partial<Record<ModelPart, Record<string, unknown>>> = {};
  // Every part is looked for, declared or not: the folders present count (TensorStack's index
  // omits controlnet; optimum's says `vae`). Over HTTP that costs a HEAD per graph name tried.
  for (const part of MODEL_PARTS) {
    const graph = await findPartGraph(source, part);
    if (!graph) continue;
    graphs[part] = graph;
    if (graph.others.length > 0) warnings.push(`${part}/: using ${graph.path.slice(part.length + 1)} (also there: ${graph.others.join(', ')})`);
    const config = await optionalJson(source, `${part}/config.json`);
    if (config !== undefined && typeof config === 'object' && config !== null) partConfigs[part] = config as Record<string, unknown>;
  }
  if (index === null && Object.keys(graphs).length === 0) {
    throw new ModelFolderError('missing-file', 'model_index.json', `${source.base}: not a model folder: no model_index.json and no ${REQUIRED_PARTS.map((p) => `${p}/`).join(', ')} graph`);
  }
  const missing = REQUIRED_PARTS.filter((p) => !graphs[p]);
  if (missing.length > 0) {
    const where = index ? 'model_index.json and the folder have' : 'the folder (no model_index.json) has';
    throw new ModelFolderError(
      index && missing.some((p) => !index.parts.includes(p)) ? 'unsupported-model' : 'missing-file',
      `${missing[0]}/`,
      `${source.base}: ${where} no ${missing.map((p) => `${p}/`).join(', ')} graph; Lantern needs text_encoder, unet and vae_decoder`,
    );
  }

  const tokenizerFiles = await readTokenizerFiles(source);
  const lantern = lanternJson === undefined ? null : parseLanternManifest('lantern.json', lanternJson);
  const vaeConfig = partConfigs.vae_decoder;
  const vaeFromConfig = vaeConfig?.scaling_factor;
  const vaeScalingFactor = lantern?.vaeScalingFactor ?? (typeof vaeFromConfig === 'number' ? vaeFromConfig : SD1_VAE_SCALING_FACTOR);
  // diffusers' VaeImageProcessor: 2^(len(block_out_channels) − 1), unless lantern.json says.
  const blocks = vaeConfig?.block_out_channels;
  const vaeDownsample = lantern?.vaeDownsampleFactor ?? (Array.isArray(blocks) && blocks.length > 0 ? 2 ** (blocks.length - 1) : SD_VAE_DOWNSAMPLE);
  const segments = source.base.replace(/\/+$/, '').split('/');
  return {
    source,
    index,
    layout: layoutOf(index, indexJson !== undefined && (indexJson as Record<string, unknown>).vae != null),
    graphs,
    schedulerConfig: schedulerJson === undefined ? null : parseSchedulerConfig(schedulerPath, schedulerJson),
    tokenizerFiles,
    lantern,
    partConfigs,
    vaeScalingFactor,
    vaeDownsample,
    name: lantern?.name ?? segments[segments.length - 1] ?? source.base,
    warnings,
  };
}
