'use client';
import { useEffect, useRef } from 'react';
import { useRun, type RunState } from '@/stores/run';

function eta(step: number, total: number, elapsedMs: number): string {
  if (step === 0) return '…';
  const ms = (elapsedMs / step) * (total - step);
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const fractionOf = ({ step, totalSteps }: Pick<RunState, 'step' | 'totalSteps'>) => (totalSteps ? Math.min(1, step / totalSteps) : 0);

/**
 * The fill: a full-width layer scaled in x (`transform` on a `will-change` layer: the compositor
 * moves it, no layout or paint), written straight to the element at most once per animation
 * frame, outside React: a small model's steps come faster than frames, and each render would be
 * main-thread work beside the worker.
 */
function ProgressFill() {
  const fill = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let frame = 0;
    let shown = -1;
    const draw = () => {
      frame = 0;
      const fraction = fractionOf(useRun.getState());
      if (fraction === shown || !fill.current) return;
      shown = fraction;
      fill.current.style.transform = `scaleX(${fraction})`;
    };
    const unsubscribe = useRun.subscribe(() => {
      if (frame === 0) frame = requestAnimationFrame(draw);
    });
    draw();
    return () => {
      unsubscribe();
      cancelAnimationFrame(frame);
    };
  }, []);
  return <div ref={fill} className="h-full w-full origin-left bg-amber-500 will-change-transform" style={{ transform: 'scaleX(0)' }} />;
}

export function ProgressBar() {
  const phase = useRun((r) => r.phase);
  const step = useRun((r) => r.step);
  const totalSteps = useRun((r) => r.totalSteps);
  const elapsedMs = useRun((r) => r.elapsedMs);
  const batch = useRun((r) => r.batch);
  if (phase !== 'generating') return null;
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
        <ProgressFill />
      </div>
      {/* Text changes are coalesced by the browser into one style/layout pass per frame; the step count stays exact for assistive tech and tests. */}
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
