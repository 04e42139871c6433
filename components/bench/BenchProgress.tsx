'use client';
import { useBench } from '@/stores/bench';
import { useRun } from '@/stores/run';
import { CONFIG_LABELS } from './report';

/** Which run is going (of how many, which kind, which step), and what stopped the bench if it failed. */
export function BenchProgress() {
  const progress = useBench((b) => b.progress);
  const phase = useBench((b) => b.phase);
  const error = useBench((b) => b.error);
  const loadError = useRun((r) => (r.error?.during === 'load' ? r.error : null));
  const step = useRun((r) => r.step);
  const totalSteps = useRun((r) => r.totalSteps);
  return (
    <div aria-live="polite" className="text-sm">
      {progress && (
        <p data-testid="bench-progress">
          run {progress.index} of {progress.total} · {CONFIG_LABELS[progress.config]}
          {progress.cold ? ' (cold)' : ''} · step {step}/{totalSteps}
        </p>
      )}
      {phase === 'done' && <p data-testid="bench-done">Done.</p>}
      {phase === 'stopped' && <p data-testid="bench-stopped">Stopped: the runs that finished are below.</p>}
      {error && (
        <p role="alert" data-testid="bench-error" className="text-red-700 dark:text-red-400">
          The benchmark stopped: {error}
        </p>
      )}
      {loadError && (
        <p role="alert" data-testid="bench-load-error" className="text-red-700 dark:text-red-400">
          The model did not open ({loadError.code}): {loadError.message}
        </p>
      )}
    </div>
  );
}
