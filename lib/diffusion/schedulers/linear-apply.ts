/**
 * The reference semantics of a scheduler's linear form (types.ts: LinearStep) in plain JS,
 * and the small term algebra the schedulers write their linear steps with.
 *
 * A LinearStep says out = Σ coefficient × buffer for each output, every output read from the
 * buffers as they were before the step. `applyLinearStep` is what the GPU-resident loop must
 * compute; the contract test (tests/unit/schedulers/linear-form.test.ts) holds each
 * scheduler's `linear.step` + this to its `step`.
 */
import type { LinearStep, LinearTerms, StepBuffer } from './types';

export const SAMPLE: LinearTerms = [['sample', 1]];
export const MODEL: LinearTerms = [['model', 1]];
export const NOISE: LinearTerms = [['noise', 1]];
/** The zero combination (a register the next steps do not read). */
export const ZERO: LinearTerms = [];

export function register(index: number): LinearTerms {
  return [[`r${index}`, 1]];
}

/**
 * Σ k·terms, merged per buffer (first appearance first). Coefficients that come out exactly 0
 * are dropped, so a buffer the formula does not use (the noise of a churn-free Euler step)
 * costs the loop nothing; step() does not read it there either.
 */
export function combine(...parts: ReadonlyArray<readonly [number, LinearTerms]>): LinearTerms {
  const sum = new Map<StepBuffer, number>();
  for (const [k, terms] of parts) {
    for (const [buffer, c] of terms) sum.set(buffer, (sum.get(buffer) ?? 0) + k * c);
  }
  return [...sum].filter(([, c]) => c !== 0);
}

export interface LinearBuffers {
  sample: Float32Array;
  /** The (guided) model output. */
  model: Float32Array;
  /** `randn(n)` when the step draws noise (required when a term reads it). */
  noise?: Float32Array;
  /** r0, r1, …: the registers after the previous step (zeros before the first). */
  registers: readonly Float32Array[];
}

export interface LinearStepResult {
  prevSample: Float32Array;
  predOriginalSample: Float32Array | null;
  /** The registers for the next step (new arrays; the inputs are not written). */
  registers: Float32Array[];
}

/** Evaluates `step` on `buffers`: each output accumulated in float64 and stored as float32. */
export function applyLinearStep(step: LinearStep, buffers: LinearBuffers): LinearStepResult {
  const n = buffers.sample.length;
  const read = (buffer: StepBuffer): Float32Array => {
    let array: Float32Array | undefined;
    if (buffer === 'sample') array = buffers.sample;
    else if (buffer === 'model') array = buffers.model;
    else if (buffer === 'noise') {
      if (!step.drawsNoise) throw new Error('applyLinearStep: a term reads noise but the step does not draw any (drawsNoise false)');
      array = buffers.noise;
      if (!array) throw new Error('applyLinearStep: the step reads noise; pass buffers.noise = randn(n)');
    } else {
      const index = Number(buffer.slice(1));
      array = buffers.registers[index];
      if (!array) throw new Error(`applyLinearStep: the step reads ${buffer} but ${buffers.registers.length} registers were passed`);
    }
    if (array.length !== n) throw new Error(`applyLinearStep: ${buffer} has ${array.length} elements but sample has ${n}`);
    return array;
  };
  const acc = new Float64Array(n);
  const evaluate = (terms: LinearTerms): Float32Array => {
    acc.fill(0);
    for (const [buffer, c] of terms) {
      const x = read(buffer);
      for (let i = 0; i < n; i++) acc[i] += c * x[i];
    }
    return Float32Array.from(acc);
  };
  return {
    prevSample: evaluate(step.prevSample),
    predOriginalSample: step.predOriginalSample ? evaluate(step.predOriginalSample) : null,
    registers: step.registers.map(evaluate),
  };
}
