/** A LinearStep laid out as the step graph's `coef` input (rows STEP_OUTPUTS, columns STEP_BUFFERS). */
import type { LinearStep, LinearTerms, StepBuffer } from '../schedulers/types';
import { STEP_BUFFERS } from './graphs';

export function stepCoefficients(step: LinearStep, registers: number): Float32Array {
  const columns = STEP_BUFFERS(registers);
  const cols = columns.length;
  const rows: Array<LinearTerms | null> = [step.prevSample, step.predOriginalSample, ...step.registers];
  if (step.registers.length !== registers) throw new Error(`LinearStep has ${step.registers.length} registers; the scheduler declares ${registers}`);
  const coef = new Float32Array(rows.length * cols);
  rows.forEach((terms, r) => {
    // A step with no x0 estimate (predOriginalSample null) leaves its row zero: previews then show nothing new.
    for (const [buffer, c] of terms ?? []) {
      const k = columns.indexOf(buffer as StepBuffer);
      if (k < 0) throw new Error(`LinearStep names buffer "${buffer}", not one of ${columns.join(', ')}`);
      coef[r * cols + k] += c;
    }
  });
  return coef;
}
