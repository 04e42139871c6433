/**
 * Every failure Lantern knows how to name, as a class carrying a stable code. Errors are
 * thrown where the failure is known (the loader knows the file, the ONNX seam knows the
 * runtime said "out of memory"); the worker sends `{code, message}` from the class alone —
 * nothing downstream classifies by message text.
 */

export type LanternErrorCode =
  | 'model-missing-file'
  | 'model-malformed'
  | 'model-unsupported'
  | 'fetch-failed'
  | 'backend-failed'
  | 'out-of-memory'
  | 'device-lost'
  | 'invalid-params'
  | 'cancelled'
  | 'storage-full'
  | 'model-mismatch'
  | 'non-finite-output';

export abstract class LanternError extends Error {
  abstract readonly code: LanternErrorCode;
}

/** Why a model folder cannot be used; `file` is the path inside the folder it concerns. */
export type ModelFolderProblem = 'missing-file' | 'malformed-file' | 'unsupported-model' | 'fetch-failed';

const FOLDER_CODES: Readonly<Record<ModelFolderProblem, LanternErrorCode>> = {
  'missing-file': 'model-missing-file',
  'malformed-file': 'model-malformed',
  'unsupported-model': 'model-unsupported',
  'fetch-failed': 'fetch-failed',
};

export class ModelFolderError extends LanternError {
  readonly code: LanternErrorCode;
  constructor(
    readonly problem: ModelFolderProblem,
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'ModelFolderError';
    this.code = FOLDER_CODES[problem];
  }
}

/** A parameter the caller chose is out of range; `param` names it. */
export class InvalidParamsError extends LanternError {
  readonly code = 'invalid-params' as const;
  constructor(
    message: string,
    readonly param?: string,
  ) {
    super(message);
    this.name = 'InvalidParamsError';
  }
}

/** The runtime refused a model or a run for a reason other than memory or a lost device. */
export class BackendError extends LanternError {
  readonly code = 'backend-failed' as const;
  constructor(
    /** The model file, e.g. "unet/model.onnx". */
    readonly label: string,
    message: string,
    /** A device feature the model needs and this one lacks: another backend may run it. */
    readonly missingFeature?: 'shader-f16',
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

/** What may get a run that ran out of memory through: a smaller image, low-memory mode, the wasm backend. */
export type OomSuggestion = 'smaller-size' | 'low-memory' | 'wasm';

export class OutOfMemoryError extends LanternError {
  readonly code = 'out-of-memory' as const;
  constructor(
    /** The model file, e.g. "unet/model.onnx". */
    readonly label: string,
    message: string,
    /** Filled in where the run's context is known (the worker handler: size, mode, backend); the seam leaves it empty. */
    readonly suggestions: readonly OomSuggestion[] = [],
  ) {
    super(message);
    this.name = 'OutOfMemoryError';
  }
}

/**
 * The WebGPU device went away (driver reset, GPU process restart, `destroy()`): every session
 * on it is dead, though the model files are fine. `label` is the file whose run or load saw it
 * ('' when the loss was noticed between runs).
 */
export class DeviceLostError extends LanternError {
  readonly code = 'device-lost' as const;
  constructor(
    readonly label: string,
    message: string,
  ) {
    super(message);
    this.name = 'DeviceLostError';
  }
}

export class CancelledError extends LanternError {
  readonly code = 'cancelled' as const;
  constructor(readonly atStep: number) {
    super(`cancelled before step ${atStep + 1}`);
    this.name = 'CancelledError';
  }
}

/**
 * The browser's storage refused bytes: a quota error, or (headless Chromium with an overridden
 * quota) a `FileSystemSyncAccessHandle.write` that wrote fewer bytes than asked. `file` is the
 * stored path being written; the bytes that did reach it are never trusted as a complete file.
 */
export class StorageFullError extends LanternError {
  readonly code = 'storage-full' as const;
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'StorageFullError';
  }
}

/** A download was stopped on request: `pause` keeps its partial files, `cancel` deletes them. */
export class DownloadStoppedError extends LanternError {
  readonly code = 'cancelled' as const;
  constructor(readonly reason: 'pause' | 'cancel') {
    super(reason === 'pause' ? 'download paused' : 'download cancelled');
    this.name = 'DownloadStoppedError';
  }
}

/**
 * Two parts of a model folder do not fit together, found at load time from the sessions'
 * declared shapes: `files` are both parts' files, `values` what each declares (e.g. a text
 * encoder of width 1024 and a U-Net whose encoder_hidden_states is 768 wide).
 */
export class ModelMismatchError extends LanternError {
  readonly code = 'model-mismatch' as const;
  constructor(
    readonly files: readonly [string, string],
    readonly values: readonly [number, number],
    message: string,
  ) {
    super(message);
    this.name = 'ModelMismatchError';
  }
}

/**
 * A part produced NaN or ±∞ (typically an fp16 overflow): `label` is its file, `stage` the
 * step of the pipeline that saw it, `count` of `total` values were not finite. Thrown rather
 * than shown, since such an image is black or noise and the fix is elsewhere (fp32 part, wasm).
 */
export class NonFiniteOutputError extends LanternError {
  readonly code = 'non-finite-output' as const;
  constructor(
    readonly label: string,
    readonly stage: 'denoising' | 'vae-decode',
    readonly count: number,
    readonly total: number,
    message: string,
  ) {
    super(message);
    this.name = 'NonFiniteOutputError';
  }
}
