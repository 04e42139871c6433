'use client';
import { useRun } from '@/stores/run';
import { useSettings, type InitSource } from '@/stores/settings';
import { fieldClass, SliderRow } from './fields';


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
        <SliderRow
          label="Scale"
          testId="control-scale"
          ariaLabel="ControlNet conditioning scale"
          min={0}
          max={2}
          step={0.05}
          value={s.controlScale}
          onChange={(v) => s.set({ controlScale: v })}
        />
        <SliderRow
          label="Start"
          testId="control-start"
          ariaLabel="ControlNet start (fraction of the schedule)"
          min={0}
          max={1}
          step={0.05}
          value={s.controlStart}
          onChange={(v) => s.set({ controlStart: Math.min(v, s.controlEnd - 0.05) })}
        />
        <SliderRow
          label="End"
          testId="control-end"
          ariaLabel="ControlNet end (fraction of the schedule)"
          min={0}
          max={1}
          step={0.05}
          value={s.controlEnd}
          onChange={(v) => s.set({ controlEnd: Math.max(v, s.controlStart + 0.05) })}
        />
      </fieldset>
      <fieldset className="flex flex-col gap-2" disabled={!model?.hasVaeEncoder}>
        <legend className="font-medium">img2img {model && !model.hasVaeEncoder && <span className="font-normal text-neutral-500">(no VAE encoder)</span>}</legend>
        <span className="flex flex-wrap items-center gap-2">
          <select data-testid="init-source" aria-label="Init image" value={s.initSource} onChange={(e) => s.set({ initSource: e.target.value as InitSource })} className={fieldClass}>
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
        <SliderRow
          label="Strength"
          testId="strength"
          ariaLabel="img2img strength"
          min={0.05}
          max={1}
          step={0.05}
          value={s.strength}
          disabled={s.initSource === 'none'}
          onChange={(v) => s.set({ strength: v })}
        />
      </fieldset>
      <label className="flex items-center gap-2">
        <input type="checkbox" data-testid="live-mode" checked={s.liveMode} onChange={(e) => s.set({ liveMode: e.target.checked })} />
        <span>Live: regenerate while drawing (fixed seed, fast settings)</span>
      </label>
    </div>
  );
}
