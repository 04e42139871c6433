/**
 * Progress in steps, not model calls: a second-order scheduler (Heun, `order` 2) lists each
 * step's σ twice in `timesteps` (2N − 1 entries for N steps), so a step is done after every
 * `order`-th entry, and the last entry ends the last step.
 */
export function stepsDone(entry: number, entries: number, order: number): { step: number; totalSteps: number } {
  const totalSteps = Math.ceil(entries / order);
  return { step: entry === entries - 1 ? totalSteps : Math.floor((entry + 1) / order), totalSteps };
}

/** The progress to report after `entry`, or null when that entry finished no step (Heun's predictor call). */
export function progressAfter(entry: number, entries: number, order: number): { step: number; totalSteps: number } | null {
  const done = stepsDone(entry, entries, order);
  const before = entry === 0 ? 0 : stepsDone(entry - 1, entries, order).step;
  return done.step > before ? done : null;
}
