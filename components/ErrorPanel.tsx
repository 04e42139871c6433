'use client';
/** The last failure, beside the result: what happened (typed code, the file named in the message) and a way forward. */
import { useRun } from '@/stores/run';
import { useModels } from '@/stores/models';
import { useSettings } from '@/stores/settings';
import { retryLast } from './engine';
import { errorActions, errorTitle, type ErrorActionId } from './error-actions';
import { sizeContextOf } from './SizeControls';

/** Half the size, on the 64 px grid, never below 64. */
const half = (v: number) => Math.max(64, Math.round(v / 2 / 64) * 64);

function perform(id: ErrorActionId, native: { width: number; height: number } | null): void {
  const settings = useSettings.getState();
  switch (id) {
    case 'retry':
      return retryLast();
    case 'pick-model':
      useModels.getState().patch({ pickerOpen: true });
      requestAnimationFrame(() => document.querySelector('[data-testid="model-picker"]')?.scrollIntoView({ block: 'start' }));
      return;
    case 'smaller-size': {
      const bigger = native && settings.width * settings.height > native.width * native.height;
      return settings.set(bigger ? { width: native.width, height: native.height } : { width: half(settings.width), height: half(settings.height) });
    }
    case 'low-memory':
      return settings.set({ lowMemory: true });
    case 'switch-backend': {
      const now = useRun.getState().model?.backend ?? settings.backend;
      return settings.set({ backend: now === 'wasm' ? 'webgpu' : 'wasm' });
    }
  }
}

export function ErrorPanel() {
  const error = useRun((r) => r.error);
  const model = useRun((r) => r.model);
  const backendSetting = useSettings((s) => s.backend);
  const lowMemory = useSettings((s) => s.lowMemory);
  const width = useSettings((s) => s.width);
  const height = useSettings((s) => s.height);
  if (!error) return null;
  const native = sizeContextOf(model)?.native ?? null;
  const actions = errorActions(error, { backend: model?.backend ?? backendSetting, lowMemory, size: { width, height }, native });
  return (
    <div
      role="alert"
      data-testid="error-panel"
      className="flex flex-col gap-2 rounded border border-red-300 bg-red-50 p-3 text-sm dark:border-red-800 dark:bg-red-950"
    >
      <strong className="text-red-700 dark:text-red-300">{errorTitle(error.code)}</strong>
      <p data-testid="error" className="break-words text-red-700 dark:text-red-300">
        [{error.code}] {error.message}
      </p>
      {actions.length > 0 && (
        <div className="flex flex-wrap gap-2">
          {actions.map((a) => (
            <button
              key={a.id}
              type="button"
              data-testid={`error-action-${a.id}`}
              onClick={() => perform(a.id, native)}
              className="rounded border border-red-400 px-2 py-1 hover:bg-red-100 dark:hover:bg-red-900"
            >
              {a.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
