'use client';
/** Small labelled inputs shared by the control panels. */
import { useState, type KeyboardEvent } from 'react';
import { clampParam, inputRange, paramProblem, type NumericParam } from '@/lib/diffusion/params';

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

/** What a number box's text becomes once it is left (blur or Enter): the value to keep and, when it was repaired, why. */
export function commitNumber(param: NumericParam, text: string, current: number, max?: number): { value: number; note: string | null } {
  const trimmed = text.trim();
  const n = trimmed === '' ? Number.NaN : Number(trimmed);
  if (!Number.isFinite(n)) return { value: current, note: `${param} needs a number: kept ${current}` };
  const problem = paramProblem(param, n);
  const value = problem ? clampParam(param, n) : n;
  // A tighter limit from the model or sampler (e.g. DDIM stops at 999 steps).
  if (max !== undefined && value > max) return { value: max, note: `${param} must be ≤ ${max} here (got ${n}): set to ${max}` };
  return { value, note: problem ? `${problem}: set to ${value}` : null };
}

/** The text as a value to use at once (while typing), or null while it is empty, partial or out of range. */
export function typedNumber(param: NumericParam, text: string, max?: number): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const n = Number(trimmed);
  return paramProblem(param, n) === null && (max === undefined || n <= max) ? n : null;
}

interface NumberBoxProps {
  param: NumericParam;
  testId: string;
  ariaLabel?: string;
  value: number;
  /** A limit below the parameter's own (the model's or sampler's). */
  max?: number;
  disabled?: boolean;
  className?: string;
  onChange: (value: number) => void;
}

/**
 * A number box that edits like one: the text is the user's while they type (clearing it and
 * typing 30 gives 30, not 130); an allowed value is used at once; the range is applied when the
 * box is left or Enter is pressed, with a note saying what was changed.
 */
export function NumberBox({ param, testId, ariaLabel, value, max, disabled, className, onChange }: NumberBoxProps) {
  // The text being typed and the value it left the setting at: when the setting changes from
  // elsewhere (a restored PNG, history, a model's recommendation) the draft is stale and the box shows the new value.
  const [draft, setDraft] = useState<{ text: string; value: number } | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const live = draft !== null && draft.value === value ? draft.text : null;
  const commit = () => {
    if (live === null) return setDraft(null);
    const { value: v, note: why } = commitNumber(param, live, value, max);
    setDraft(null);
    setNote(why);
    if (v !== value) onChange(v);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') commit();
  };
  return (
    <>
      <input
        data-testid={testId}
        aria-label={ariaLabel}
        aria-invalid={note !== null}
        type="number"
        {...inputRange(param)}
        {...(max !== undefined && { max: Math.min(max, inputRange(param).max) })}
        value={live ?? String(value)}
        disabled={disabled}
        onChange={(e) => {
          const v = typedNumber(param, e.target.value, max);
          setDraft({ text: e.target.value, value: v ?? value });
          setNote(null);
          if (v !== null && v !== value) onChange(v);
        }}
        onBlur={commit}
        onKeyDown={onKeyDown}
        className={className ?? fieldClass}
      />
      {note && (
        <span data-testid={`${testId}-note`} role="status" className="text-xs text-amber-700 dark:text-amber-400">
          {note}
        </span>
      )}
    </>
  );
}
