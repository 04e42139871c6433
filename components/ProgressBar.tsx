'use client';
import { useRun } from '@/stores/run';

function eta(step: number, total: number, elapsedMs: number): string {
  if (step === 0) return '…';
  const ms = (elapsedMs / step) * (total - step);
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function ProgressBar() {
  const phase = useRun((r) => r.phase);
  const step = useRun((r) => r.step);
  const totalSteps = useRun((r) => r.totalSteps);
  const elapsedMs = useRun((r) => r.elapsedMs);
  const batch = useRun((r) => r.batch);
  if (phase !== 'generating') return null;
  const pct = totalSteps ? (step / totalSteps) * 100 : 0;
  return (
    <div className="flex flex-col gap-1" data-testid="progress">
      <div
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={totalSteps}
        aria-valuenow={step}
        aria-label="Generation progress"
        className="h-2 w-full overflow-hidden rounded bg-neutral-200 dark:bg-neutral-800"
      >
        {/* No width transition: animating it kept layout and paint busy for the whole run, competing with the worker for the cores. */}
        <div className="h-full bg-amber-500" style={{ width: `${pct}%` }} />
      </div>
      <span className="text-xs tabular-nums text-neutral-500" data-testid="progress-text">
        {batch && (
          <span data-testid="batch-progress">
            image {batch.index} of {batch.count} ·{' '}
          </span>
        )}
        step {step}/{totalSteps} · ETA {eta(step, totalSteps, elapsedMs)}
      </span>
    </div>
  );
}
