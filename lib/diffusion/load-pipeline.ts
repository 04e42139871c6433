/**
 * Turns a model folder into ready sessions, a tokenizer, the recognised family and the
 * scheduler config, one part at a time. Per part: read the graph and its external data
 * (lib/models/read-part), rewrite float64 inputs for runtimes without float64 kernels,
 * open the session, and note what the graph reveals (in-graph sampling in a VAE encoder).
 * With `lowMemory`, the text encoder and the VAE decoder are only described at load (their
 * graphs read for I/O, no session) and opened by the pipeline for their one step each.
 */
import type { ModelFolder } from '../models/load-folder';
import { readPart, type PartFiles } from '../models/read-part';
import { ModelFolderError } from '../errors';
import type { LanternManifest, ModelPart } from '../models/manifest';
import { parseSchedulerConfig } from '../models/manifest';
import { rewriteInputToFloat32 } from '../onnx/graph-edit';
import type { ModelSession, SessionFactory, TransferMeter } from '../onnx/types';
import { ClipTokenizer } from '../tokenizer';
import { HelperSessions } from './device-loop/helpers';
import { checkPartsFit } from './part-compat';
import { ioFromGraph, OnDemandSession } from './part-sessions';
import { defaultSchedulerConfig, recognizeFamily, SD_TRAINING_SCHEDULE, type RecognisedFamily } from './families';
import type { SchedulerConfig } from './schedulers/types';

export interface PipelineModels {
  folder: ModelFolder;
  tokenizer: ClipTokenizer;
  textEncoder: ModelSession;
  unet: ModelSession;
  vaeDecoder: ModelSession;
  /** Present when the folder has them: img2img and ControlNet. */
  vaeEncoder?: ModelSession;
  controlnet?: ModelSession;
  family: RecognisedFamily;
  /** The folder's scheduler config, or the family's default on SD's training schedule. */
  schedulerConfig: SchedulerConfig;
  /** The VAE encoder samples inside its graph (RandomNormalLike): img2img cannot be reproduced from a seed. */
  vaeEncoderSamples: boolean;
  /** What the user should know: parts that could not load, defaults assumed, graphs picked. */
  warnings: string[];
  backend: SessionFactory['backend'];
  /** The factory's byte counter, for GenerateResult.transfer. */
  transfers?: TransferMeter;
  /** The GPU-resident loop's small graphs (lib/diffusion/device-loop), opened on this factory on first use. */
  helpers?: HelperSessions;
  /** The text encoder and VAE decoder are opened for their step and released after it (OnDemandSession). */
  lowMemory: boolean;
}

export interface LoadOptions {
  /** Keep only the U-Net (and ControlNet, VAE encoder) resident: a lower peak for a slower run (each run re-opens two parts). */
  lowMemory?: boolean;
}

export interface LoadProgress {
  part: ModelPart;
  loaded: number;
  total: number | null;
}

/** onnxruntime-web has no float64 kernels: rewrite each float64 input (TensorStack's conditioning_scale) to float32. */
function forRuntime(files: PartFiles, factory: SessionFactory): PartFiles {
  if (factory.runsFloat64) return files;
  const doubles = files.summary.inputs.filter((i) => i.dtype === 'float64');
  if (doubles.length === 0) return files;
  let model = files.model;
  for (const input of doubles) model = rewriteInputToFloat32(model, input.name, files.label);
  return { ...files, model, localPath: undefined };
}

const SAMPLING_OPS = ['RandomNormalLike', 'RandomNormal', 'RandomUniformLike', 'RandomUniform'];

function familyOf(folder: ModelFolder, unet: ModelSession, tokenizer: ClipTokenizer): RecognisedFamily {
  const ehs = unet.inputs.find((i) => i.name === 'encoder_hidden_states')?.shape[2];
  // unet/config.json's cross_attention_dim, else the text encoder's width (hidden_act alone misleads: an early SD 2 config says quick_gelu).
  const configured = folder.partConfigs.unet?.cross_attention_dim ?? folder.partConfigs.text_encoder?.hidden_size;
  const activation = folder.partConfigs.text_encoder?.hidden_act;
  return recognizeFamily({
    pipelineClass: folder.index?.className,
    schedulerClass: typeof folder.schedulerConfig?._class_name === 'string' ? folder.schedulerConfig._class_name : undefined,
    names: [folder.index?.nameOrPath, folder.lantern?.name, folder.source.base].filter((n): n is string => typeof n === 'string'),
    unetInputs: unet.inputs.map((i) => i.name),
    crossAttentionDim: typeof ehs === 'number' ? ehs : typeof configured === 'number' ? configured : undefined,
    textEncoderActivation: typeof activation === 'string' ? activation : undefined,
    padToken: tokenizer.padToken,
  });
}

