'use client';
import { useRun } from '@/stores/run';
import { useSettings, type InitSource } from '@/stores/settings';

const field = 'rounded border border-neutral-300 bg-white px-2 py-1 dark:border-neutral-700 dark:bg-neutral-900';

/** ControlNet scale and start/end range, img2img source and strength, live mode. */
export function ConditioningControls({ onUpload }: { onUpload: (file: File) => void }) {
  const s = useSettings();
  const model = useRun((r) => r.model);
  const hasResult = useRun((r) => r.result !== null);
  return (
    <div className="flex flex-col gap-3 text-sm">
      <fieldset className="flex flex-col gap-2" disabled={!model?.hasControlNet}>
        <legend className="flex items-center gap-2 font-medium">
          <input
            type="checkbox"
            data-testid="control-enabled"
            aria-label="Use the sketch as ControlNet condition"
            checked={s.controlEnabled && !!model?.hasControlNet}
            onChange={(e) => s.set({ controlEnabled: e.target.checked })}
          />
          ControlNet {model && !model.hasControlNet && <span className="font-normal text-neutral-500">(this model has none)</span>}
        </legend>
        <label className="flex items-center gap-2">
          <span className="w-24">Scale</span>
          <input
            data-testid="control-scale"
            aria-label="ControlNet conditioning scale"
            type="range"
            min={0}
            max={2}
            step={0.05}
            value={s.controlScale}
            onChange={(e) => s.set({ controlScale: Number(e.target.value) })}
            className="grow"
          />
          <output className="w-10 tabular-nums">{s.controlScale.toFixed(2)}</output>
        </label>
        <label className="flex items-center gap-2">
          <span className="w-24">Start</span>
          <input
            data-testid="control-start"
            aria-label="ControlNet start (fraction of the schedule)"
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={s.controlStart}
            onChange={(e) => s.set({ controlStart: Math.min(Number(e.target.value), s.controlEnd - 0.05) })}
            className="grow"
          />
          <output className="w-10 tabular-nums">{s.controlStart.toFixed(2)}</output>
        </label>
        <label className="flex items-center gap-2">
          <span className="w-24">End</span>
          <input
            data-testid="control-end"
            aria-label="ControlNet end (fraction of the schedule)"
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={s.controlEnd}
            onChange={(e) => s.set({ controlEnd: Math.max(Number(e.target.value), s.controlStart + 0.05) })}
            className="grow"
          />
          <output className="w-10 tabular-nums">{s.controlEnd.toFixed(2)}</output>
        </label>
      </fieldset>
      <fieldset className="flex flex-col gap-2" disabled={!model?.hasVaeEncoder}>
        <legend className="font-medium">img2img {model && !model.hasVaeEncoder && <span className="font-normal text-neutral-500">(no VAE encoder)</span>}</legend>
        <span className="flex flex-wrap items-center gap-2">
          <select data-testid="init-source" aria-label="Init image" value={s.initSource} onChange={(e) => s.set({ initSource: e.target.value as InitSource })} className={field}>
            <option value="none">off (txt2img)</option>
            <option value="sketch">the sketch</option>
            <option value="last" disabled={!hasResult}>
              the last result
            </option>
            <option value="upload">an uploaded image</option>
          </select>
          {s.initSource === 'upload' && (
            <input
              type="file"
              accept="image/*"
              data-testid="init-upload"
              aria-label="Upload init image"
              onChange={(e) => e.target.files?.[0] && onUpload(e.target.files[0])}
            />
          )}
        </span>
        <label className="flex items-center gap-2">
          <span className="w-24">Strength</span>
          <input
            data-testid="strength"
            aria-label="img2img strength"
            type="range"
            min={0.05}
            max={1}
            step={0.05}
            value={s.strength}
            disabled={s.initSource === 'none'}
            onChange={(e) => s.set({ strength: Number(e.target.value) })}
            className="grow"
          />
          <output className="w-10 tabular-nums">{s.strength.toFixed(2)}</output>
        </label>
      </fieldset>
      <label className="flex items-center gap-2">
        <input type="checkbox" data-testid="live-mode" checked={s.liveMode} onChange={(e) => s.set({ liveMode: e.target.checked })} />
        <span>Live: regenerate while drawing (fixed seed, fast settings)</span>
      </label>
    </div>
  );
}
