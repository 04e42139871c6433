/**
 * The typed contract between the UI thread and the diffusion worker. Requests carry an
 * id; every event answers one request id. Discriminated unions, so both sides switch exhaustively.
 */
import type { GenerateParams } from '../diffusion/check-inputs';
import type { SchedulerName } from '../diffusion/params';
import type { GenerateImages, GenerateResult } from '../diffusion/pipeline';
import type { Backend, BackendPreference } from '../onnx/types';
import type { LoopPreference } from '../diffusion/device-loop/choose';
import type { LanternManifest } from '../models/manifest';
import type { LanternErrorCode, OomSuggestion } from '../errors';
import type { FamilyId } from '../diffusion/families';
import type { LayoutKind } from '../models/load-folder';

export type { BackendPreference, OomSuggestion };

/** Where a model folder comes from. Every kind is read in place: nothing leaves the device. */
export type ModelSourceSpec =
  /** A folder served over HTTP: the embedded model (same origin) or any URL. */
  | { kind: 'url'; baseUrl: string }
  /** A Hub snapshot the cache worker downloaded into OPFS (lib/worker/cache-protocol.ts). */
  | { kind: 'cache'; key: string; label: string }
  /** One folder assembled from selections of cached snapshots (a catalogue entry that takes files from two repos). */
  | { kind: 'assembled'; label: string; parts: { key: string; files: { path: string; as: string }[] }[] }
  /** A folder picked with <input webkitdirectory> or dropped: File objects with their paths inside it. */
  | { kind: 'files'; name: string; files: { path: string; file: File }[] }
  /** A folder opened with showDirectoryPicker(). */
  | { kind: 'directory'; name: string; handle: FileSystemDirectoryHandle };

/** What the status line and errors call a source. */
export function sourceLabel(source: ModelSourceSpec): string {
  switch (source.kind) {
    case 'url':
      return source.baseUrl;
    case 'cache':
    case 'assembled':
      return source.label;
    case 'files':
    case 'directory':
      return `local folder ${source.name}`;
  }
}

export type WorkerRequest =
  /** lowMemory: the text encoder and VAE decoder live only while they run (less memory, slower generates). */
  | { id: string; type: 'load-model'; source: ModelSourceSpec; backend: BackendPreference; lowMemory?: boolean }
  | {
      id: string;
      type: 'generate';
      params: GenerateParams;
      previews: boolean;
      images?: GenerateImages;
      /** Which denoising loop (lib/diffusion/device-loop/choose.ts); the studio sends `?loop=` from its URL, default auto. */
      loop?: LoopPreference;
    }
  | { id: string; type: 'cancel'; target: string }
  | { id: string; type: 'count-tokens'; text: string };

export interface ModelInfo {
  name: string;
  /** sourceLabel() of where it was loaded from. */
  sourceLabel: string;
  sourceKind: ModelSourceSpec['kind'];
  /** Loaded in low-memory mode (text encoder and VAE decoder opened per run). */
  lowMemory: boolean;
  backend: Backend;
  /** Why this backend (e.g. "no WebGPU adapter available: fell back to wasm"). */
  backendReason: string;
  /** The family recognised from the folder's files, and the evidence that decided it. */
  family: { id: FamilyId; label: string; evidence: string };
  layout: LayoutKind;
  /** false: the family needs no unconditional pass (LCM), so the negative prompt has no effect. */
  classifierFreeGuidance: boolean;
  /** A U-Net with static shapes runs at this size only. */
  fixedSize: { width: number; height: number } | null;
  schedulerClass: string;
  /** A1111-style label of the folder's own scheduler, e.g. "PLMS". */
  defaultSampler: string;
  recommended: NonNullable<LanternManifest['recommended']>;
  /** lantern.json's example prompts ([] when it has none). */
  examplePrompts: string[];
  /** Steps each sampler can run with this model's scheduler config (lib/diffusion/schedulers stepLimits); a sampler it cannot build is absent. */
  stepLimits: Partial<Record<SchedulerName, { min: number; max: number }>>;
  /** Prompt tokens that fit (model_max_length − BOS − EOS). */
  maxPromptTokens: number;
  /** The folder ships a ControlNet (sketch conditioning) / a VAE encoder (img2img). */
  hasControlNet: boolean;
  hasVaeEncoder: boolean;
  /** Optional parts that could not be loaded on this backend, with the reason. */
  warnings: string[];
  /** Opening the sessions, ms (the warm-up not included). */
  loadMs: number;
  /** The warm-up run after the load, ms; null when none ran (turned off, low-memory mode, cancelled or failed: see warnings). */
  warmupMs: number | null;
}

/** Failures of the engine (lib/errors.ts) plus the worker's own. */
export type ErrorCode = LanternErrorCode | 'no-model' | 'busy' | 'internal';

export type WorkerEvent =
  | { id: string; type: 'load-progress'; part: string; loaded: number; total: number | null }
  /**
   * The sessions are open; the worker runs discarded generates (`steps` through every part at the
   * model's recommended size, then on wasm more U-Net steps for a moment) so the first real one
   * runs at warm speed. model-ready follows. Cancelling the load request now cuts the warm-up
   * short; the model is still loaded.
   */
  | { id: string; type: 'warming-up'; steps: number; width: number; height: number }
  | { id: string; type: 'model-ready'; info: ModelInfo }
  | { id: string; type: 'progress'; step: number; totalSteps: number; elapsedMs: number }
  /** The latent preview, decoded in the worker: the page only draws it (a `bitmaprenderer` canvas); the receiver owns and closes it. */
  | { id: string; type: 'preview'; step: number; width: number; height: number; bitmap: ImageBitmap }
  | {
      id: string;
      type: 'result';
      width: number;
      height: number;
      rgba: Uint8ClampedArray;
      params: GenerateParams;
      sampler: string;
      timings: GenerateResult['timings'];
      /** Bytes across the runtime seam during the denoising loop (the benchmark's bytes per step). */
      transfer: GenerateResult['transfer'];
      backend: Backend;
      /** What looks wrong with the picture though the run succeeded (a flat or black image), to show beside it. */
      warnings: string[];
    }
  | { id: string; type: 'cancelled'; atStep: number }
  | { id: string; type: 'token-count'; count: number; max: number; truncated: boolean }
  /**
   * The request hit a lost WebGPU device (a GPU reset; or it was lost since the last run): the
   * worker is reloading the same model from the same source (OPFS for cached models: no
   * download) on a fresh device and will retry the request once. `attempt` is 1, the only retry.
   * The request then ends as usual: a result, or an error (`device-lost` if the retry failed too).
   */
  | { id: string; type: 'recovering'; reason: 'device-lost'; attempt: number; message: string }
  | {
      id: string;
      type: 'error';
      code: ErrorCode;
      message: string;
      /** The model file the failure concerns, where known (e.g. "unet/model.onnx"). */
      file?: string;
      /** out-of-memory only: what may let the run fit, most helpful first (lib/errors.ts OomSuggestion). */
      suggestions?: OomSuggestion[];
    };

/**
 * Not a request: sent once by DiffusionClient when the page URL has `?test-hooks=1`, so e2e
 * specs can reach `self.__lanternTest` in the worker (e.g. to destroy the WebGPU device).
 */
export interface EnableTestHooks {
  type: 'enable-test-hooks';
}
