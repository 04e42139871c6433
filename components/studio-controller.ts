/**
 * The studio's controller: the one place that talks to the diffusion worker and turns its
 * events into store patches. A class without React, with the worker client injected, so its
 * concurrency is unit-tested in Node (tests/unit/studio/controller.test.ts):
 * - one load at a time: a load asked for while another load or a run is in flight waits,
 *   and only the newest waiting one runs (latest wins); the same load twice is one load;
 * - a load asked for during a run (a backend change) waits for the run to end: the run's
 *   model info, ControlNet checkbox and examples stay, and its result names the model;
 * - live mode: a new live request cancels the run in flight and runs right after it stops;
 *   results of superseded runs are dropped, never shown.
 * The worker itself refuses a second load/generate with `busy`; this controller never sends one.
 */
import type { DiffusionClient } from '@/lib/worker/client';
import type { GenerateParams } from '@/lib/diffusion/check-inputs';
import type { GenerateImages } from '@/lib/diffusion/pipeline';
import type { BackendPreference } from '@/lib/onnx/types';
import { useRun, type RunInputs, type RunState } from '@/stores/run';
import { useSettings, type Settings } from '@/stores/settings';
import { DEFAULT_PARAMS, clampParam, sanitizeParams } from '@/lib/diffusion/params';
import { sourceLabel, type ModelInfo, type ModelSourceSpec, type OomSuggestion, type WorkerEvent } from '@/lib/worker/protocol';
import { loopFromUrl } from './loop-preference';

export interface RunRequest {
  params: GenerateParams;
  previews: boolean;
  images?: GenerateImages;
  /** Live runs: superseded by newer requests, their stale results are dropped. */
  live?: boolean;
  /** What conditioned the run, kept with its result (history). */
  inputs?: RunInputs;
}

export interface LoadRequest {
  source: ModelSourceSpec;
  backend: BackendPreference;
  lowMemory: boolean;
}

/** The client surface the controller uses (a DiffusionClient, or a fake in tests). */
export type ControllerClient = Pick<DiffusionClient, 'send' | 'cancel'>;

/** Mean step time, leaving out the first step (shader compilation and warm-up) when there are more. */
function msPerStep(steps: number[]): number {
  const warm = steps.length > 1 ? steps.slice(1) : steps;
  return warm.reduce((a, b) => a + b, 0) / Math.max(1, warm.length);
}

/** Two load requests that open the same thing the same way (picked folders compare by object: two folders may share a name). */
function sameLoad(a: LoadRequest, b: LoadRequest): boolean {
  if (a.backend !== b.backend || a.lowMemory !== b.lowMemory || a.source.kind !== b.source.kind) return false;
  if (a.source.kind === 'files' || a.source.kind === 'directory') return a.source === b.source;
  return sourceLabel(a.source) === sourceLabel(b.source);
}

/**
 * lantern.json's recommendations are untrusted (a hand-edited `height: "abc"`): each value is
 * kept only when it is an allowed parameter, so nothing downstream (settings, live steps) sees nonsense.
 */
export function saneRecommended(r: ModelInfo['recommended']): ModelInfo['recommended'] {
  return checkRecommended(r).recommended;
}

/** lantern.json's key for each recommended parameter, for the warnings. */
const RECOMMENDED_KEYS: Readonly<Record<string, string>> = {
  steps: 'steps',
  guidanceScale: 'guidance',
  width: 'width',
  height: 'height',
  scheduler: 'scheduler',
};

/** The usable recommendations, and a warning for each one repaired or ignored (shown with the model's warnings). */
export function checkRecommended(r: ModelInfo['recommended']): { recommended: ModelInfo['recommended']; warnings: string[] } {
  const given = { steps: r.steps, guidanceScale: r.guidance, width: r.width, height: r.height, scheduler: r.scheduler };
  const { params, dropped } = sanitizeParams(given, DEFAULT_PARAMS);
  // Out-of-range numbers are clamped (kept); values of the wrong type and unknown schedulers are left out.
  const bad = new Set(dropped.filter((d) => d.param === 'scheduler' || d.reason === 'not a finite number').map((d) => d.param));
  const keep = <T>(key: keyof typeof given, v: T): T | undefined => (given[key] === undefined || bad.has(key) ? undefined : v);
  const out: ModelInfo['recommended'] = {};
  const steps = keep('steps', params.steps);
  const guidance = keep('guidanceScale', params.guidanceScale);
  const width = keep('width', params.width);
  const height = keep('height', params.height);
  const scheduler = keep('scheduler', params.scheduler);
  if (steps !== undefined) out.steps = steps;
  if (guidance !== undefined) out.guidance = guidance;
  if (width !== undefined) out.width = width;
  if (height !== undefined) out.height = height;
  if (scheduler !== undefined) out.scheduler = scheduler;
  const warnings = dropped
    .filter((d) => given[d.param as keyof typeof given] !== undefined)
    .map((d) => {
      const key = RECOMMENDED_KEYS[d.param] ?? d.param;
      const what = bad.has(d.param as keyof typeof given) ? 'ignored' : `used ${String(d.replacement)}`;
      return `lantern.json recommends ${key} ${JSON.stringify(d.value)}: ${d.reason} — ${what}`;
    });
  if (r.liveSteps !== undefined) {
    if (typeof r.liveSteps === 'number' && Number.isFinite(r.liveSteps)) out.liveSteps = clampParam('steps', r.liveSteps);
    else warnings.push(`lantern.json recommends liveSteps ${JSON.stringify(r.liveSteps)}: not a finite number — ignored`);
  }
  return { recommended: out, warnings };
}

