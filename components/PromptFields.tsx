'use client';
import { useEffect } from 'react';
import { useSettings } from '@/stores/settings';
import { useRun } from '@/stores/run';
import { countTokens } from './engine';

function TokenCounter({ id, value }: { id: string; value: { count: number; max: number; truncated: boolean } | null }) {
  if (!value) return null;
  const over = value.count > value.max;
  return (
    <span id={id} data-testid={id} className={`text-xs tabular-nums ${over ? 'text-red-500' : 'text-neutral-500'}`}>
      {value.count}/{value.max}
      {over ? ' — truncated' : ''}
    </span>
  );
}

/** A small model knows few words: its lantern.json examples, one click each. */
function ExamplePrompts({ prompts, onPick }: { prompts: string[]; onPick: (p: string) => void }) {
  if (!prompts.length) return null;
  return (
    <div className="flex flex-wrap items-center gap-1 text-xs" data-testid="example-prompts">
      <span className="text-neutral-500">Try:</span>
      {prompts.map((p) => (
        <button
          key={p}
          type="button"
          className="rounded-full border border-neutral-300 px-2 py-0.5 hover:bg-neutral-100 dark:border-neutral-700 dark:hover:bg-neutral-800"
          onClick={() => onPick(p)}
        >
          {p}
        </button>
      ))}
    </div>
  );
}

export function PromptFields() {
  const prompt = useSettings((s) => s.prompt);
  const negativePrompt = useSettings((s) => s.negativePrompt);
  const guidanceScale = useSettings((s) => s.guidanceScale);
  const set = useSettings((s) => s.set);
  // Selectors, not the whole store: a progress tick must not re-render the prompt boxes.
  const tokenCount = useRun((r) => r.tokenCount);
  const negativeTokenCount = useRun((r) => r.negativeTokenCount);
  const model = useRun((r) => r.model);
  const negativeActive = guidanceScale > 1;

  useEffect(() => countTokens(prompt, 'tokenCount'), [prompt, model]);
  useEffect(() => countTokens(negativePrompt, 'negativeTokenCount'), [negativePrompt, model]);

  return (
    <div className="flex flex-col gap-3">
      <label className="flex flex-col gap-1">
        <span className="flex justify-between text-sm font-medium">
          Prompt <TokenCounter id="prompt-tokens" value={tokenCount} />
        </span>
        <textarea
          data-testid="prompt"
          className="min-h-20 rounded border border-neutral-300 bg-white p-2 dark:border-neutral-700 dark:bg-neutral-900"
          value={prompt}
          placeholder="a red circle on a blue background"
          onChange={(e) => set({ prompt: e.target.value })}
        />
      </label>
      <ExamplePrompts prompts={model?.examplePrompts ?? []} onPick={(p) => set({ prompt: p })} />
      <label className={`flex flex-col gap-1 ${negativeActive ? '' : 'opacity-50'}`}>
        <span className="flex justify-between text-sm font-medium">
          Negative prompt <TokenCounter id="negative-tokens" value={negativeTokenCount} />
        </span>
        <textarea
          data-testid="negative-prompt"
          className="min-h-12 rounded border border-neutral-300 bg-white p-2 disabled:cursor-not-allowed dark:border-neutral-700 dark:bg-neutral-900"
          value={negativePrompt}
          disabled={!negativeActive}
          title={negativeActive ? undefined : 'Guidance ≤ 1 runs without the unconditional pass, so the negative prompt has no effect'}
          onChange={(e) => set({ negativePrompt: e.target.value })}
        />
      </label>
    </div>
  );
}
