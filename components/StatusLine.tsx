'use client';
import { useRun } from '@/stores/run';

export function StatusLine() {
  const phase = useRun((r) => r.phase);
  const model = useRun((r) => r.model);
  const loadLabel = useRun((r) => r.loadLabel);
  const message = useRun((r) => r.message);
  return (
    <div className="flex flex-col gap-1 text-xs text-neutral-600 dark:text-neutral-400" aria-live="polite">
      <p data-testid="status">
        {phase === 'loading-model' && `Loading model… ${loadLabel}`}
        {model && phase !== 'loading-model' && (
          <>
            Backend <strong data-testid="backend-in-use">{model.backend}</strong> · model <strong data-testid="model-name">{model.name}</strong> (
            <span data-testid="model-family" title={`recognised from: ${model.family.evidence}`}>
              {model.family.label}
            </span>
            ) · <span data-testid="backend-reason">{model.backendReason}</span>
          </>
        )}
        {message && <span data-testid="message"> · {message}</span>}
      </p>
      {model?.warnings.map((w) => (
        <p key={w} data-testid="model-warning" className="text-amber-700 dark:text-amber-400">
          ⚠ {w}
        </p>
      ))}
    </div>
  );
}