/**
 * A newly loaded model brings its recommended settings (lantern.json) once; later edits stay.
 * They are untrusted like saved settings: out-of-range values are clamped, unusable ones skipped.
 */
export function applyRecommended(info: ModelInfo): void {
  const settings = useSettings.getState();
  if (settings.defaultsAppliedFor === info.sourceLabel) return;
  const r = info.recommended;
  const given = { steps: r.steps, guidanceScale: r.guidance, width: r.width, height: r.height, scheduler: r.scheduler };
  const current = {
    ...DEFAULT_PARAMS,
    steps: settings.steps,
    guidanceScale: settings.guidanceScale,
    width: settings.width,
    height: settings.height,
    scheduler: settings.scheduler,
  };
  const { params, dropped } = sanitizeParams(given, current);
  if (dropped.length) console.warn(`lantern: ${info.sourceLabel} recommends unusable settings`, dropped);
  const patch: Partial<Settings> = { defaultsAppliedFor: info.sourceLabel };
  for (const key of Object.keys(given) as Array<keyof typeof given>) {
    if (given[key] !== undefined) Object.assign(patch, { [key]: params[key] });
  }
  // An empty prompt starts from something this model can draw.
  const examples = Array.isArray(info.examplePrompts) ? info.examplePrompts.filter((p) => typeof p === 'string') : [];
  if (!settings.prompt.trim() && examples.length) patch.prompt = examples[0];
  settings.set(patch);
}

/** The next request of a batch: the same with seed + 1 (A1111's batch count). */
function nextInBatch(req: RunRequest): RunRequest {
  return { ...req, params: { ...req.params, seed: clampParam('seed', req.params.seed + 1) } };
}

/**
 * Patches the run store, closing the preview bitmap a patch replaces or clears: the page owns the
 * bitmaps the worker sends, and one never drawn (replaced before a render) would wait for GC.
 */
function patchRun(p: Partial<RunState>): void {
  const state = useRun.getState();
  if ('preview' in p && state.preview && state.preview.bitmap !== p.preview?.bitmap) state.preview.bitmap.close?.();
  state.patch(p);
}

/** The worker's hints on an error event (out of memory: smaller size, low-memory, wasm), where it gives any. */
function suggestionsOf(e: Extract<WorkerEvent, { type: 'error' }>): { suggestions?: readonly OomSuggestion[] } {
  return e.suggestions?.length ? { suggestions: e.suggestions } : {};
}

export class StudioController {
  /** Request id of the load / run in flight; `warming`: its sessions are open and the worker runs the warm-up. */
  private loading: { id: string; req: LoadRequest; warming: boolean } | null = null;
  private running: string | null = null;
  /** The newest load waiting for the load or run in flight to end. */
  private pendingLoad: LoadRequest | null = null;
  /** The newest live request waiting for the run in flight to stop. */
  private pendingLive: RunRequest | null = null;
  /** The rest of a batch: the next request (seed + 1) and how many images are still to come. */
  private batch: { next: RunRequest; index: number; count: number } | null = null;
  /** What failed last, so `retry()` can ask for it again. */
  private lastFailed: { kind: 'load'; req: LoadRequest } | { kind: 'run'; req: RunRequest } | null = null;

  /** `client` is asked for lazily, so a page creates its worker on first use. */
  constructor(
    private readonly client: () => ControllerClient,
    private readonly now: () => number = () => performance.now(),
    private readonly wallClock: () => number = () => Date.now(),
  ) {}

