/**
 * PNDMScheduler (Liu et al. 2022), transcribed from diffusers 0.27.2 `scheduling_pndm.py`.
 * With `skip_prk_steps: true` (every SD 1.x Hub config) this is PLMS: a linear multistep
 * method on ε whose first step is repeated (the schedule holds the second timestep
 * twice) to get a 2nd-order start. With `skip_prk_steps: false` the first three
 * timesteps are warmed up with Runge–Kutta (4 model calls each, 12 PRK entries).
 */
import type { LinearForm, LinearStep, LinearTerms, Scheduler, SchedulerConfig, SchedulerStepOutput } from './types';
import { MODEL, SAMPLE, ZERO, combine, register } from './linear-apply';
import {
  TIMESTEP_SPACINGS,
  addNoiseVp,
  alphaProdAt,
  alphasCumprodOf,
  checkInferenceSteps,
  checkSameLength,
  expectBoolean,
  expectNumber,
  expectOneOf,
  makeBetas,
  discreteScheduleProblem,
  pndmBaseTimesteps,
  stepCountProblem,
  withDefaults,
  type RawSchedulerConfig,
  type TimestepSpacing,
} from './common';

const CLASS = 'PNDMScheduler';

/** `PNDMScheduler.__init__` defaults in diffusers 0.27.2 (no rescale_betas_zero_snr there). */
export const PNDM_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  skip_prk_steps: false,
  set_alpha_to_one: false,
  prediction_type: 'epsilon',
  timestep_spacing: 'leading',
  steps_offset: 0,
} as const;

const PNDM_ORDER = 4;

/**
 * stepPlms's Adams–Bashforth ε weights (newest ε first) by history length, for the linear
 * form; stepPlms keeps diffusers' spelling of the same sums so its rounding stays diffusers'.
 */
const PLMS_WEIGHTS: readonly (readonly number[])[] = [[1], [3 / 2, -1 / 2], [23 / 12, -16 / 12, 5 / 12], [55 / 24, -59 / 24, 37 / 24, -9 / 24]];

export class PNDMScheduler implements Scheduler {
  readonly name = CLASS;
  readonly order = 1;
  readonly initNoiseSigma = 1.0;
  readonly config: Readonly<SchedulerConfig>;

  private readonly T: number;
  private readonly spacing: TimestepSpacing;
  private readonly stepsOffset: number;
  private readonly skipPrkSteps: boolean;
  private readonly predictionType: 'epsilon' | 'v_prediction';
  /** The training β table (after zero-SNR rescaling when configured), float32 values. */
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  private readonly finalAlphaCumprod: number;

  private numInferenceSteps: number | null = null;
  private prkTimesteps: number[] = [];
  private plmsTimesteps: number[] = [];
  private _timesteps: number[] = [];
  // multistep state, reset by setTimesteps
  private ets: Float32Array[] = [];
  private counter = 0;
  private curSample: Float32Array | null = null;
  /** Running RK4 combination; diffusers starts it as the scalar 0. */
  private curModelOutput: Float64Array | null = null;
  /** The linear form's stand-in for ets.length (its ε history lives in registers). */
  private linearHistory = 0;
  /** PLMS: 3 registers (the ε history, cur_sample sharing r1); the PRK warm-up adds cur_sample and the RK4 sum. */
  readonly linear: LinearForm;

  constructor(config: RawSchedulerConfig = {}) {
    const c = withDefaults(CLASS, config, PNDM_DEFAULTS);
    this.config = c;
    this.T = expectNumber(CLASS, 'num_train_timesteps', c.num_train_timesteps, { integer: true, min: 1 });
    this.spacing = expectOneOf(CLASS, 'timestep_spacing', c.timestep_spacing, TIMESTEP_SPACINGS);
    this.stepsOffset = expectNumber(CLASS, 'steps_offset', c.steps_offset, { integer: true, min: 0 });
    this.skipPrkSteps = expectBoolean(CLASS, 'skip_prk_steps', c.skip_prk_steps);
    // PNDM has no x0-prediction branch in diffusers
    this.predictionType = expectOneOf(CLASS, 'prediction_type', c.prediction_type, ['epsilon', 'v_prediction'] as const);
    this.betas = makeBetas(CLASS, c);
    this.alphasCumprod = alphasCumprodOf(this.betas);
    this.finalAlphaCumprod = expectBoolean(CLASS, 'set_alpha_to_one', c.set_alpha_to_one) ? 1.0 : this.alphasCumprod[0];
    // PNDM has no clipping or thresholding: every config is linear
    this.linear = { problem: () => null, registers: this.skipPrkSteps ? 3 : 5, inputScale: () => 1, step: (t) => this.linearStep(t) };
  }

