/** Turns a model folder into ready sessions and a tokenizer, one part at a time. */
import type { ModelFolder } from '../models/load-folder';
import { readPart } from '../models/load-folder';
import { ModelFolderError } from '../models/file-source';
import type { ModelPart } from '../models/manifest';
import type { ModelSession, SessionFactory } from '../onnx/types';
import { ClipTokenizer } from '../tokenizer';

export interface PipelineModels {
  folder: ModelFolder;
  tokenizer: ClipTokenizer;
  textEncoder: ModelSession;
  unet: ModelSession;
  vaeDecoder: ModelSession;
  /** Present when the folder has them: img2img and ControlNet. */
  vaeEncoder?: ModelSession;
  controlnet?: ModelSession;
  /** Optional parts the backend could not load; the rest of the model still works. */
  warnings: string[];
  backend: SessionFactory['backend'];
}

export interface LoadProgress {
  part: ModelPart;
  loaded: number;
  total: number | null;
}

export async function loadPipeline(
  folder: ModelFolder,
  factory: SessionFactory,
  onProgress?: (p: LoadProgress) => void,
): Promise<PipelineModels> {
  const tokenizer = ClipTokenizer.fromFiles(folder.tokenizerFiles);
  const sessions: ModelSession[] = [];
  // Sequential on purpose: the web runtime initialises one session at a time.
  const open = async (part: ModelPart) => {
    const files = await readPart(folder, part, (loaded, total) => onProgress?.({ part, loaded, total }));
    const s = await factory.create(files.model, `${part}/model.onnx`, files.externalData);
    sessions.push(s);
    return s;
  };
  try {
    const textEncoder = await open('text_encoder');
    const unet = await open('unet');
    const vaeDecoder = await open('vae_decoder');
    // Optional parts: a folder may declare one yet not ship it, or ship one this backend
    // cannot run (e.g. the web runtime has no float64 Cast for TensorStack's
    // conditioning_scale). Then txt2img still works and the reason is reported.
    const warnings: string[] = [];
    const optional = async (part: ModelPart) => {
      if (!folder.index.parts.includes(part)) return undefined;
      try {
        return await open(part);
      } catch (err) {
        if (err instanceof ModelFolderError && err.problem === 'missing-file') return undefined;
        if (err instanceof ModelFolderError) throw err;
        warnings.push(String((err as Error).message ?? err));
        return undefined;
      }
    };
    const vaeEncoder = await optional('vae_encoder');
    const controlnet = await optional('controlnet');
    return { folder, tokenizer, textEncoder, unet, vaeDecoder, vaeEncoder, controlnet, warnings, backend: factory.backend };
  } catch (err) {
    await Promise.all(sessions.map((s) => s.release()));
    throw err;
  }
}

export async function releasePipeline(models: PipelineModels): Promise<void> {
  const sessions = [models.textEncoder, models.unet, models.vaeDecoder, models.vaeEncoder, models.controlnet];
  await Promise.all(sessions.map((s) => s?.release()));
}
