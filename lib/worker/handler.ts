/**
 * The worker's brain, free of `self`: it owns the loaded pipeline, runs one request at a
 * time and answers with typed events. diffusion.worker.ts only wires it to postMessage,
 * so tests drive it with a fake session factory.
 */
import { CancelledError, generate, type GenerateImages, type PreviewRgba } from '../diffusion/pipeline';
import {
  BackendError,
  DeviceLostError,
  LanternError,
  ModelFolderError,
  NonFiniteOutputError,
  OutOfMemoryError,
  StorageFullError,
  type OomSuggestion,
} from '../errors';
import { fixedImageSize, loadPipeline, recommendedSettings, releasePipeline, type LoadProgress, type PipelineModels } from '../diffusion/load-pipeline';
import { imageToRgba } from '../tensor/image';
import type { FileSource } from '../models/file-source';
import { loadModelFolder } from '../models/load-folder';
import { createScheduler, schedulerLabel } from '../diffusion/schedulers';
import { DEFAULT_PARAMS, SCHEDULER_NAMES, sanitizeParams, stepLimits } from '../diffusion/params';
import type { SchedulerConfig } from '../diffusion/schedulers/types';
import type { GenerateParams } from '../diffusion/check-inputs';
import type { BackendPreference, DeviceLoss, SessionFactory } from '../onnx/types';
import { sourceLabel, type ErrorCode, type ModelInfo, type ModelSourceSpec, type WorkerEvent, type WorkerRequest } from './protocol';

export interface HandlerDeps {
  /** `warmUp: false`: a warm-up costs as much as the first run it would save here (WebGPU on a software adapter compiles every shader on the CPU: ~75 s for lantern-shapes). */
  openBackend(pref: BackendPreference): Promise<{ factory: SessionFactory; reason: string; warmUp?: boolean }>;
  source(spec: ModelSourceSpec): FileSource | Promise<FileSource>;
  now(): number;
  /** Run one discarded generate after each load (the worker turns it on; tests that count runs leave it off). */
  warmUp?: boolean;
  /** Decodes a preview for the page to draw as is (default: createImageBitmap on an ImageData); off the page's main thread. */
  previewBitmap?(rgba: Uint8ClampedArray<ArrayBuffer>, width: number, height: number): Promise<ImageBitmap>;
}

const createBitmap = (rgba: Uint8ClampedArray<ArrayBuffer>, width: number, height: number) => createImageBitmap(new ImageData(rgba, width, height));

/**
 * The wasm warm-up's second phase: U-Net steps for this long (at most WARMUP_LOOP_STEPS), run
 * only when a step is quick. V8 runs a wasm function unoptimised until its optimised code is
 * compiled in the background, which takes a while whatever the model: lantern-shapes' U-Net on
 * the plain wasm build (Node, 1 thread, a busy 2-core machine) spent 330–740 ms of CPU on its
 * first run, 230–390 on the second, ~230 on the third and 100–170 from about the sixth. A big
 * model's one step runs long enough for that; a small model's needs several. 3 s instead of 1.5
 * cut the first generate's extra CPU only from ~0.9 to ~0.6 s for 1.5 s more of loading.
 */
const WARMUP_LOOP_MS = 1500;
const WARMUP_LOOP_STEPS = 12;

/**
 * The warm-up generate: one step (or the sampler's least) at the size the studio starts at,
 * with guidance as the studio would set it (so CFG's batch of 2 runs when it will), on the
 * model's own sampler. lantern.json is untrusted: repaired as the studio repairs it.
 */