  get timesteps(): readonly number[] {
    return this._timesteps;
  }

  /** The PRK and PLMS timesteps of `n` steps (diffusers' set_timesteps), without touching the state. */
  private schedule(n: number): { prk: number[]; plms: number[] } {
    const base = pndmBaseTimesteps(this.spacing, this.T, n, this.stepsOffset); // ascending
    if (this.skipPrkSteps) {
      // concat([ts[:-1], ts[-2:-1], ts[-1:]])[::-1]: the second-to-last entry is repeated
      return { prk: [], plms: [...base.slice(0, -1), ...base.slice(-2, -1), ...base.slice(-1)].reverse() };
    }
    if (base.length < PNDM_ORDER) {
      // numpy would fail to broadcast `ts[-4:].repeat(2) + tile([0, half], 4)` here
      throw new Error(`${CLASS}.setTimesteps: PRK warm-up (skip_prk_steps=false) needs at least ${PNDM_ORDER} steps, got ${n}`);
    }
    const half = Math.floor(Math.floor(this.T / n) / 2);
    const prk: number[] = [];
    for (const t of base.slice(-PNDM_ORDER)) prk.push(t, t + half);
    // prk[:-1].repeat(2)[1:-1][::-1]
    const repeated = prk.slice(0, -1).flatMap((t) => [t, t]);
    return { prk: repeated.slice(1, -1).reverse(), plms: base.slice(0, -3).reverse() };
  }

  setTimesteps(numInferenceSteps: number): void {
    checkInferenceSteps(CLASS, numInferenceSteps);
    const n = numInferenceSteps;
    const { prk, plms } = this.schedule(n);
    this.prkTimesteps = prk;
    this.plmsTimesteps = plms;
    this.numInferenceSteps = n;
    this._timesteps = [...this.prkTimesteps, ...this.plmsTimesteps];
    this.ets = [];
    this.counter = 0;
    this.curSample = null;
    this.curModelOutput = null;
    this.linearHistory = 0;
  }

  /**
   * ≤ num_train_timesteps; the PRK warm-up needs 4 steps; every ᾱ lookup (the timesteps, and the
   * PLMS redo of the repeated one at t + ⌊T/n⌋) inside [0, T − 1]; trailing makes exactly n.
   */
  stepsProblem(numInferenceSteps: number): string | null {
    const n = numInferenceSteps;
    const count = stepCountProblem(n, this.T);
    if (count) return count;
    if (!this.skipPrkSteps && n < PNDM_ORDER) return `the PRK warm-up (skip_prk_steps false) needs at least ${PNDM_ORDER} steps`;
    const base = pndmBaseTimesteps(this.spacing, this.T, n, this.stepsOffset);
    const problem = discreteScheduleProblem(base, n, this.T, this.spacing, this.stepsOffset);
    if (problem) return problem;
    const { prk, plms } = this.schedule(n);
    const lookups = [...prk, ...plms];
    // the PLMS step after the first redoes the repeated timestep from t + ⌊T/n⌋ (stepPlms, counter 1)
    if (this.skipPrkSteps && plms.length > 1) lookups.push(plms[1] + Math.floor(this.T / n));
    const hi = Math.max(...lookups);
    return hi > this.T - 1
      ? `timestep_spacing "${this.spacing}" with steps_offset ${this.stepsOffset} looks up timestep ${hi}, past num_train_timesteps − 1 = ${this.T - 1}`
      : null;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): SchedulerStepOutput {
    if (this.numInferenceSteps === null) {
      throw new Error(`${CLASS}.step: call setTimesteps before step`);
    }
    checkSameLength(CLASS, modelOutput, sample);
    const prev = this.isPrkCall() ? this.stepPrk(modelOutput, timestep, sample) : this.stepPlms(modelOutput, timestep, sample);
    return { prevSample: prev, predOriginalSample: null };
  }

  private isPrkCall(): boolean {
    return this.counter < this.prkTimesteps.length && !this.skipPrkSteps;
  }

  /** The PRK call's transfer: from the RK step's timestep t to `timestep` − (half a step on even calls). */
  private prkTransfer(timestep: number): { t: number; prevTimestep: number } {
    const n = this.numInferenceSteps as number;
    const diffToPrev = this.counter % 2 ? 0 : Math.floor(Math.floor(this.T / n) / 2);
    return { t: this.prkTimesteps[Math.floor(this.counter / 4) * 4], prevTimestep: timestep - diffToPrev };
  }

