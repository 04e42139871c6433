'use client';
import { useModels } from '@/stores/models';
import { useRun } from '@/stores/run';

/** The origin a model folder URL points at, when it is not this page's (weights from elsewhere: say so). */
export function foreignOrigin(sourceKind: string, sourceLabel: string, here: string): string | null {
  if (sourceKind !== 'url') return null;
  try {
    const origin = new URL(sourceLabel, here).origin;
    return origin === new URL(here).origin ? null : origin;
  } catch {
    return null;
  }
}

/** The model in use, its family and backend, always in view; opens the model library. */
export function ModelBar() {
  const model = useRun((r) => r.model);
  const loading = useRun((r) => r.phase === 'loading-model');
  const open = useModels((m) => m.pickerOpen);
  const patch = useModels((m) => m.patch);
  return (
    <div className="flex flex-wrap items-center gap-2 rounded border border-neutral-300 px-3 py-2 text-sm dark:border-neutral-700" data-testid="model-bar">
      <span className="text-neutral-500">Model</span>
      {model ? (
        <span data-testid="model-in-use" title={model.sourceLabel}>
          <strong>{model.name}</strong> · {model.family.label} · {model.backend}
          {model.lowMemory && ' · low-memory'} · <span className="text-neutral-500">{model.sourceLabel}</span>
          {foreignOrigin(model.sourceKind, model.sourceLabel, window.location.href) && (
            <span data-testid="model-origin" className="text-amber-700 dark:text-amber-400">
              {' '}
              · from another site: {foreignOrigin(model.sourceKind, model.sourceLabel, window.location.href)}
            </span>
          )}
        </span>
      ) : (
        <span data-testid="model-in-use" className="text-neutral-500">
          {loading ? 'loading…' : 'none'}
        </span>
      )}
      <button
        type="button"
        data-testid="open-models"
        aria-expanded={open}
        onClick={() => patch({ pickerOpen: !open })}
        className="ml-auto rounded border border-neutral-400 px-3 py-1 hover:bg-neutral-100 dark:hover:bg-neutral-800"
      >
        {open ? 'Close models' : 'Models…'}
      </button>
    </div>
  );
}
