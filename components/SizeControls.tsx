'use client';
/**
 * Width and height: the sizes the loaded model supports (lib/diffusion/sizes), and behind an
 * explicit "custom…" any other, with a warning about speed and quality.
 */
import { useState } from 'react';
import { sizeWarning, supportedSides, type SizeContext } from '@/lib/diffusion/sizes';
import type { ModelInfo } from '@/lib/worker/protocol';
import { useRun } from '@/stores/run';
import { useSettings } from '@/stores/settings';
import { fieldClass, NumberBox } from './fields';

const CUSTOM = 'custom';

/** The model's native and fixed size as the engine reported them; null before a model is loaded. */
export function sizeContextOf(model: Pick<ModelInfo, 'fixedSize' | 'recommended'> | null): SizeContext | null {
  if (!model) return null;
  const { width, height } = model.recommended;
  const side = width ?? height;
  const native = model.fixedSize ?? (side !== undefined ? { width: width ?? side, height: height ?? side } : { width: 512, height: 512 });
  return { native, fixed: model.fixedSize };
}

/** The menu for one side: the supported sizes, plus the current value when it is a custom one. */
export function sideOptions(ctx: SizeContext | null, axis: 'width' | 'height', current: number): number[] {
  const sides = ctx ? supportedSides(ctx, axis) : [];
  return sides.includes(current) ? sides : [...sides, current].sort((a, b) => a - b);
}

function SideSelect({ axis, ctx, custom, onCustom }: { axis: 'width' | 'height'; ctx: SizeContext | null; custom: boolean; onCustom: () => void }) {
  const value = useSettings((s) => s[axis]);
  const set = useSettings((s) => s.set);
  const supported = ctx ? supportedSides(ctx, axis) : [];
  const label = axis === 'width' ? 'Width' : 'Height';
  return (
    <label className="flex flex-col gap-1">
      <span className="font-medium">{label}</span>
      {custom ? (
        <NumberBox param={axis} testId={axis} ariaLabel={`${label} (custom)`} value={value} onChange={(v) => set({ [axis]: v })} />
      ) : (
        <select
          data-testid={axis}
          value={value}
          onChange={(e) => (e.target.value === CUSTOM ? onCustom() : set({ [axis]: Number(e.target.value) }))}
          className={fieldClass}
        >
          {sideOptions(ctx, axis, value).map((v) => (
            <option key={v} value={v}>
              {supported.includes(v) ? v : `${v} (custom)`}
            </option>
          ))}
          <option value={CUSTOM}>custom…</option>
        </select>
      )}
    </label>
  );
}

export function SizeControls() {
  const model = useRun((r) => r.model);
  const width = useSettings((s) => s.width);
  const height = useSettings((s) => s.height);
  const set = useSettings((s) => s.set);
  const [custom, setCustom] = useState(false);
  const ctx = sizeContextOf(model);
  const warning = ctx ? sizeWarning(ctx, width, height) : null;
  return (
    <div className="col-span-2 grid grid-cols-2 gap-3">
      <SideSelect axis="width" ctx={ctx} custom={custom} onCustom={() => setCustom(true)} />
      <SideSelect axis="height" ctx={ctx} custom={custom} onCustom={() => setCustom(true)} />
      {(warning || custom) && (
        <p className="col-span-2 flex flex-wrap items-center gap-2 text-xs">
          {warning && (
            <span data-testid="size-warning" className="text-amber-700 dark:text-amber-400">
              ⚠ {warning}
            </span>
          )}
          {ctx && (
            <button
              type="button"
              data-testid="size-native"
              className="underline"
              onClick={() => {
                setCustom(false);
                set({ width: ctx.native.width, height: ctx.native.height });
              }}
            >
              use {ctx.native.width}×{ctx.native.height}
            </button>
          )}
        </p>
      )}
    </div>
  );
}
