'use client';
import { useBench } from '@/stores/bench';
import { useRun } from '@/stores/run';
import { useSettings } from '@/stores/settings';
import { fieldClass } from '../fields';
import { OPTION_LIMITS, optionValue, type NumericOption } from './plan';
import { runBench, stopBench } from './runner';
import { EnvironmentLine } from './EnvironmentLine';

/** The model in use as the studio opened it: name, family, backend and why, source. */
function ModelLine() {
  const model = useRun((r) => r.model);
  const phase = useRun((r) => r.phase);
  const loadLabel = useRun((r) => r.loadLabel);
  if (!model) return <p data-testid="bench-model">{phase === 'loading-model' ? `Loading model… ${loadLabel}` : 'No model open.'}</p>;
  return (
    <p data-testid="bench-model" className="text-sm">
      <strong data-testid="bench-model-name">{model.name}</strong> · {model.family.label} · backend <strong data-testid="bench-backend">{model.backend}</strong>{' '}
      <span className="text-neutral-500" data-testid="bench-backend-reason">
        ({model.backendReason})
      </span>{' '}
      · <span className="text-neutral-500">{model.sourceLabel}</span>
      {model.hasControlNet && ' · ControlNet'}
    </p>
  );
}

function OptionBox({ name, label }: { name: NumericOption; label: string }) {
  const value = useBench((b) => b.options[name]);
  const running = useBench((b) => b.phase === 'running');
  const { min, max } = OPTION_LIMITS[name];
  return (
    <label className="flex items-center gap-2 text-sm">
      <span>{label}</span>
      <input
        type="number"
        data-testid={`bench-${name}`}
        min={min}
        max={max}
        value={value}
        disabled={running}
        onChange={(e) => {
          const v = optionValue(name, e.target.value);
          if (v !== null) useBench.getState().patch({ options: { ...useBench.getState().options, [name]: v } });
        }}
        className={`${fieldClass} w-20`}
      />
    </label>
  );
}

/** Size the runs use: the model's fixed size, else the studio's setting. */
function SizeLine() {
  const fixed = useRun((r) => r.model?.fixedSize ?? null);
  const width = useSettings((s) => s.width);
  const height = useSettings((s) => s.height);
  const size = fixed ?? { width, height };
  return (
    <span className="text-sm" data-testid="bench-size">
      {size.width}×{size.height}
    </span>
  );
}

export function BenchSetup() {
  const ready = useRun((r) => r.phase === 'ready' && r.model !== null);
  const running = useBench((b) => b.phase === 'running');
  return (
    <section aria-label="Setup" className="flex flex-col gap-2 rounded border border-neutral-300 p-3 dark:border-neutral-700">
      <ModelLine />
      <EnvironmentLine />
      <div className="flex flex-wrap items-center gap-4">
        <SizeLine />
        <OptionBox name="steps" label="Steps" />
        <OptionBox name="repeats" label="Warm repeats" />
        <button
          type="button"
          data-testid="bench-run"
          disabled={!ready || running}
          onClick={() => void runBench()}
          className="rounded bg-amber-500 px-4 py-2 font-semibold text-black hover:bg-amber-400 disabled:opacity-50"
        >
          {running ? 'Running…' : 'Run benchmark'}
        </button>
        {running && (
          <button type="button" data-testid="bench-stop" onClick={() => stopBench()} className="rounded border border-neutral-400 px-4 py-2">
            Stop
          </button>
        )}
      </div>
    </section>
  );
}