export function warmupParams(info: Pick<ModelInfo, 'recommended' | 'stepLimits'>): GenerateParams {
  const r = info.recommended;
  const { params } = sanitizeParams({ guidanceScale: r.guidance, width: r.width, height: r.height, scheduler: r.scheduler }, DEFAULT_PARAMS);
  const limits = info.stepLimits[params.scheduler];
  const steps = Math.max(1, limits?.min ?? 1);
  return {
    prompt: '',
    negativePrompt: '',
    seed: 0,
    steps,
    guidanceScale: params.guidanceScale,
    guidanceRescale: 0,
    scheduler: params.scheduler,
    width: params.width,
    height: params.height,
  };
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

/** The model file a failure concerns, where its class names one. */
export function errorFile(err: unknown): string | undefined {
  if (err instanceof OutOfMemoryError || err instanceof DeviceLostError || err instanceof BackendError || err instanceof NonFiniteOutputError)
    return err.label || undefined;
  if (err instanceof ModelFolderError || err instanceof StorageFullError) return err.file || undefined;
  return undefined;
}

const SUGGESTION_WORDS: Readonly<Record<OomSuggestion, string>> = {
  'smaller-size': 'a smaller image size',
  'low-memory': 'low-memory mode',
  wasm: 'the wasm backend',
};

/** Below this many pixels a smaller image no longer saves much (the weights dominate). */
const SMALL_AREA = 256 * 256;

/** What may make a run that ran out of memory fit: known here, where the size, the mode and the backend are. */
export function oomSuggestions(ctx: {
  params?: Pick<GenerateParams, 'width' | 'height'>;
  recommended?: { width?: number; height?: number };
  fixedSize: boolean;
  lowMemory: boolean;
  backend: string;
}): OomSuggestion[] {
  const out: OomSuggestion[] = [];
  if (ctx.params && !ctx.fixedSize) {
    const area = ctx.params.width * ctx.params.height;
    const rec = (ctx.recommended?.width ?? 0) * (ctx.recommended?.height ?? 0);
    if (area > Math.min(SMALL_AREA, rec > 0 ? rec : SMALL_AREA)) out.push('smaller-size');
  }
  if (!ctx.lowMemory) out.push('low-memory');
  if (ctx.backend === 'webgpu') out.push('wasm');
  return out;
}

function withSuggestions(err: OutOfMemoryError, suggestions: OomSuggestion[]): OutOfMemoryError {
  if (suggestions.length === 0) return err;
  const words = suggestions.map((s) => SUGGESTION_WORDS[s]);
  const tail = words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
  return new OutOfMemoryError(err.label, `${err.message} — try ${tail}`, suggestions);
}

type LoadRequest = Extract<WorkerRequest, { type: 'load-model' }>;

const RECOVERING = 'GPU device lost — reloading the model and retrying';

export class DiffusionWorkerHandler {
  private models: PipelineModels | null = null;
  private info: ModelInfo | null = null;
  private running: { id: string; abort: AbortController } | null = null;
  /** What the loaded model came from, to reload it after a lost device. */
  private loaded: Pick<LoadRequest, 'source' | 'backend' | 'lowMemory'> | null = null;
  /** Set when the device of the loaded model's sessions is lost (between runs too). */
  private deviceLoss: DeviceLoss | null = null;
  private unwatchDevice: (() => void) | null = null;

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
        const mine = this.running;
        try {
          if (req.type === 'load-model') await this.load(req, this.running.abort.signal);
          else await this.generate(req, this.running.abort.signal);
        } catch (err) {
          // Already ended by uncaught(): its answer was sent.
          if (this.running !== mine) return;
          if (err instanceof CancelledError) this.post({ id: req.id, type: 'cancelled', atStep: err.atStep });
          else this.failWith(req.id, err);
        } finally {
          if (this.running === mine) this.running = null;
        }
        return;
    }
  }

  /**
   * An error nothing caught (typed by the worker through lib/onnx's uncaughtRuntimeError where the
   * runtime's words name it): the request in flight ends with it rather than hanging, and the UI
   * gets its code instead of a bare "worker crashed". Returns whether a request took it.
   */
  uncaught(err: unknown): boolean {
    const running = this.running;
    if (!running) return false;
    this.running = null;
    running.abort.abort();
    const models = this.models;
    const typed =
      err instanceof OutOfMemoryError && models
        ? withSuggestions(err, oomSuggestions({ fixedSize: this.info?.fixedSize != null, lowMemory: models.lowMemory, backend: models.backend }))
        : err;
    this.failWith(running.id, typed);
    return true;
  }

  private fail(id: string, code: ErrorCode, message: string): void {
    this.post({ id, type: 'error', code, message });
  }

  private failWith(id: string, err: unknown): void {
    const file = errorFile(err);
    const suggestions = err instanceof OutOfMemoryError ? err.suggestions : [];
    this.post({
      id,
      type: 'error',
      code: errorCode(err),
      message: String((err as Error)?.message ?? err),
      ...(file !== undefined && { file }),
      ...(suggestions.length > 0 && { suggestions: [...suggestions] }),
    });
  }

  /** Opens the backend and the pipeline; `auto` on a GPU without shader-f16 falls back to wasm. */
  private async open(spec: Pick<LoadRequest, 'source' | 'backend' | 'lowMemory'>, progress?: (p: LoadProgress) => void, before?: () => Promise<void>) {
    let { factory, reason, warmUp } = await this.deps.openBackend(spec.backend);
    const folder = await loadModelFolder(await this.deps.source(spec.source));
    await before?.();
    const lowMemory = spec.lowMemory === true;
    let models: PipelineModels;
    try {
      models = await loadPipeline(folder, factory, progress, { lowMemory });
    } catch (err) {
      if (err instanceof OutOfMemoryError) throw withSuggestions(err, oomSuggestions({ fixedSize: false, lowMemory, backend: factory.backend }));
      // `auto` on a GPU without shader-f16: an fp16 model still runs on wasm (slower); an explicit `webgpu` reports the error.
      if (!(err instanceof BackendError && err.missingFeature === 'shader-f16' && spec.backend === 'auto' && factory.backend === 'webgpu')) throw err;
      ({ factory, warmUp } = await this.deps.openBackend('wasm'));
      reason = `this GPU has no shader-f16, which this fp16 model needs on WebGPU (${err.label}): running on wasm`;
      models = await loadPipeline(folder, factory, progress, { lowMemory });
    }
    return { folder, factory, reason, models, warmUp: warmUp !== false };
  }

  /** Makes a freshly opened pipeline the one in use, watching its device. */
  private install(
    spec: Pick<LoadRequest, 'source' | 'backend' | 'lowMemory'>,
    opened: Awaited<ReturnType<DiffusionWorkerHandler['open']>>,
    loadMs: number,
  ): ModelInfo {
    const { folder, factory, reason, models } = opened;
    this.unwatchDevice?.();
    this.deviceLoss = null;
    this.unwatchDevice = factory.onDeviceLost?.((loss) => (this.deviceLoss = loss)) ?? null;
    this.models = models;
    this.loaded = { source: spec.source, backend: spec.backend, lowMemory: spec.lowMemory };
    this.info = {
      name: folder.name,
      sourceLabel: sourceLabel(spec.source),
      sourceKind: spec.source.kind,
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
      loadMs,
      warmupMs: null,
    };
    return this.info;
  }

  /** Drops the pipeline in use (a model is 2–5 GB: two rarely fit at once). */
  private async unload(): Promise<void> {
    const models = this.models;
    this.models = null;
    this.info = null;
    this.unwatchDevice?.();
    this.unwatchDevice = null;
    this.deviceLoss = null;
    // Sessions on a lost device may fail to release; they hold nothing then.
    if (models) await releasePipeline(models).catch(() => undefined);
  }

  private async load(req: LoadRequest, signal: AbortSignal): Promise<void> {
    const start = this.deps.now();
    const progress = (p: LoadProgress) => this.post({ id: req.id, type: 'load-progress', part: p.part, loaded: p.loaded, total: p.total });
    let opened: Awaited<ReturnType<DiffusionWorkerHandler['open']>>;
    try {
      // The model in use goes first, once the new folder is known to be readable.
      opened = await this.open(req, progress, () => this.unload());
    } catch (err) {
      if (!(err instanceof DeviceLostError)) throw err;
      // Lost while loading: a new backend gets a new device; the loader reads the same files again.
      this.post({ id: req.id, type: 'recovering', reason: 'device-lost', attempt: 1, message: RECOVERING });
      try {
        opened = await this.open(req, progress, () => this.unload());
      } catch (again) {
        throw again instanceof DeviceLostError
          ? new DeviceLostError(
              again.label,
              `the GPU device was lost while loading the model, and again after reopening the backend and loading it once more: ${again.message}`,
            )
          : again;
      }
    }
    const info = this.install(req, opened, this.deps.now() - start);
    if (opened.warmUp) await this.warmUp(req.id, info, signal);
    this.post({ id: req.id, type: 'model-ready', info });
  }

  /**
   * Generates whose results are dropped, so the first real one runs at warm speed: one step through
   * every part (the runtime plans its memory, WebGPU compiles its shaders), then on wasm, when a
   * step is quick, more U-Net steps for WARMUP_LOOP_MS (V8 optimises the runtime's code on its
   * first runs: the first generate was 2–14× the next one). Never fails the load: a failure becomes
   * a model warning (the run would likely fail the same way, which the user learns before asking).
   * A cancel of the load (the controller sends one when a newer load waits) cuts it short.
   * Skipped in low-memory mode, where the text encoder and VAE decoder are released after each run.
   */
  private async warmUp(id: string, info: ModelInfo, signal: AbortSignal): Promise<void> {
    const models = this.models;
    if (!this.deps.warmUp || !models || models.lowMemory || signal.aborted) return;
    const params = warmupParams(info);
    this.post({ id, type: 'warming-up', steps: params.steps, width: params.width, height: params.height });
    // A ControlNet model warms its ControlNet too (a blank sketch): the studio's runs use it once one is drawn.
    const images = models.controlnet
      ? { control: { width: params.width, height: params.height, data: new Uint8ClampedArray(params.width * params.height * 4) } }
      : {};
    const start = this.deps.now();
    try {
      const first = await generate(models, params, { images, signal, now: this.deps.now });
      const stepMs = Math.max(0, ...first.timings.unetStepMs);
      const maxSteps = Math.min(WARMUP_LOOP_STEPS, info.stepLimits[params.scheduler]?.max ?? WARMUP_LOOP_STEPS);
      if (models.backend === 'wasm' && stepMs * 2 < WARMUP_LOOP_MS && maxSteps > 1) await this.warmLoop(models, { ...params, steps: maxSteps }, images, signal);
      info.warmupMs = this.deps.now() - start;
    } catch (err) {
      if (err instanceof CancelledError || signal.aborted) return;
      info.warnings = [
        ...info.warnings,
        `the warm-up run (at ${params.width}×${params.height}) failed, so the first generate may be slower: ${String((err as Error)?.message ?? err)}`,
      ];
    }
  }

  /** U-Net steps until WARMUP_LOOP_MS have passed (then stopped like a cancel); the load's cancel stops it too. */
  private async warmLoop(models: PipelineModels, params: GenerateParams, images: GenerateImages, signal: AbortSignal): Promise<void> {
    const enough = new AbortController();
    const cancel = () => enough.abort();
    signal.addEventListener('abort', cancel);
    try {
      await generate(models, params, {
        images,
        signal: enough.signal,
        now: this.deps.now,
        onProgress: (p) => p.elapsedMs >= WARMUP_LOOP_MS && enough.abort(),
      });
    } catch (err) {
      if (!(err instanceof CancelledError) || signal.aborted) throw err;
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  }

  /** After a lost device: the same model from the same source on a new backend (cache/assembled sources read OPFS, no network). */
  private async recover(id: string, signal: AbortSignal, cause: string): Promise<void> {
    const spec = this.loaded;
    this.post({ id, type: 'recovering', reason: 'device-lost', attempt: 1, message: RECOVERING });
    await this.unload();
    if (!spec) throw new DeviceLostError('', `${cause}; no model to reload`);
    const start = this.deps.now();
    try {
      const opened = await this.open(spec);
      this.install(spec, opened, this.deps.now() - start);
    } catch (err) {
      const label = err instanceof DeviceLostError ? err.label : (errorFile(err) ?? '');
      throw new DeviceLostError(label, `${cause}; reloading the model to retry failed (load it again): ${String((err as Error)?.message ?? err)}`);
    }
    if (signal.aborted) throw new CancelledError(0);
  }

  private async generate(req: Extract<WorkerRequest, { type: 'generate' }>, signal: AbortSignal): Promise<void> {
    if (!this.models || !this.info) return this.fail(req.id, 'no-model', 'load a model before generating');
    let retried = false;
    if (this.deviceLoss) {
      // Lost since the last run (nothing was running): reload first; the run is then the one try left.
      await this.recover(req.id, signal, `the GPU device was lost since the last run (${this.deviceLoss.message || this.deviceLoss.reason})`);
      retried = true;
    }
    try {
      await this.run(req, signal);
    } catch (err) {
      if (!(err instanceof DeviceLostError)) throw err;
      if (retried)
        throw new DeviceLostError(
          err.label,
          `the GPU device was lost again after the model was reloaded on a new device; the run was tried once more and failed: ${err.message}`,
        );
      await this.recover(req.id, signal, `the GPU device was lost during the run: ${err.message}`);
      try {
        await this.run(req, signal);
      } catch (again) {
        if (!(again instanceof DeviceLostError)) throw again;
        throw new DeviceLostError(
          again.label,
          `the GPU device was lost, the model was reloaded on a new device and the run retried once, and it was lost again: ${again.message}`,
        );
      }
    }
  }

  /**
   * Previews as ImageBitmaps made here, so the page only draws them. One at a time: while one is
   * being made, later steps' previews are skipped (the page shows the newest it can get); one that
   * is ready after its run ended is closed, not posted.
   */
  private previewPoster(id: string): { show(preview: PreviewRgba, step: number): void; end(): void } {
    const make = this.deps.previewBitmap ?? createBitmap;
    let busy = false;
    let ended = false;
    return {
      show: ({ width, height, rgba }, step) => {
        if (busy || ended) return;
        busy = true;
        void Promise.resolve()
          .then(() => make(rgba as Uint8ClampedArray<ArrayBuffer>, width, height))
          .then(
            (bitmap) => {
              busy = false;
              if (ended) return bitmap.close();
              this.post({ id, type: 'preview', step, width, height, bitmap }, [bitmap]);
            },
            // No bitmap (no createImageBitmap here, a failed decode): the preview is skipped; the run goes on.
            () => (busy = false),
          );
      },
      end: () => {
        ended = true;
      },
    };
  }

  private async run(req: Extract<WorkerRequest, { type: 'generate' }>, signal: AbortSignal): Promise<void> {
    const models = this.models;
    const info = this.info;
    if (!models || !info) throw new DeviceLostError('', 'no model after the GPU device was lost');
    const previews = this.previewPoster(req.id);
    let result: Awaited<ReturnType<typeof generate>>;
    try {
      result = await generate(models, req.params, {
        images: req.images,
        signal,
        now: this.deps.now,
        loop: req.loop,
        onProgress: (p) => this.post({ id: req.id, type: 'progress', step: p.step, totalSteps: p.totalSteps, elapsedMs: p.elapsedMs }),
        // RGBA from either loop (the GPU loop makes it on the device: a quarter of the latents' bytes come back).
        onPreviewRgba: req.previews ? (preview, step) => previews.show(preview, step) : undefined,
      });
    } catch (err) {
      previews.end();
      if (!(err instanceof OutOfMemoryError)) throw err;
      throw withSuggestions(
        err,
        oomSuggestions({
          params: req.params,
          recommended: info.recommended,
          fixedSize: info.fixedSize !== null,
          lowMemory: models.lowMemory,
          backend: models.backend,
        }),
      );
    }
    previews.end();
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
        transfer: result.transfer,
        backend: models.backend,
        warnings: result.warnings,
      },
      [rgba.buffer],
    );
  }
}
