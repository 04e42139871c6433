/**
 * What the studio offers next to an error: a way forward for each typed failure (retry, pick
 * another model, a smaller size, low-memory mode, the other backend). Pure, so each case is
 * unit-tested; components/ErrorPanel.tsx performs them.
 */
import type { RunError } from '@/stores/run';

export type ErrorActionId = 'retry' | 'pick-model' | 'smaller-size' | 'low-memory' | 'switch-backend';

export interface ErrorAction {
  id: ErrorActionId;
  label: string;
}

export interface ErrorContext {
  /** The backend in use (or asked for, when the load failed): 'webgpu', 'wasm', 'auto'. */
  backend: string;
  lowMemory: boolean;
  size: { width: number; height: number };
  /** The model's native size, when a model is loaded. */
  native: { width: number; height: number } | null;
}

/** A heading for the error, in words. */
export const ERROR_TITLES: Readonly<Record<string, string>> = {
  'model-missing-file': 'A model file is missing',
  'model-malformed': 'A model file is damaged',
  'model-unsupported': 'This model is not supported',
  'model-mismatch': 'The model’s parts do not fit together',
  'fetch-failed': 'Download failed',
  'backend-failed': 'The runtime refused the model',
  'out-of-memory': 'Out of memory',
  'device-lost': 'The GPU was lost',
  'invalid-params': 'A setting is out of range',
  'storage-full': 'Storage is full',
  'non-finite-output': 'The image came out broken (NaN)',
  'no-model': 'No model loaded',
  busy: 'Busy',
  internal: 'Something went wrong',
};

export function errorTitle(code: string): string {
  return ERROR_TITLES[code] ?? ERROR_TITLES.internal;
}

const otherBackend = (b: string) => (b === 'wasm' ? 'webgpu' : 'wasm');
const backendName = (b: 'webgpu' | 'wasm') => (b === 'wasm' ? 'wasm (CPU)' : 'WebGPU');

export function errorActions(err: RunError, ctx: ErrorContext): ErrorAction[] {
  const out: ErrorAction[] = [];
  const add = (id: ErrorActionId, label: string) => {
    if (!out.some((a) => a.id === id)) out.push({ id, label });
  };
  const retry = err.during === 'load' ? 'Retry loading' : 'Retry';
  const switchTo = otherBackend(ctx.backend);
  const bigger = ctx.native !== null && ctx.size.width * ctx.size.height > ctx.native.width * ctx.native.height;
  const smaller = () => {
    if (ctx.native && bigger) add('smaller-size', `Use ${ctx.native.width}×${ctx.native.height}`);
    else if (ctx.size.width > 64 || ctx.size.height > 64) add('smaller-size', 'Halve the size');
  };
  switch (err.code) {
    case 'fetch-failed':
      add('retry', retry);
      add('pick-model', 'Pick another model');
      break;
    case 'model-missing-file':
    case 'model-malformed':
    case 'model-unsupported':
    case 'model-mismatch':
      add('pick-model', 'Pick another model');
      break;
    case 'storage-full':
      add('pick-model', 'Manage storage');
      break;
    case 'out-of-memory':
      smaller();
      if (!ctx.lowMemory) add('low-memory', 'Turn on low-memory mode');
      if (ctx.backend !== 'wasm') add('switch-backend', `Switch to ${backendName('wasm')}`);
      add('retry', retry);
      break;
    case 'device-lost':
      add('retry', retry);
      add('switch-backend', `Switch to ${backendName('wasm')}`);
      break;
    case 'backend-failed':
    case 'non-finite-output':
      add('switch-backend', `Switch to ${backendName(switchTo)}`);
      add('pick-model', 'Pick another model');
      break;
    case 'invalid-params':
    case 'cancelled':
      break;
    default:
      add('retry', retry);
      if (err.during === 'load') add('pick-model', 'Pick another model');
  }
  // The worker's own hints (e.g. for an out-of-memory run) add what the code alone does not say.
  for (const hint of err.suggestions ?? []) {
    if (hint === 'smaller-size') smaller();
    if (hint === 'low-memory' && !ctx.lowMemory) add('low-memory', 'Turn on low-memory mode');
    if (hint === 'wasm' && ctx.backend !== 'wasm') add('switch-backend', `Switch to ${backendName('wasm')}`);
  }
  return out;
}
