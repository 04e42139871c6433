'use client';
/** Small labelled inputs shared by the control panels. */

export const fieldClass = 'rounded border border-neutral-300 bg-white px-2 py-1 dark:border-neutral-700 dark:bg-neutral-900';

interface SliderRowProps {
  label: string;
  testId: string;
  ariaLabel: string;
  min: number;
  max: number;
  step: number;
  value: number;
  disabled?: boolean;
  onChange: (value: number) => void;
}

/** A range slider with its label and current value, e.g. "Scale ——o—— 1.00". */
export function SliderRow({ label, testId, ariaLabel, min, max, step, value, disabled, onChange }: SliderRowProps) {
  return (
    <label className="flex items-center gap-2">
      <span className="w-24">{label}</span>
      <input
        data-testid={testId}
        aria-label={ariaLabel}
        type="range"
        min={min}
        max={max}
        step={step}
        value={value}
        disabled={disabled}
        onChange={(e) => onChange(Number(e.target.value))}
        className="grow"
      />
      <output className="w-10 tabular-nums">{value.toFixed(2)}</output>
    </label>
  );
}

/** A labelled select over numbers (sizes). */
export function NumberSelect({
  label,
  testId,
  value,
  options,
  onChange,
}: {
  label: string;
  testId: string;
  value: number;
  options: readonly number[];
  onChange: (v: number) => void;
}) {
  return (
    <label className="flex flex-col gap-1">
      <span className="font-medium">{label}</span>
      <select data-testid={testId} value={value} onChange={(e) => onChange(Number(e.target.value))} className={fieldClass}>
        {options.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    </label>
  );
}
