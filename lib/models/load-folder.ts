/**
 * Reads a model folder (DESIGN.md §2) through a FileSource: the JSON files up front,
 * the ONNX graphs on demand. Missing or malformed files fail with the file's name.
 */
import type { SchedulerConfig } from '../diffusion/schedulers/types';
import type { TokenizerFiles } from '../tokenizer';
import type { ExternalData } from '../onnx/types';
import { ModelFolderError, type FileSource } from './file-source';
import {
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

export interface ModelFolder {
  source: FileSource;
  index: ModelIndex;
  schedulerConfig: SchedulerConfig;
  tokenizerFiles: TokenizerFiles;
  lantern: LanternManifest | null;
  vaeScalingFactor: number;
  /** Image pixels per latent cell along each side. */
  vaeDownsample: number;
  /** Display name: lantern.json's name, else the folder's last path segment. */
  name: string;
}

async function optionalJson(source: FileSource, path: string): Promise<unknown | undefined> {
  const bytes = await source.readBytes(path);
  return bytes === null ? undefined : parseJson(path, bytes);
}

async function requiredJson(source: FileSource, path: string): Promise<unknown> {
  const json = await optionalJson(source, path);
  if (json === undefined) throw new ModelFolderError('missing-file', path, `${source.base}${path}: file not found`);
  return json;
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
  const [vocab, merges] = await Promise.all([
    optionalJson(source, 'tokenizer/vocab.json'),
    source.readBytes('tokenizer/merges.txt'),
  ]);
  if (vocab === undefined || merges === null) {
    throw new ModelFolderError(
      'missing-file',
      'tokenizer/tokenizer.json',
      `${source.base}tokenizer/: needs tokenizer.json, or vocab.json + merges.txt (${vocab === undefined ? 'vocab.json' : 'merges.txt'} is missing)`,
    );
  }
  return { ...files, vocabJson: vocab as Record<string, number>, mergesTxt: new TextDecoder().decode(merges) };
}

export async function loadModelFolder(source: FileSource): Promise<ModelFolder> {
  const index = parseModelIndex('model_index.json', await requiredJson(source, 'model_index.json'));
  const schedulerPath = 'scheduler/scheduler_config.json';
  const [schedulerJson, lanternJson, vaeConfig, tokenizerFiles] = await Promise.all([
    requiredJson(source, schedulerPath),
    optionalJson(source, 'lantern.json'),
    optionalJson(source, 'vae_decoder/config.json'),
    readTokenizerFiles(source),
  ]);
  const lantern = lanternJson === undefined ? null : parseLanternManifest('lantern.json', lanternJson);
  const vaeFromConfig = (vaeConfig as { scaling_factor?: unknown } | undefined)?.scaling_factor;
  const vaeScalingFactor =
    lantern?.vaeScalingFactor ?? (typeof vaeFromConfig === 'number' ? vaeFromConfig : SD1_VAE_SCALING_FACTOR);
  // diffusers' VaeImageProcessor: 2^(len(block_out_channels) − 1), unless lantern.json says.
  const blocks = (vaeConfig as { block_out_channels?: unknown } | undefined)?.block_out_channels;
  const vaeDownsample = lantern?.vaeDownsampleFactor ?? (Array.isArray(blocks) && blocks.length > 0 ? 2 ** (blocks.length - 1) : SD_VAE_DOWNSAMPLE);
  const segments = source.base.replace(/\/+$/, '').split('/');
  return {
    source,
    index,
    schedulerConfig: parseSchedulerConfig(schedulerPath, schedulerJson),
    tokenizerFiles,
    lantern,
    vaeScalingFactor,
    vaeDownsample,
    name: lantern?.name ?? segments[segments.length - 1] ?? source.base,
  };
}

export interface PartFiles {
  model: Uint8Array;
  externalData: ExternalData[];
}

/** Reads `<part>/model.onnx` and, when present, its `model.onnx_data` external weights. */
export async function readPart(
  folder: ModelFolder,
  part: ModelPart,
  onProgress?: (loaded: number, total: number | null) => void,
): Promise<PartFiles> {
  if (!folder.index.parts.includes(part)) {
    throw new ModelFolderError('unsupported-model', `${part}/model.onnx`, `${folder.source.base}: model_index.json declares no ${part}`);
  }
  const path = `${part}/model.onnx`;
  const model = await folder.source.readBytes(path, onProgress);
  if (model === null) throw new ModelFolderError('missing-file', path, `${folder.source.base}${path}: file not found`);
  if (model.length < 16) throw new ModelFolderError('malformed-file', path, `${folder.source.base}${path}: ${model.length} bytes is not an ONNX model`);
  const dataPath = `${part}/model.onnx_data`;
  const declared = folder.lantern?.files ? Object.keys(folder.lantern.files).includes(dataPath) : false;
  // Only ask for external data the folder declares, so plain folders make no 404 noise.
  const data = declared ? await folder.source.readBytes(dataPath, onProgress) : null;
  return { model, externalData: data ? [{ path: 'model.onnx_data', data }] : [] };
}