export async function loadPipeline(
  folder: ModelFolder,
  factory: SessionFactory,
  onProgress?: (p: LoadProgress) => void,
  opts: LoadOptions = {},
): Promise<PipelineModels> {
  const lowMemory = opts.lowMemory === true;
  let tokenizer: ClipTokenizer;
  try {
    tokenizer = ClipTokenizer.fromFiles(folder.tokenizerFiles);
  } catch (err) {
    throw new ModelFolderError('malformed-file', 'tokenizer/', `${folder.source.base}tokenizer/: ${(err as Error).message}`);
  }
  const sessions: ModelSession[] = [];
  const warnings = [...folder.warnings];
  let vaeEncoderSamples = false;
  const read = async (part: ModelPart, progress: boolean) =>
    forRuntime(
      await readPart(folder, part, {
        externalDataBy: factory.externalDataBy,
        ...(progress && { onProgress: (loaded: number, total: number | null) => onProgress?.({ part, loaded, total }) }),
      }),
      factory,
    );
  // Described now (its files checked as for an opened part), opened by the pipeline for its step:
  // the graph is read again then, so no bytes are kept in between.
  const onDemand = async (part: ModelPart) => {
    const { label, summary } = await read(part, true);
    return new OnDemandSession(label, ioFromGraph(summary.inputs), ioFromGraph(summary.outputs), async () => factory.create(await read(part, false)));
  };
  // Sequential on purpose: the web runtime initialises one session at a time.
  const open = async (part: ModelPart) => {
    const files = await read(part, true);
    if (part === 'vae_encoder' && SAMPLING_OPS.some((op) => files.summary.opCounts[op])) {
      vaeEncoderSamples = true;
      warnings.push(
        `${files.label} samples its latents inside the graph (a Random* node, as optimum ≤ 1.22 and diffusers' script export it): img2img works, but the same seed gives a different image each run`,
      );
    }
    const s = await factory.create(files);
    sessions.push(s);
    return s;
  };
  try {
    const textEncoder = lowMemory ? await onDemand('text_encoder') : await open('text_encoder');
    const unet = await open('unet');
    const vaeDecoder = lowMemory ? await onDemand('vae_decoder') : await open('vae_decoder');
    // Optional parts: a folder may ship one this backend cannot run. Then txt2img still
    // works and the reason is reported; a broken file is still an error.
    const optional = async (part: ModelPart) => {
      if (!folder.graphs[part]) return undefined;
      try {
        return await open(part);
      } catch (err) {
        if (err instanceof ModelFolderError) throw err;
        warnings.push(String((err as Error).message ?? err));
        return undefined;
      }
    };
    const vaeEncoder = await optional('vae_encoder');
    let controlnet = await optional('controlnet');
    // TensorStack's SD folders keep a ControlNet-ready U-Net in controlnet/ (the ControlNet itself is a separate repo).
    if (controlnet && !controlnet.inputs.some((i) => i.name === 'controlnet_cond')) {
      warnings.push(
        `${controlnet.label} takes no controlnet_cond: it is a ControlNet-ready U-Net (TensorStack's layout), not a ControlNet; sketches are unavailable with this folder alone`,
      );
      await controlnet.release();
      controlnet = undefined;
    }
    checkPartsFit({ textEncoder, unet, vaeDecoder, vaeEncoder, controlnet }); // ModelMismatchError naming both files
    const family = familyOf(folder, unet, tokenizer);
    let schedulerConfig = folder.schedulerConfig;
    if (!schedulerConfig) {
      const config = defaultSchedulerConfig(family.family.id);
      schedulerConfig = parseSchedulerConfig('(default scheduler config)', config);
      warnings.push(
        `no scheduler/scheduler_config.json: using SD's training schedule (${SD_TRAINING_SCHEDULE.beta_schedule} ${SD_TRAINING_SCHEDULE.beta_start}–${SD_TRAINING_SCHEDULE.beta_end}, ${SD_TRAINING_SCHEDULE.num_train_timesteps} steps) with ${String(config._class_name)}${config.timestep_spacing ? `, ${String(config.timestep_spacing)} spacing` : ''}`,
      );
    }
    return {
      folder,
      tokenizer,
      textEncoder,
      unet,
      vaeDecoder,
      vaeEncoder,
      controlnet,
      family,
      schedulerConfig,
      vaeEncoderSamples,
      warnings,
      backend: factory.backend,
      transfers: factory.transfers,
      helpers: new HelperSessions((label, model) => factory.create({ label, model })),
      lowMemory,
    };
  } catch (err) {
    await Promise.all(sessions.map((s) => s.release()));
    throw err;
  }
}

export async function releasePipeline(models: PipelineModels): Promise<void> {
  const sessions = [models.textEncoder, models.unet, models.vaeDecoder, models.vaeEncoder, models.controlnet];
  await Promise.all([...sessions.map((s) => s?.release()), models.helpers?.release()]);
}

/** The only image size a U-Net with static spatial dims accepts (WebNN-style exports), else null. */
export function fixedImageSize(models: PipelineModels): { width: number; height: number } | null {
  const shape = models.unet.inputs.find((i) => i.name === 'sample')?.shape ?? [];
  const [h, w] = [shape[2], shape[3]];
  if (typeof h !== 'number' || typeof w !== 'number' || h <= 0 || w <= 0) return null;
  return { width: w * models.folder.vaeDownsample, height: h * models.folder.vaeDownsample };
}

/** Settings to start from: lantern.json's, else the family's with diffusers' default size (unet sample_size × VAE factor); a static U-Net's size always wins. */
export function recommendedSettings(models: PipelineModels): NonNullable<LanternManifest['recommended']> {
  const fromFamily = models.family.family.defaults;
  const sampleSize = models.folder.partConfigs.unet?.sample_size;
  const side = typeof sampleSize === 'number' && sampleSize > 0 ? sampleSize * models.folder.vaeDownsample : null;
  const base = models.folder.lantern?.recommended ?? {
    steps: fromFamily.steps,
    guidance: fromFamily.guidance,
    width: side ?? fromFamily.width,
    height: side ?? fromFamily.height,
  };
  return { ...base, ...(fixedImageSize(models) ?? {}) };
}
