'use client';
import { useRun } from '@/stores/run';
import { cancelGenerate } from './engine';
import { ProgressBar } from './ProgressBar';

export function GenerateBar({ onGenerate }: { onGenerate: () => void }) {
  const phase = useRun((r) => r.phase);
  const generating = phase === 'generating';
  return (
    <div className="flex flex-col gap-2">
      <div className="flex gap-2">
        <button
          type="button"
          data-testid="generate"
          disabled={phase !== 'ready'}
          onClick={onGenerate}
          className="grow rounded bg-amber-500 px-4 py-2 font-semibold text-black hover:bg-amber-400 disabled:opacity-50"
          title="Generate (Ctrl/Cmd+Enter)"
        >
          {generating ? 'Generating…' : 'Generate'}
        </button>
        {generating && (
          <button type="button" data-testid="cancel" onClick={cancelGenerate} className="rounded border border-neutral-400 px-4 py-2">
            Cancel
          </button>
        )}
      </div>
      <ProgressBar />
    </div>
  );
}
