'use client';
import { useRun } from '@/stores/run';
import { cancelGenerate } from './engine';
import { BATCH_COUNTS, useSettings } from '@/stores/settings';
import { fieldClass } from './fields';

export function GenerateBar({ onGenerate }: { onGenerate: () => void }) {
  const phase = useRun((r) => r.phase);
  const generating = phase === 'generating';
  const batchCount = useSettings((s) => s.batchCount);
  const set = useSettings((s) => s.set);
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
          {generating ? 'Generating…' : batchCount > 1 ? `Generate ${batchCount}` : 'Generate'}
        </button>
        <label className="flex items-center gap-1 text-sm" title="Images per Generate: seed, seed + 1, …">
          <span>×</span>
          <select
            data-testid="batch-count"
            aria-label="Batch count"
            value={batchCount}
            onChange={(e) => set({ batchCount: Number(e.target.value) })}
            className={fieldClass}
          >
            {BATCH_COUNTS.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        {generating && (
          <button type="button" data-testid="cancel" onClick={cancelGenerate} className="rounded border border-neutral-400 px-4 py-2">
            Cancel
          </button>
        )}
      </div>
    </div>
  );
}