  /** Whether a load or a run is in flight (tests, and callers that want to wait). */
  get busy(): boolean {
    return this.loading !== null || this.running !== null;
  }

  /** Opens a model folder in the worker (the one in use is released first); prompt, sketch and history stay. */
  loadModel(source: ModelSourceSpec, backend: BackendPreference, lowMemory = false): void {
    const req: LoadRequest = { source, backend, lowMemory };
    if (this.loading && !this.pendingLoad && sameLoad(this.loading.req, req)) return;
    if (this.busy) {
      this.pendingLoad = req;
      // A model that is only warming up is replaced anyway: cut the warm-up short (the worker then says model-ready).
      if (this.loading?.warming) this.client().cancel(this.loading.id);
      if (this.running) useRun.getState().patch({ message: `${sourceLabel(source)} (${backend}) opens when this run ends` });
      return;
    }
    this.startLoad(req);
  }

  private startLoad(req: LoadRequest): void {
    const { source, backend, lowMemory } = req;
    this.lastFailed = null;
    useRun.getState().patch({ phase: 'loading-model', loadLabel: 'starting', error: null, model: null, message: `loading ${sourceLabel(source)}` });
    const id = this.client().send({ type: 'load-model', source, backend, lowMemory }, (e) => this.onLoadEvent(id, e));
    this.loading = { id, req, warming: false };
  }

  private onLoadEvent(id: string, e: WorkerEvent): void {
    if (this.loading?.id !== id) return;
    const patch = useRun.getState().patch;
    switch (e.type) {
      case 'load-progress':
        patch({ loadLabel: `${e.part} ${(e.loaded / 1e6).toFixed(1)}${e.total ? ` / ${(e.total / 1e6).toFixed(1)}` : ''} MB` });
        return;
      case 'recovering':
        patch({ message: e.message });
        return;
      case 'warming-up':
        this.loading.warming = true;
        if (this.pendingLoad) this.client().cancel(id);
        patch({ loadLabel: `warming up (${e.width}×${e.height})…` });
        return;
      case 'model-ready': {
        this.loading = null;
        // A newer load is waiting: this model is replaced at once, its settings never applied.
        if (this.afterLoad()) return;
        const checked = checkRecommended(e.info.recommended ?? {});
        const info: ModelInfo = { ...e.info, recommended: checked.recommended, warnings: [...e.info.warnings, ...checked.warnings] };
        try {
          applyRecommended(info);
        } catch (err) {
          console.warn('lantern: recommended settings not applied', err);
        }
        patch({ phase: 'ready', model: info, message: `model loaded in ${(info.loadMs / 1000).toFixed(1)} s` });
        this.startPendingLive();
        return;
      }
      case 'error': {
        const req = this.loading.req;
        this.loading = null;
        if (this.afterLoad()) return;
        this.pendingLive = null;
        this.lastFailed = { kind: 'load', req };
        patch({ phase: 'error', error: { code: e.code, message: e.message, during: 'load', ...suggestionsOf(e) }, message: '' });
        return;
      }
    }
  }

  /** Starts the waiting load, if any; true when it did. */
  private afterLoad(): boolean {
    const next = this.pendingLoad;
    if (!next) return false;
    this.pendingLoad = null;
    this.startLoad(next);
    return true;
  }

  private startPendingLive(): void {
    const next = this.pendingLive;
    this.pendingLive = null;
    if (next) this.startGenerate(next);
  }

  private runEnded(): void {
    this.running = null;
    if (this.afterLoad()) return;
    this.startPendingLive();
  }

  /**
   * Runs one request, or a batch of `count` (A1111's batch count: seed, seed + 1, …, one after
   * another, each result shown and kept as it arrives). Cancel stops the rest of the batch.
   */
  startGenerate(req: RunRequest, count = 1): void {
    if (this.busy) {
      // The UI offers Generate only when ready; a live request waits for what is in flight.
      if (req.live) this.pendingLive = req;
      return;
    }
    const n = req.live ? 1 : Math.max(1, Math.floor(count));
    this.batch = n > 1 ? { next: nextInBatch(req), index: 1, count: n } : null;
    useRun.getState().patch({ batch: n > 1 ? { index: 1, count: n } : null });
    this.run(req);
  }

  private run(req: RunRequest): void {
    const { params, previews, images } = req;
    this.lastFailed = null;
    patchRun({ phase: 'generating', step: 0, totalSteps: params.steps, startedAt: this.now(), elapsedMs: 0, preview: null, error: null, message: '' });
    const inputs = req.inputs ?? { sketch: null, init: null };
    const id = this.client().send({ type: 'generate', params, previews, images, loop: loopFromUrl() }, (e) => this.onRunEvent(id, req, inputs, e));
    this.running = id;
  }