  /** Runge–Kutta warm-up: four calls per PRK step, combined with weights 1/6, 1/3, 1/3, 1/6. */
  private stepPrk(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    const { t, prevTimestep } = this.prkTransfer(timestep);
    let eps: ArrayLike<number> = modelOutput;
    const phase = this.counter % 4;
    if (phase === 0) {
      this.curModelOutput = accumulate(this.curModelOutput, modelOutput, 1 / 6);
      this.ets.push(modelOutput);
      this.curSample = sample;
    } else if (phase === 1 || phase === 2) {
      this.curModelOutput = accumulate(this.curModelOutput, modelOutput, 1 / 3);
    } else {
      eps = accumulate(this.curModelOutput, modelOutput, 1 / 6);
      this.curModelOutput = null;
    }
    const curSample = this.curSample ?? sample;
    const prev = this.prevSample(curSample, t, prevTimestep, eps);
    this.counter += 1;
    return prev;
  }

  /** The PLMS call's transfer; the repeated timestep (counter 1) redoes the first step, from t + ⌊T/n⌋. */
  private plmsTransfer(timestep: number, historyLength: number): { t: number; prevTimestep: number } {
    if (!this.skipPrkSteps && historyLength < 3) {
      throw new Error(`${CLASS}.step: PLMS steps can only run after the 12 PRK warm-up steps (skip_prk_steps=false)`);
    }
    const ratio = Math.floor(this.T / (this.numInferenceSteps as number));
    return this.counter !== 1 ? { t: timestep, prevTimestep: timestep - ratio } : { t: timestep + ratio, prevTimestep: timestep };
  }

  /** Linear multistep (Adams–Bashforth) on ε, orders 1 → 4 as history accumulates. */
  private stepPlms(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    const { t, prevTimestep } = this.plmsTransfer(timestep, this.ets.length);
    if (this.counter !== 1) {
      this.ets = this.ets.slice(-3);
      this.ets.push(modelOutput);
    }

    const ets = this.ets;
    const k = ets.length;
    const len = modelOutput.length;
    const eps = new Float64Array(len);
    let x = sample;
    if (k === 1 && this.counter === 0) {
      eps.set(modelOutput);
      this.curSample = sample;
    } else if (k === 1 && this.counter === 1) {
      const e1 = ets[0];
      for (let i = 0; i < len; i++) eps[i] = (modelOutput[i] + e1[i]) / 2;
      x = this.curSample as Float32Array;
      this.curSample = null;
    } else if (k === 2) {
      const [e1, e2] = [ets[1], ets[0]];
      for (let i = 0; i < len; i++) eps[i] = (3 * e1[i] - e2[i]) / 2;
    } else if (k === 3) {
      const [e1, e2, e3] = [ets[2], ets[1], ets[0]];
      for (let i = 0; i < len; i++) eps[i] = (23 * e1[i] - 16 * e2[i] + 5 * e3[i]) / 12;
    } else {
      const [e1, e2, e3, e4] = [ets[k - 1], ets[k - 2], ets[k - 3], ets[k - 4]];
      for (let i = 0; i < len; i++) eps[i] = (1 / 24) * (55 * e1[i] - 59 * e2[i] + 37 * e3[i] - 9 * e4[i]);
    }
    const prev = this.prevSample(x, t, prevTimestep, eps);
    this.counter += 1;
    return prev;
  }

  /** Eq. (9) of the PNDM paper as scalars: x_{t−δ} = sampleCoeff·x − epsCoeff·ε. */
  private transferScalars(timestep: number, prevTimestep: number): { sqrtA: number; sqrtB: number; sampleCoeff: number; epsCoeff: number } {
    const alphaProdT = alphaProdAt(CLASS, this.alphasCumprod, timestep);
    const alphaProdTPrev = prevTimestep >= 0 ? alphaProdAt(CLASS, this.alphasCumprod, prevTimestep) : this.finalAlphaCumprod;
    const betaProdT = 1 - alphaProdT;
    const betaProdTPrev = 1 - alphaProdTPrev;
    const denom = alphaProdT * Math.sqrt(betaProdTPrev) + Math.sqrt(alphaProdT * betaProdT * alphaProdTPrev);
    return {
      sqrtA: Math.sqrt(alphaProdT),
      sqrtB: Math.sqrt(betaProdT),
      sampleCoeff: Math.sqrt(alphaProdTPrev / alphaProdT),
      epsCoeff: (alphaProdTPrev - alphaProdT) / denom,
    };
  }

