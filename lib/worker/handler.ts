/**
 * The worker's brain, free of `self`: it owns the loaded pipeline, runs one request at a
 * time and answers with typed events. diffusion.worker.ts only wires it to postMessage,
 * so tests drive it with a fake session factory.
 */
import { CancelledError, generate } from '../diffusion/pipeline';
import { BackendError, LanternError } from '../errors';
import { fixedImageSize, loadPipeline, recommendedSettings, releasePipeline, type LoadProgress, type PipelineModels } from '../diffusion/load-pipeline';
import { imageToRgba, latentPreviewRgba } from '../tensor/image';
import type { FileSource } from '../models/file-source';
import { loadModelFolder } from '../models/load-folder';
import { createScheduler, schedulerLabel } from '../diffusion/schedulers';
import { SCHEDULER_NAMES, stepLimits } from '../diffusion/params';
import type { SchedulerConfig } from '../diffusion/schedulers/types';
import type { BackendPreference, SessionFactory } from '../onnx/types';
import { sourceLabel, type ErrorCode, type ModelInfo, type ModelSourceSpec, type WorkerEvent, type WorkerRequest } from './protocol';

export interface HandlerDeps {
  openBackend(pref: BackendPreference): Promise<{ factory: SessionFactory; reason: string }>;
  source(spec: ModelSourceSpec): FileSource | Promise<FileSource>;
  now(): number;
}

export type Post = (event: WorkerEvent, transfer?: Transferable[]) => void;

/** Each sampler's step range for this model, once at load (the UI's steps box and the engine use one rule). */
function stepLimitsOf(config: SchedulerConfig): ModelInfo['stepLimits'] {
  const out: ModelInfo['stepLimits'] = {};
  for (const name of SCHEDULER_NAMES) {
    try {
      const { min, max } = stepLimits(name, config);
      out[name] = { min, max };
    } catch {
      // A sampler this config cannot build: generate() names the reason if it is picked.
    }
  }
  return out;
}

function defaultSamplerLabel(config: SchedulerConfig): string {
  try {
    return schedulerLabel(createScheduler('default', config));
  } catch {
    return 'unsupported'; // generate() will name the class in its error
  }
}

/** The wire code of a failure: from its class alone (lib/errors.ts), never from its text. */
export function errorCode(err: unknown): ErrorCode {
  return err instanceof LanternError ? err.code : 'internal';
}

export class DiffusionWorkerHandler {
  private models: PipelineModels | null = null;
  private info: ModelInfo | null = null;
  private running: { id: string; abort: AbortController } | null = null;

  constructor(
    private readonly deps: HandlerDeps,
    private readonly post: Post,
  ) {}

  async handle(req: WorkerRequest): Promise<void> {
    switch (req.type) {
      case 'cancel':
        if (this.running?.id === req.target) this.running.abort.abort();
        return;
      case 'count-tokens': {
        if (!this.models) return this.fail(req.id, 'no-model', 'no model loaded yet');
        const { tokenCount, truncated } = this.models.tokenizer.encode(req.text);
        const max = this.models.tokenizer.maxLength - 2;
        this.post({ id: req.id, type: 'token-count', count: tokenCount, max, truncated });
        return;
      }
      case 'load-model':
      case 'generate':
        if (this.running) return this.fail(req.id, 'busy', `request ${this.running.id} is still running; cancel it or wait`);
        this.running = { id: req.id, abort: new AbortController() };
        try {
          if (req.type === 'load-model') await this.load(req);
          else await this.generate(req, this.running.abort.signal);
        } catch (err) {
          if (err instanceof CancelledError) this.post({ id: req.id, type: 'cancelled', atStep: err.atStep });
          else this.fail(req.id, errorCode(err), String((err as Error)?.message ?? err));
        } finally {
          this.running = null;
        }
        return;
    }
  }

  private fail(id: string, code: ErrorCode, message: string): void {
    this.post({ id, type: 'error', code, message });
  }

  private async load(req: Extract<WorkerRequest, { type: 'load-model' }>): Promise<void> {
    const start = this.deps.now();
    let { factory, reason } = await this.deps.openBackend(req.backend);
    const folder = await loadModelFolder(await this.deps.source(req.source));
    // The model in use goes first: a real SD model is 2–5 GB, and two rarely fit at once.
    if (this.models) await releasePipeline(this.models);
    this.models = null;
    this.info = null;
    const progress = (p: LoadProgress) => this.post({ id: req.id, type: 'load-progress', part: p.part, loaded: p.loaded, total: p.total });
    const lowMemory = req.lowMemory === true;
    let models: PipelineModels;
    try {
      models = await loadPipeline(folder, factory, progress, { lowMemory });
    } catch (err) {
      // `auto` on a GPU without shader-f16: an fp16 model still runs on wasm (slower); an explicit `webgpu` reports the error.
      if (!(err instanceof BackendError && err.missingFeature === 'shader-f16' && req.backend === 'auto' && factory.backend === 'webgpu')) throw err;
      ({ factory } = await this.deps.openBackend('wasm'));
      reason = `this GPU has no shader-f16, which this fp16 model needs on WebGPU (${err.label}): running on wasm`;
      models = await loadPipeline(folder, factory, progress, { lowMemory });
    }
    this.models = models;
    this.info = {
      name: folder.name,
      sourceLabel: sourceLabel(req.source),
      sourceKind: req.source.kind,
      lowMemory: models.lowMemory,
      backend: factory.backend,
      backendReason: reason,
      family: { id: models.family.family.id, label: models.family.family.label, evidence: models.family.evidence },
      layout: folder.layout,
      classifierFreeGuidance: models.family.family.classifierFreeGuidance,
      fixedSize: fixedImageSize(models),
      schedulerClass: String(models.schedulerConfig._class_name ?? 'unknown'),
      defaultSampler: defaultSamplerLabel(models.schedulerConfig),
      recommended: recommendedSettings(models),
      examplePrompts: folder.lantern?.examplePrompts ?? [],
      maxPromptTokens: models.tokenizer.maxLength - 2,
      stepLimits: stepLimitsOf(models.schedulerConfig),
      hasControlNet: models.controlnet !== undefined,
      hasVaeEncoder: models.vaeEncoder !== undefined,
      warnings: models.warnings,
      loadMs: this.deps.now() - start,
    };
    this.post({ id: req.id, type: 'model-ready', info: this.info });
  }

  private async generate(req: Extract<WorkerRequest, { type: 'generate' }>, signal: AbortSignal): Promise<void> {
    const models = this.models;
    if (!models || !this.info) return this.fail(req.id, 'no-model', 'load a model before generating');
    const result = await generate(models, req.params, {
      images: req.images,
      signal,
      now: this.deps.now,
      onProgress: (p) => this.post({ id: req.id, type: 'progress', step: p.step, totalSteps: p.totalSteps, elapsedMs: p.elapsedMs }),
      onPreview: req.previews
        ? (latents, step) => {
            const prev = latentPreviewRgba(latents);
            this.post({ id: req.id, type: 'preview', step, ...prev }, [prev.rgba.buffer]);
          }
        : undefined,
    });
    const rgba = imageToRgba(result.image);
    this.post(
      {
        id: req.id,
        type: 'result',
        width: result.image.width,
        height: result.image.height,
        rgba,
        params: req.params,
        sampler: result.sampler,
        timings: result.timings,
        backend: models.backend,
        warnings: result.warnings,
      },
      [rgba.buffer],
    );
  }
}