  /** The next image of a batch, if one is due (and nothing else waits): true when it started. */
  private continueBatch(): boolean {
    const b = this.batch;
    if (!b) return false;
    if (this.pendingLoad || this.pendingLive) {
      this.endBatch();
      return false;
    }
    if (b.index + 1 >= b.count) this.batch = null;
    else this.batch = { next: nextInBatch(b.next), index: b.index + 1, count: b.count };
    useRun.getState().patch({ batch: { index: b.index + 1, count: b.count } });
    this.running = null;
    this.run(b.next);
    return true;
  }

  private endBatch(): void {
    this.batch = null;
    useRun.getState().patch({ batch: null });
  }

  /** Asks again for what failed last: the load (e.g. after a network error) or the run. */
  retry(): void {
    const failed = this.lastFailed;
    if (!failed || this.busy) return;
    if (failed.kind === 'load') this.startLoad(failed.req);
    else if (useRun.getState().model) this.startGenerate(failed.req);
  }

  private onRunEvent(id: string, req: RunRequest, inputs: RunInputs, e: WorkerEvent): void {
    if (this.running !== id) {
      // A preview of a run no longer followed: nobody will draw it.
      if (e.type === 'preview') e.bitmap.close?.();
      return;
    }
    const live = req.live === true;
    const state = useRun.getState();
    // A newer live request or a load is waiting: this run's progress is no longer what the user wants to see.
    const superseded = this.pendingLive !== null;
    switch (e.type) {
      case 'progress':
        state.patch({ step: e.step, totalSteps: e.totalSteps, elapsedMs: e.elapsedMs });
        return;
      case 'recovering':
        // The worker reloads the model on a fresh GPU device and retries this run once.
        patchRun({ step: 0, preview: null, message: e.message });
        return;
      case 'preview':
        if (superseded) e.bitmap.close?.();
        else patchRun({ preview: { width: e.width, height: e.height, bitmap: e.bitmap } });
        return;
      case 'result': {
        // A newer live request is queued: this result is already stale, never show it.
        if (superseded && !this.pendingLoad) return this.runEnded();
        const ms = e.timings.totalMs;
        patchRun({
          phase: 'ready',
          preview: null,
          lastSeed: e.params.seed,
          result: {
            width: e.width,
            height: e.height,
            rgba: e.rgba,
            params: e.params,
            sampler: e.sampler,
            modelName: state.model?.name ?? 'unknown',
            backend: e.backend,
            totalMs: ms,
            warnings: e.warnings,
            modelSource: state.model?.sourceLabel ?? 'unknown',
            timings: e.timings,
            inputs,
            live,
            finishedAt: this.wallClock(),
          },
          message: live
            ? `live ${Math.round(ms)} ms on ${e.backend}`
            : `done in ${(ms / 1000).toFixed(2)} s on ${e.backend} · ${msPerStep(e.timings.unetStepMs).toFixed(1)} ms/step`,
        });
        if (this.continueBatch()) return;
        if (useRun.getState().batch) this.endBatch();
        return this.runEnded();
      }
      case 'cancelled':
        this.endBatch();
        patchRun({ phase: 'ready', preview: null, message: `cancelled after ${e.atStep} of ${state.totalSteps} steps` });
        return this.runEnded();
      case 'error':
        this.endBatch();
        this.lastFailed = { kind: 'run', req };
        patchRun({ phase: state.model ? 'ready' : 'error', preview: null, error: { code: e.code, message: e.message, during: 'run', ...suggestionsOf(e) } });
        return this.runEnded();
    }
  }

  /** Live mode: run now, or cancel the run in flight and run this one right after it stops (only the newest waits). */
  requestLive(req: Omit<RunRequest, 'live'>): void {
    const live = { ...req, live: true };
    if (this.running) {
      const first = this.pendingLive === null;
      this.pendingLive = live;
      if (first) this.client().cancel(this.running);
      return;
    }
    if (this.loading || this.pendingLoad) {
      this.pendingLive = live;
      return;
    }
    this.startGenerate(live);
  }

  cancelGenerate(): void {
    if (this.running) this.client().cancel(this.running);
  }

  countTokens(text: string, into: 'tokenCount' | 'negativeTokenCount'): void {
    if (!useRun.getState().model) return;
    this.client().send({ type: 'count-tokens', text }, (e) => {
      if (e.type === 'token-count') useRun.getState().patch({ [into]: { count: e.count, max: e.max, truncated: e.truncated } });
    });
  }
}
