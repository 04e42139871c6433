'use client';
import { clampParam, inputRange } from '@/lib/diffusion/params';
import { useRun } from '@/stores/run';
import { useSettings, type InitSource } from '@/stores/settings';
import { fieldClass, SliderRow } from './fields';

/** The sliders' min/max/step, from lib/diffusion/params' PARAM_LIMITS (strength's excluded 0 becomes its first step). */
export const CONDITIONING_INPUTS = {
  controlScale: inputRange('controlScale'),
  controlStart: inputRange('controlStart'),
  controlEnd: inputRange('controlEnd'),
  strength: inputRange('strength'),
} as const;

/** The smallest start–end window the sliders leave (one slider step): the engine needs start < end. */
export const CONTROL_MIN_GAP = CONDITIONING_INPUTS.controlStart.step;

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
          {...CONDITIONING_INPUTS.controlScale}
          value={s.controlScale}
          onChange={(v) => s.set({ controlScale: clampParam('controlScale', v) })}
        />
        <SliderRow
          label="Start"
          testId="control-start"
          ariaLabel="ControlNet start (fraction of the schedule)"
          {...CONDITIONING_INPUTS.controlStart}
          value={s.controlStart}
          onChange={(v) => s.set({ controlStart: clampParam('controlStart', Math.min(v, s.controlEnd - CONTROL_MIN_GAP)) })}
        />
        <SliderRow
          label="End"
          testId="control-end"
          ariaLabel="ControlNet end (fraction of the schedule)"
          {...CONDITIONING_INPUTS.controlEnd}
          value={s.controlEnd}
          onChange={(v) => s.set({ controlEnd: clampParam('controlEnd', Math.max(v, s.controlStart + CONTROL_MIN_GAP)) })}
        />
      </fieldset>
      <fieldset className="flex flex-col gap-2" disabled={!model?.hasVaeEncoder}>
        <legend className="font-medium">
          img2img {model && !model.hasVaeEncoder && <span className="font-normal text-neutral-500">(no VAE encoder)</span>}
        </legend>
        <span className="flex flex-wrap items-center gap-2">
          <select
            data-testid="init-source"
            aria-label="Init image"
            value={s.initSource}
            onChange={(e) => s.set({ initSource: e.target.value as InitSource })}
            className={fieldClass}
          >
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
          {...CONDITIONING_INPUTS.strength}
          value={s.strength}
          disabled={s.initSource === 'none'}
          onChange={(v) => s.set({ strength: clampParam('strength', v) })}
        />
      </fieldset>
      <label className="flex items-center gap-2">
        <input type="checkbox" data-testid="live-mode" checked={s.liveMode} onChange={(e) => s.set({ liveMode: e.target.checked })} />
        <span>Live: regenerate while drawing (fixed seed, fast settings)</span>
      </label>
    </div>
  );
}
