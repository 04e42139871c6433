'use client';
import { useEffect, useState } from 'react';
import { useRun, type RunState } from '@/stores/run';

function eta(step: number, total: number, elapsedMs: number): string {
  if (step === 0) return '…';
  const ms = (elapsedMs / step) * (total - step);
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

type Shown = Pick<RunState, 'phase' | 'step' | 'totalSteps' | 'elapsedMs' | 'batch'>;

const pick = ({ phase, step, totalSteps, elapsedMs, batch }: RunState): Shown => ({ phase, step, totalSteps, elapsedMs, batch });
const same = (a: Shown, b: Shown) =>
  a.phase === b.phase && a.step === b.step && a.totalSteps === b.totalSteps && a.elapsedMs === b.elapsedMs && a.batch === b.batch;

/**
 * The run's progress, read at most once per animation frame: a small model's steps come faster
 * than frames, and each render is main-thread work beside the worker on a machine with few cores.
 */
function useProgressPerFrame(): Shown {
  const [shown, setShown] = useState(() => pick(useRun.getState()));
  useEffect(() => {
    let frame = 0;
    const refresh = () => {
      frame = 0;
      const next = pick(useRun.getState());
      setShown((prev) => (same(prev, next) ? prev : next));
    };
    const unsubscribe = useRun.subscribe(() => {
      if (frame === 0) frame = requestAnimationFrame(refresh);
    });
    refresh();
    return () => {
      unsubscribe();
      cancelAnimationFrame(frame);
    };
  }, []);
  return shown;
}

export function ProgressBar() {
  const { phase, step, totalSteps, elapsedMs, batch } = useProgressPerFrame();
  if (phase !== 'generating') return null;
  const fraction = totalSteps ? Math.min(1, step / totalSteps) : 0;
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
        {/* Compositor-only: the fill is a full-width layer scaled in x (no width, so no layout or paint per step). */}
        <div className="h-full w-full origin-left bg-amber-500 will-change-transform" style={{ transform: `scaleX(${fraction})` }} />
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