  /** Eq. (9) of the PNDM paper: the transfer x_t → x_{t−δ} given ε. */
  private prevSample(sample: Float32Array, timestep: number, prevTimestep: number, eps: ArrayLike<number>): Float32Array {
    const { sqrtA, sqrtB, sampleCoeff, epsCoeff } = this.transferScalars(timestep, prevTimestep);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) {
      // v-prediction is turned into ε first: ε = sqrt(ᾱ)·v + sqrt(1−ᾱ)·x
      const e = this.predictionType === 'v_prediction' ? sqrtA * eps[i] + sqrtB * sample[i] : eps[i];
      out[i] = sampleCoeff * sample[i] - epsCoeff * e;
    }
    return out;
  }

  /** Where the linear form keeps cur_sample: r1 for PLMS (free while the ε history holds one entry), r3 with the PRK warm-up. */
  private get curSampleRegister(): number {
    return this.skipPrkSteps ? 1 : 3;
  }

  /**
   * `step` as coefficients. Registers: r0, r1, r2 the ε history newest first (diffusers'
   * ets[-1], ets[-2], ets[-3]); cur_sample (see curSampleRegister); r4 the running RK4 sum.
   * A register no later step reads is written as zero.
   */
  private linearStep(timestep: number): LinearStep {
    if (this.numInferenceSteps === null) {
      throw new Error(`${CLASS}.step: call setTimesteps before step`);
    }
    const history = [register(0), register(1), register(2)];
    const cur = register(this.curSampleRegister);
    const registers: LinearTerms[] = new Array<LinearTerms>(this.linear.registers).fill(ZERO);
    const keepHistory = (entries: readonly LinearTerms[]): void => {
      for (let j = 0; j < Math.min(entries.length, 3); j++) registers[j] = entries[j];
    };
    let x: LinearTerms;
    let eps: LinearTerms;
    let transfer: { t: number; prevTimestep: number };
    if (this.isPrkCall()) {
      transfer = this.prkTransfer(timestep);
      const phase = this.counter % 4;
      const sum = register(4);
      if (phase === 0) {
        // ets.append(model_output); cur_sample = sample; the RK4 sum starts from diffusers' scalar 0
        keepHistory([MODEL, ...history.slice(0, this.linearHistory)]);
        this.linearHistory += 1;
        x = SAMPLE;
        eps = MODEL;
        registers[3] = SAMPLE;
        registers[4] = combine([1 / 6, MODEL]);
      } else {
        keepHistory(history.slice(0, this.linearHistory));
        x = cur;
        if (phase === 3) {
          // the last RK call: ε is the RK4 combination; the next phase 0 rewrites cur_sample before reading it
          eps = combine([1, sum], [1 / 6, MODEL]);
        } else {
          eps = MODEL;
          registers[3] = cur;
          registers[4] = combine([1, sum], [1 / 3, MODEL]);
        }
      }
    } else {
      transfer = this.plmsTransfer(timestep, this.linearHistory);
      // the repeated timestep (counter 1) does not append its ε to the history
      const ets = this.counter !== 1 ? [MODEL, ...history.slice(0, Math.min(this.linearHistory, 3))] : history.slice(0, this.linearHistory);
      this.linearHistory = ets.length;
      keepHistory(ets);
      x = SAMPLE;
      if (ets.length === 1 && this.counter === 0) {
        eps = MODEL;
        registers[this.curSampleRegister] = SAMPLE;
      } else if (ets.length === 1 && this.counter === 1) {
        eps = combine([1 / 2, MODEL], [1 / 2, history[0]]);
        x = cur;
      } else {
        const weights = PLMS_WEIGHTS[ets.length - 1];
        eps = combine(...weights.map((w, j) => [w, ets[j]] as const));
      }
    }
    const { sqrtA, sqrtB, sampleCoeff, epsCoeff } = this.transferScalars(transfer.t, transfer.prevTimestep);
    // v-prediction is turned into ε first, with the transfer's sample (prevSample above)
    if (this.predictionType === 'v_prediction') eps = combine([sqrtA, eps], [sqrtB, x]);
    this.counter += 1;
    return { drawsNoise: false, prevSample: combine([sampleCoeff, x], [-epsCoeff, eps]), predOriginalSample: null, registers };
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addNoiseVp(original, noise, alphaProdAt(CLASS, this.alphasCumprod, timestep));
  }
}

/** acc + w·x, where a null acc is diffusers' scalar 0. */
function accumulate(acc: Float64Array | null, x: Float32Array, w: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (acc ? acc[i] : 0) + w * x[i];
  return out;
}
