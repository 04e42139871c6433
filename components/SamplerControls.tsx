'use client';
import { clampParam, inputRange, SCHEDULER_HELP, SCHEDULER_LABELS, SCHEDULER_NAMES, type SchedulerName } from '@/lib/diffusion/params';
import type { BackendPreference } from '@/lib/onnx/types';
import { useRun } from '@/stores/run';
import { useSettings, type SeedMode } from '@/stores/settings';
import { fieldClass, NumberBox } from './fields';
import { SizeControls } from './SizeControls';

/** The inputs' min/max/step, from lib/diffusion/params' PARAM_LIMITS (exported for the test that says so). */
export const SAMPLER_INPUTS = {
  guidanceScale: inputRange('guidanceScale'),
  steps: inputRange('steps'),
  seed: inputRange('seed'),
  guidanceRescale: inputRange('guidanceRescale'),
} as const;

/** "Model default (PLMS)": what 'default' means for the loaded model. */
function defaultLabel(defaultSampler: string | undefined): string {
  return defaultSampler ? `Model default (${defaultSampler})` : 'Model default';
}

export function SamplerControls() {
  const s = useSettings();
  const lastSeed = useRun((r) => r.lastSeed);
  const defaultSampler = useRun((r) => r.model?.defaultSampler);
  // The engine's own step rule for the chosen sampler and this model (e.g. DDIM on SD 1.x: 999).
  const stepMax = useRun((r) => r.model?.stepLimits[s.scheduler]?.max);
  return (
    <div className="grid grid-cols-2 gap-3 text-sm">
      <label className="col-span-2 flex flex-col gap-1">
        <span className="font-medium">Guidance scale</span>
        <span className="flex items-center gap-2">
          <input
            data-testid="guidance-slider"
            aria-label="Guidance scale slider"
            type="range"
            {...SAMPLER_INPUTS.guidanceScale}
            value={s.guidanceScale}
            onChange={(e) => s.set({ guidanceScale: clampParam('guidanceScale', Number(e.target.value)) })}
            className="grow"
          />
          <NumberBox
            param="guidanceScale"
            testId="guidance"
            ariaLabel="Guidance scale"
            value={s.guidanceScale}
            onChange={(v) => s.set({ guidanceScale: v })}
            className={`${fieldClass} w-20`}
          />
        </span>
      </label>
      <label className="flex flex-col gap-1">
        <span className="font-medium">Steps</span>
        <NumberBox param="steps" testId="steps" ariaLabel="Steps" value={s.steps} max={stepMax} onChange={(v) => s.set({ steps: v })} className={fieldClass} />
        {stepMax !== undefined && s.steps > stepMax && (
          <span className="text-xs text-red-600" data-testid="steps-limit">
            this sampler runs at most {stepMax} steps with this model
          </span>
        )}
      </label>
      <label className="flex flex-col gap-1">
        <span className="font-medium">Sampler</span>
        <select data-testid="scheduler" value={s.scheduler} onChange={(e) => s.set({ scheduler: e.target.value as SchedulerName })} className={fieldClass}>
          {SCHEDULER_NAMES.map((n) => (
            <option key={n} value={n} title={SCHEDULER_HELP[n]}>
              {n === 'default' ? defaultLabel(defaultSampler) : SCHEDULER_LABELS[n]}
            </option>
          ))}
        </select>
        <span className="text-xs text-neutral-500" data-testid="sampler-help">
          {SCHEDULER_HELP[s.scheduler]}
        </span>
      </label>
      <fieldset className="col-span-2 flex flex-col gap-1">
        <legend className="font-medium">Seed</legend>
        <span className="flex items-center gap-2">
          <select
            data-testid="seed-mode"
            aria-label="Seed mode"
            value={s.seedMode}
            onChange={(e) => s.set({ seedMode: e.target.value as SeedMode })}
            className={fieldClass}
          >
            <option value="random">random</option>
            <option value="fixed">fixed</option>
          </select>
          <NumberBox
            param="seed"
            testId="seed"
            ariaLabel="Seed"
            value={s.seed}
            disabled={s.seedMode === 'random'}
            onChange={(v) => s.set({ seed: v })}
            className={`${fieldClass} w-44 disabled:opacity-50`}
          />
          <button
            type="button"
            data-testid="reuse-seed"
            disabled={lastSeed === null}
            onClick={() => lastSeed !== null && s.set({ seed: lastSeed, seedMode: 'fixed' })}
            className="rounded border border-neutral-300 px-2 py-1 disabled:opacity-40 dark:border-neutral-700"
            title="Reuse the seed of the last image"
          >
            ♻ reuse last
          </button>
        </span>
      </fieldset>
      <SizeControls />
      <label className="flex flex-col gap-1">
        <span className="font-medium">Guidance rescale φ</span>
        <NumberBox param="guidanceRescale" testId="guidance-rescale" value={s.guidanceRescale} onChange={(v) => s.set({ guidanceRescale: v })} />
      </label>
      <label className="flex flex-col gap-1">
        <span className="font-medium">Backend</span>
        <select data-testid="backend" value={s.backend} onChange={(e) => s.set({ backend: e.target.value as BackendPreference })} className={fieldClass}>
          <option value="auto">auto</option>
          <option value="webgpu">WebGPU</option>
          <option value="wasm">wasm (CPU)</option>
        </select>
      </label>
      <label className="col-span-2 flex items-center gap-2">
        <input type="checkbox" data-testid="previews" checked={s.previews} onChange={(e) => s.set({ previews: e.target.checked })} />
        <span>Show intermediate previews</span>
      </label>
    </div>
  );
}
