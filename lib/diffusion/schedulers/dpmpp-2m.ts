/**
 * DPMSolverMultistepScheduler (Lu et al. 2022, DPM-Solver / DPM-Solver++), transcribed
 * from diffusers 0.27.2 `scheduling_dpmsolver_multistep.py`. "DPM++ 2M" is
 * `algorithm_type: "dpmsolver++", solver_order: 2, solver_type: "midpoint"`; "Karras"
 * adds `use_karras_sigmas: true`.
 *
 * 0.27.2 specifics kept here: `final_sigmas_type` defaults to "zero" (the last σ is 0 and
 * the last step is always first order, so the final sample is the model's x0 estimate);
 * Karras timesteps are `round(sigma_to_t(σ))` and may repeat near t = 0.
 * All four algorithm types and orders 1–3 are ported; SDE variants draw one noise tensor
 * per step (diffusers' `randn_tensor(model_output.shape, generator)` after the model-output
 * conversion), the last step's too, where σ_next = 0 gives it coefficient 0.
 * Not ported: thresholding and learned-variance model outputs.
 */
import type { NoiseSource } from '../../random/noise-source';
import type { LinearForm, LinearStep, LinearTerms, Scheduler, SchedulerConfig, SchedulerStepOutput } from './types';
import { MODEL, NOISE, SAMPLE, combine, register } from './linear-apply';
import {
  PREDICTION_TYPES,
  configError,
  describeValue,
  TIMESTEP_SPACINGS,
  alphasCumprodOf,
  checkInferenceSteps,
  checkSameLength,
  dpmTimesteps,
  drawNoise,
  expectBoolean,
  expectNumber,
  expectOneOf,
  f32,
  indexForTimestep,
  karrasSigmas,
  luLambdas,
  makeBetas,
  npInterp,
  npLinspace,
  range,
  rejectThresholding,
  rescaleZeroTerminalSnr,
  roundHalfEven,
  sigmaToT,
  sigmasFromAlphasCumprod,
  stepCountProblem,
  withDefaults,
  type PredictionType,
  type RawSchedulerConfig,
  type TimestepSpacing,
} from './common';

const CLASS = 'DPMSolverMultistepScheduler';

/** `DPMSolverMultistepScheduler.__init__` defaults in diffusers 0.27.2. */
export const DPM_MULTISTEP_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  solver_order: 2,
  prediction_type: 'epsilon',
  thresholding: false,
  dynamic_thresholding_ratio: 0.995,
  sample_max_value: 1.0,
  algorithm_type: 'dpmsolver++',
  solver_type: 'midpoint',
  lower_order_final: true,
  euler_at_final: false,
  use_karras_sigmas: false,
  use_lu_lambdas: false,
  final_sigmas_type: 'zero',
  lambda_min_clipped: null, // -inf; JSON cannot spell it
  variance_type: null,
  timestep_spacing: 'linspace',
  steps_offset: 0,
  rescale_betas_zero_snr: false,
} as const;

/**
 * A1111's "DPM++ 2M SDE Karras": the keys a named sampler sets on the model's config (the rest
 * comes from it through from_config, as for 'dpmpp-2m-karras'), checked against diffusers
 * 0.27.2 by tests/unit/schedulers/dpmpp-2m-sde.test.ts.
 */
export const DPMPP_2M_SDE_KARRAS_OVERRIDES = {
  algorithm_type: 'sde-dpmsolver++',
  solver_order: 2,
  solver_type: 'midpoint',
  use_karras_sigmas: true,
} as const;

type Algorithm = 'dpmsolver' | 'dpmsolver++' | 'sde-dpmsolver' | 'sde-dpmsolver++';

export class DPMSolverMultistepScheduler implements Scheduler {
  readonly name = CLASS;
  readonly order = 1;
  readonly initNoiseSigma = 1.0;
  readonly config: Readonly<SchedulerConfig>;

  private readonly T: number;
  private readonly spacing: TimestepSpacing;
  private readonly stepsOffset: number;
  private readonly predictionType: PredictionType;
  private readonly algorithm: Algorithm;
  private readonly solverType: 'midpoint' | 'heun';
  private readonly solverOrder: number;
  private readonly lowerOrderFinal: boolean;
  private readonly eulerAtFinal: boolean;
  private readonly useKarras: boolean;
  private readonly useLu: boolean;
  private readonly finalSigmasType: 'zero' | 'sigma_min';
  private readonly lambdaMinClipped: number;
  /** The training β table (after zero-SNR rescaling when configured), float32 values. */
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  private readonly trainSigmas: Float64Array;
  private readonly trainLogSigmas: Float64Array;

  private numInferenceSteps: number | null = null;
  private _timesteps: number[];
  private _sigmas: number[];
  /** The last `solver_order` converted model outputs, oldest first (null until filled). */
  private modelOutputs: (Float32Array | null)[];
  private lowerOrderNums = 0;
  private stepIndex: number | null = null;
  private beginIndex: number | null = null;
  /** solver_order − 1 registers (the model-output history); every config here is linear. */
  readonly linear: LinearForm;

  constructor(config: RawSchedulerConfig = {}) {
    const c = withDefaults(CLASS, config, DPM_MULTISTEP_DEFAULTS);
    this.T = expectNumber(CLASS, 'num_train_timesteps', c.num_train_timesteps, { integer: true, min: 2 });
    this.spacing = expectOneOf(CLASS, 'timestep_spacing', c.timestep_spacing, TIMESTEP_SPACINGS);
    this.stepsOffset = expectNumber(CLASS, 'steps_offset', c.steps_offset, { integer: true, min: 0 });
    this.predictionType = expectOneOf(CLASS, 'prediction_type', c.prediction_type, PREDICTION_TYPES);
    this.solverOrder = expectNumber(CLASS, 'solver_order', c.solver_order, { integer: true, min: 1 });
    if (this.solverOrder > 3) {
      throw configError(CLASS, 'solver_order', this.solverOrder, `solver_order ${this.solverOrder} is not supported (1, 2 or 3)`);
    }
    // diffusers silently maps DEIS / UniPC names when a config is shared across solvers
    const algorithmRaw = c.algorithm_type === 'deis' ? 'dpmsolver++' : c.algorithm_type;
    c.algorithm_type = algorithmRaw;
    this.algorithm = expectOneOf(CLASS, 'algorithm_type', algorithmRaw, ['dpmsolver', 'dpmsolver++', 'sde-dpmsolver', 'sde-dpmsolver++'] as const);
    const solverRaw = ['logrho', 'bh1', 'bh2'].includes(c.solver_type as string) ? 'midpoint' : c.solver_type;
    c.solver_type = solverRaw;
    this.solverType = expectOneOf(CLASS, 'solver_type', solverRaw, ['midpoint', 'heun'] as const);
    if (this.algorithm.startsWith('sde-') && this.solverOrder === 3) {
      // diffusers has no third-order SDE update (it fails on the third step with an unbound x_t)
      throw configError(CLASS, 'solver_order', 3, `solver_order 3 is not supported with algorithm_type "${this.algorithm}"`);
    }
    this.lowerOrderFinal = expectBoolean(CLASS, 'lower_order_final', c.lower_order_final);
    this.eulerAtFinal = expectBoolean(CLASS, 'euler_at_final', c.euler_at_final);
    this.useKarras = expectBoolean(CLASS, 'use_karras_sigmas', c.use_karras_sigmas);
    this.useLu = expectBoolean(CLASS, 'use_lu_lambdas', c.use_lu_lambdas);
    this.finalSigmasType = expectOneOf(CLASS, 'final_sigmas_type', c.final_sigmas_type, ['zero', 'sigma_min'] as const);
    if (!this.algorithm.endsWith('++') && this.finalSigmasType === 'zero') {
      throw configError(
        CLASS,
        'final_sigmas_type',
        'zero',
        `final_sigmas_type "zero" is not supported for algorithm_type "${this.algorithm}"; use "sigma_min"`,
      );
    }
    // null is diffusers' default -inf (Python writes it bare; the loader reads it as null)
    this.lambdaMinClipped =
      c.lambda_min_clipped === null || c.lambda_min_clipped === -Infinity ? -Infinity : expectNumber(CLASS, 'lambda_min_clipped', c.lambda_min_clipped);
    if (c.variance_type !== null) {
      throw configError(
        CLASS,
        'variance_type',
        c.variance_type,
        `variance_type ${describeValue(c.variance_type)} (learned variance) is not supported; expected null`,
      );
    }
    rejectThresholding(CLASS, c);
    this.config = c;

    let betas = makeBetas(CLASS, c);
    const rescale = expectBoolean(CLASS, 'rescale_betas_zero_snr', c.rescale_betas_zero_snr);
    if (rescale) betas = rescaleZeroTerminalSnr(betas);
    this.betas = betas;
    this.alphasCumprod = alphasCumprodOf(betas);
    if (rescale) this.alphasCumprod[this.alphasCumprod.length - 1] = 2 ** -24;
    this.trainSigmas = sigmasFromAlphasCumprod(this.alphasCumprod);
    this.trainLogSigmas = this.trainSigmas.map((s) => f32(Math.log(s)));

    this._timesteps = npLinspace(0, this.T - 1, this.T)
      .reverse()
      .map(f32);
    this._sigmas = Array.from(this.trainSigmas);
    this.modelOutputs = new Array<Float32Array | null>(this.solverOrder).fill(null);
    // thresholding and learned variance, the non-linear options, are refused above
    this.linear = { problem: () => null, registers: this.solverOrder - 1, inputScale: () => 1, step: (t) => this.linearStep(t) };
  }

  get timesteps(): readonly number[] {
    return this._timesteps;
  }

  get sigmas(): readonly number[] {
    return this._sigmas;
  }

  setBeginIndex(beginIndex: number): void {
    this.beginIndex = beginIndex;
  }

  /** The timesteps and the n + 1 sigmas of `n` steps (diffusers' set_timesteps), without touching the state. */
  private schedule(n: number): { timesteps: number[]; sigmas: number[] } {
    // lambda_min_clipped cuts the high-t end where log-SNR is below the threshold
    const ac = this.alphasCumprod;
    let clippedIdx = 0; // searchsorted(flip(λ_t), lambda_min_clipped), λ_t decreasing in t
    while (clippedIdx < ac.length) {
      const t = ac.length - 1 - clippedIdx;
      const lambda = f32(f32(Math.log(f32(Math.sqrt(ac[t])))) - f32(Math.log(f32(Math.sqrt(f32(1 - ac[t]))))));
      if (lambda >= this.lambdaMinClipped) break;
      clippedIdx++;
    }
    const lastTimestep = this.T - clippedIdx;

    let timesteps = dpmTimesteps(this.spacing, this.T, lastTimestep, n, this.stepsOffset);
    let sigmas: number[];
    if (this.useKarras) {
      // Karras between σ_min and σ_max of the train schedule; a `sigma_min`/`sigma_max` that a
      // config carries (e.g. handed over from an Euler config) wins, as in diffusers
      const asc = this.trainSigmas;
      const sigmaMin = typeof this.config.sigma_min === 'number' ? this.config.sigma_min : asc[0];
      const sigmaMax = typeof this.config.sigma_max === 'number' ? this.config.sigma_max : asc[asc.length - 1];
      sigmas = karrasSigmas(sigmaMin, sigmaMax, n);
      timesteps = sigmas.map((s) => roundHalfEven(sigmaToT(s, this.trainLogSigmas)));
    } else if (this.useLu) {
      const lambdas = Array.from(this.trainLogSigmas).reverse(); // log σ, descending
      sigmas = luLambdas(lambdas[lambdas.length - 1], lambdas[0], n).map(Math.exp);
      timesteps = sigmas.map((s) => roundHalfEven(sigmaToT(s, this.trainLogSigmas)));
    } else {
      const xp = range(this.trainSigmas.length);
      sigmas = timesteps.map((t) => npInterp(t, xp, this.trainSigmas));
    }
    const sigmaLast = this.finalSigmasType === 'sigma_min' ? this.trainSigmas[0] : 0;
    return { timesteps, sigmas: [...sigmas, sigmaLast].map(f32) };
  }

  setTimesteps(numInferenceSteps: number): void {
    checkInferenceSteps(CLASS, numInferenceSteps);
    const { timesteps, sigmas } = this.schedule(numInferenceSteps);
    this._sigmas = sigmas;
    this._timesteps = timesteps;
    this.numInferenceSteps = timesteps.length;
    this.modelOutputs = new Array<Float32Array | null>(this.solverOrder).fill(null);
    this.lowerOrderNums = 0;
    this.stepIndex = null;
    this.beginIndex = null;
  }

  /**
   * diffusers' ≤ num_train_timesteps, and no repeated sigma: near T steps the spacing rounds two
   * timesteps to one (h = 0), and the multistep update divides by that log-SNR gap (NaN latents).
   */
  stepsProblem(numInferenceSteps: number): string | null {
    const n = numInferenceSteps;
    const count = stepCountProblem(n, this.T);
    if (count) return count;
    // Karras and Lu sigmas come from a strictly decreasing formula: never repeated
    if (this.useKarras || this.useLu) return null;
    const { timesteps, sigmas } = this.schedule(n);
    // A zero gap is harmless into the final sigma (the update adds (e^0 − 1)·D = 0) and before a
    // first-order step (solver_order 1; the last step when `step` lowers its order there);
    // before a higher-order step it is h₀ = 0 in r₀ = h₀/h, and the latents become NaN.
    const len = timesteps.length;
    const lastIsFirstOrder = this.eulerAtFinal || (this.lowerOrderFinal && len < 15) || this.finalSigmasType === 'zero';
    for (let i = 1; i < len; i++) {
      if (this.solverOrder === 1 || (i === len - 1 && lastIsFirstOrder)) continue;
      if (!(sigmas[i] < sigmas[i - 1])) {
        return `timestep_spacing "${this.spacing}" gives timesteps ${timesteps[i - 1]} and ${timesteps[i]} the same sigma, a zero step the multistep solver then divides by (NaN)`;
      }
    }
    return null;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  /** α_t = 1/sqrt(σ²+1), σ_t = σ·α_t: from Karras σ to the VP parameterisation. */
  private static alphaSigma(sigma: number): [number, number] {
    const alpha = 1 / Math.sqrt(sigma * sigma + 1);
    return [alpha, sigma * alpha];
  }

  /** Data prediction x0 (DPM-Solver++) or noise prediction ε (DPM-Solver) from the model output. */
  private convertModelOutput(modelOutput: Float32Array, sample: Float32Array): Float32Array {
    const sigma = this._sigmas[this.stepIndex as number];
    const [alphaT, sigmaT] = DPMSolverMultistepScheduler.alphaSigma(sigma);
    const n = sample.length;
    const out = new Float32Array(n);
    const dataPrediction = this.algorithm === 'dpmsolver++' || this.algorithm === 'sde-dpmsolver++';
    for (let i = 0; i < n; i++) {
      const m = modelOutput[i];
      const x = sample[i];
      if (dataPrediction) {
        out[i] = this.predictionType === 'epsilon' ? (x - sigmaT * m) / alphaT : this.predictionType === 'sample' ? m : alphaT * x - sigmaT * m;
      } else {
        out[i] = this.predictionType === 'epsilon' ? m : this.predictionType === 'sample' ? (x - alphaT * m) / sigmaT : alphaT * m + sigmaT * x;
      }
    }
    return out;
  }

  /** Starts the step index as diffusers' _init_step_index, and checks that a step is left. */
  private beginStep(timestep: number): number {
    if (this.numInferenceSteps === null) {
      throw new Error(`${CLASS}.step: call setTimesteps before step`);
    }
    if (this.stepIndex === null) {
      this.stepIndex = this.beginIndex ?? indexForTimestep(CLASS, this._timesteps, timestep, { fallbackToLast: true });
    }
    if (this.stepIndex + 1 >= this._sigmas.length) {
      throw new Error(`${CLASS}.step: called more times than there are timesteps (${this._timesteps.length})`);
    }
    return this.stepIndex;
  }

  /** The order of the update at step `idx`: lowered at the start (history) and, per config, at the end. */
  private updateOrder(idx: number): 1 | 2 | 3 {
    const len = this._timesteps.length;
    const lowerOrderFinal = idx === len - 1 && (this.eulerAtFinal || (this.lowerOrderFinal && len < 15) || this.finalSigmasType === 'zero');
    const lowerOrderSecond = idx === len - 2 && this.lowerOrderFinal && len < 15;
    if (this.solverOrder === 1 || this.lowerOrderNums < 1 || lowerOrderFinal) return 1;
    if (this.solverOrder === 2 || this.lowerOrderNums < 2 || lowerOrderSecond) return 2;
    return 3;
  }

  /** After a step: one more output in the history (up to solver_order), and the next index. */
  private endStep(idx: number): void {
    if (this.lowerOrderNums < this.solverOrder) this.lowerOrderNums += 1;
    this.stepIndex = idx + 1;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): SchedulerStepOutput {
    checkSameLength(CLASS, modelOutput, sample);
    const idx = this.beginStep(timestep);
    const order = this.updateOrder(idx);

    const converted = this.convertModelOutput(modelOutput, sample);
    for (let i = 0; i < this.solverOrder - 1; i++) this.modelOutputs[i] = this.modelOutputs[i + 1];
    this.modelOutputs[this.solverOrder - 1] = converted;

    const z = this.algorithm.startsWith('sde-') ? drawNoise(CLASS, noise, sample.length) : null;

    let prev: Float32Array;
    if (order === 1) {
      prev = this.firstOrderUpdate(converted, sample, z);
    } else if (order === 2) {
      prev = this.secondOrderUpdate(sample, z);
    } else {
      prev = this.thirdOrderUpdate(sample);
    }
    this.endStep(idx);
    // x0 for the data-prediction solvers (diffusers returns only prev_sample; handy for previews)
    const dataPrediction = this.algorithm.endsWith('++');
    return { prevSample: prev, predOriginalSample: dataPrediction ? converted : null };
  }

  private lambdaOf(sigma: number): { alpha: number; sigmaT: number; lambda: number } {
    const [alpha, sigmaT] = DPMSolverMultistepScheduler.alphaSigma(sigma);
    // σ = 0 gives λ = +∞, and then exp(−h) = 0: the update returns x0 exactly
    return { alpha, sigmaT, lambda: Math.log(alpha) - Math.log(sigmaT) };
  }

  /** DPM-Solver-1 (= DDIM) from s0 = σ[i] to t = σ[i+1]: x_t = a·x + b·m0 (+ c·z). */
  private firstOrderScalars(i: number): { a: number; b: number; c: number } {
    const t = this.lambdaOf(this._sigmas[i + 1]);
    const s = this.lambdaOf(this._sigmas[i]);
    const h = t.lambda - s.lambda;
    switch (this.algorithm) {
      case 'dpmsolver++':
        return { a: t.sigmaT / s.sigmaT, b: -(t.alpha * (Math.exp(-h) - 1)), c: 0 };
      case 'dpmsolver':
        return { a: t.alpha / s.alpha, b: -(t.sigmaT * (Math.exp(h) - 1)), c: 0 };
      case 'sde-dpmsolver++':
        return {
          a: (t.sigmaT / s.sigmaT) * Math.exp(-h),
          b: t.alpha * (1 - Math.exp(-2 * h)),
          c: t.sigmaT * Math.sqrt(1 - Math.exp(-2 * h)),
        };
      case 'sde-dpmsolver':
        return {
          a: t.alpha / s.alpha,
          b: -2 * (t.sigmaT * (Math.exp(h) - 1)),
          c: t.sigmaT * Math.sqrt(Math.exp(2 * h) - 1),
        };
    }
  }

  private firstOrderUpdate(m0: Float32Array, sample: Float32Array, z: Float32Array | null): Float32Array {
    const { a, b, c } = this.firstOrderScalars(this.stepIndex as number);
    const out = new Float32Array(sample.length);
    for (let k = 0; k < out.length; k++) {
      out[k] = a * sample[k] + b * m0[k] + (z ? c * z[k] : 0);
    }
    return out;
  }

  /**
   * Multistep second order with the previous model output (midpoint or Heun correction):
   * x_t = a·x + b·D0 + c·D1 (+ e·z), with D0 = m0, D1 = (m0 − m1)/r0.
   */
  private secondOrderScalars(i: number): { a: number; b: number; c: number; e: number; r0: number } {
    const t = this.lambdaOf(this._sigmas[i + 1]);
    const s0 = this.lambdaOf(this._sigmas[i]);
    const s1 = this.lambdaOf(this._sigmas[i - 1]);
    const h = t.lambda - s0.lambda;
    const h0 = s0.lambda - s1.lambda;
    const r0 = h0 / h;
    let a: number,
      b: number,
      c: number,
      e = 0;
    const midpoint = this.solverType === 'midpoint';
    switch (this.algorithm) {
      case 'dpmsolver++':
        a = t.sigmaT / s0.sigmaT;
        b = -(t.alpha * (Math.exp(-h) - 1));
        c = midpoint ? -0.5 * (t.alpha * (Math.exp(-h) - 1)) : t.alpha * ((Math.exp(-h) - 1) / h + 1);
        break;
      case 'dpmsolver':
        a = t.alpha / s0.alpha;
        b = -(t.sigmaT * (Math.exp(h) - 1));
        c = midpoint ? -0.5 * (t.sigmaT * (Math.exp(h) - 1)) : -(t.sigmaT * ((Math.exp(h) - 1) / h - 1));
        break;
      case 'sde-dpmsolver++':
        a = (t.sigmaT / s0.sigmaT) * Math.exp(-h);
        b = t.alpha * (1 - Math.exp(-2 * h));
        c = midpoint ? 0.5 * (t.alpha * (1 - Math.exp(-2 * h))) : t.alpha * ((1 - Math.exp(-2 * h)) / (-2 * h) + 1);
        e = t.sigmaT * Math.sqrt(1 - Math.exp(-2 * h));
        break;
      case 'sde-dpmsolver':
        a = t.alpha / s0.alpha;
        b = -2 * (t.sigmaT * (Math.exp(h) - 1));
        c = midpoint ? -(t.sigmaT * (Math.exp(h) - 1)) : -2 * (t.sigmaT * ((Math.exp(h) - 1) / h - 1));
        e = t.sigmaT * Math.sqrt(Math.exp(2 * h) - 1);
        break;
    }
    return { a, b, c, e, r0 };
  }

  private secondOrderUpdate(sample: Float32Array, z: Float32Array | null): Float32Array {
    const { a, b, c, e, r0 } = this.secondOrderScalars(this.stepIndex as number);
    const outs = this.modelOutputs;
    const m0 = outs[outs.length - 1] as Float32Array;
    const m1 = outs[outs.length - 2] as Float32Array;
    const out = new Float32Array(sample.length);
    for (let k = 0; k < out.length; k++) {
      const d1 = (1 / r0) * (m0[k] - m1[k]);
      out[k] = a * sample[k] + b * m0[k] + c * d1 + (z ? e * z[k] : 0);
    }
    return out;
  }

  /** Multistep third order (deterministic algorithms only): x_t = a·x + b·m0 + c·D1 + d·D2. */
  private thirdOrderScalars(i: number): { a: number; b: number; c: number; d: number; r0: number; r1: number } {
    const t = this.lambdaOf(this._sigmas[i + 1]);
    const s0 = this.lambdaOf(this._sigmas[i]);
    const s1 = this.lambdaOf(this._sigmas[i - 1]);
    const s2 = this.lambdaOf(this._sigmas[i - 2]);
    const h = t.lambda - s0.lambda;
    const h0 = s0.lambda - s1.lambda;
    const h1 = s1.lambda - s2.lambda;
    const r0 = h0 / h;
    const r1 = h1 / h;
    if (this.algorithm === 'dpmsolver++') {
      return {
        a: t.sigmaT / s0.sigmaT,
        b: -(t.alpha * (Math.exp(-h) - 1)),
        c: t.alpha * ((Math.exp(-h) - 1) / h + 1),
        d: -(t.alpha * ((Math.exp(-h) - 1 + h) / (h * h) - 0.5)),
        r0,
        r1,
      };
    }
    return {
      a: t.alpha / s0.alpha,
      b: -(t.sigmaT * (Math.exp(h) - 1)),
      c: -(t.sigmaT * ((Math.exp(h) - 1) / h - 1)),
      d: -(t.sigmaT * ((Math.exp(h) - 1 - h) / (h * h) - 0.5)),
      r0,
      r1,
    };
  }

  private thirdOrderUpdate(sample: Float32Array): Float32Array {
    const { a, b, c, d, r0, r1 } = this.thirdOrderScalars(this.stepIndex as number);
    const outs = this.modelOutputs;
    const m0 = outs[outs.length - 1] as Float32Array;
    const m1 = outs[outs.length - 2] as Float32Array;
    const m2 = outs[outs.length - 3] as Float32Array;
    const out = new Float32Array(sample.length);
    for (let k = 0; k < out.length; k++) {
      const d10 = (1 / r0) * (m0[k] - m1[k]);
      const d11 = (1 / r1) * (m1[k] - m2[k]);
      const D1 = d10 + (r0 / (r0 + r1)) * (d10 - d11);
      const D2 = (1 / (r0 + r1)) * (d10 - d11);
      out[k] = a * sample[k] + b * m0[k] + c * D1 + d * D2;
    }
    return out;
  }

  /** convertModelOutput as coefficients on x and the model output. */
  private linearConverted(): LinearTerms {
    const [alphaT, sigmaT] = DPMSolverMultistepScheduler.alphaSigma(this._sigmas[this.stepIndex as number]);
    if (this.algorithm.endsWith('++')) {
      if (this.predictionType === 'epsilon') return combine([1 / alphaT, SAMPLE], [-sigmaT / alphaT, MODEL]);
      if (this.predictionType === 'sample') return MODEL;
      return combine([alphaT, SAMPLE], [-sigmaT, MODEL]);
    }
    if (this.predictionType === 'epsilon') return MODEL;
    if (this.predictionType === 'sample') return combine([1 / sigmaT, SAMPLE], [-alphaT / sigmaT, MODEL]);
    return combine([alphaT, MODEL], [sigmaT, SAMPLE]);
  }

  /**
   * `step` as coefficients. Registers: r0 the previous converted model output (x0 for
   * DPM-Solver++, ε for DPM-Solver), r1 the one before (solver_order 3), as diffusers'
   * model_outputs[-2], [-3].
   */
  private linearStep(timestep: number): LinearStep {
    const idx = this.beginStep(timestep);
    const order = this.updateOrder(idx);
    const m0 = this.linearConverted();
    const [m1, m2] = [register(0), register(1)];
    const drawsNoise = this.algorithm.startsWith('sde-');
    let prevSample: LinearTerms;
    if (order === 1) {
      const { a, b, c } = this.firstOrderScalars(idx);
      prevSample = combine([a, SAMPLE], [b, m0], [c, NOISE]);
    } else if (order === 2) {
      const { a, b, c, e, r0: rho0 } = this.secondOrderScalars(idx);
      const d1 = combine([1 / rho0, m0], [-1 / rho0, m1]);
      prevSample = combine([a, SAMPLE], [b, m0], [c, d1], [e, NOISE]);
    } else {
      const { a, b, c, d, r0: rho0, r1: rho1 } = this.thirdOrderScalars(idx);
      const d10 = combine([1 / rho0, m0], [-1 / rho0, m1]);
      const d11 = combine([1 / rho1, m1], [-1 / rho1, m2]);
      const d1 = combine([1, d10], [rho0 / (rho0 + rho1), d10], [-rho0 / (rho0 + rho1), d11]);
      const d2 = combine([1 / (rho0 + rho1), d10], [-1 / (rho0 + rho1), d11]);
      prevSample = combine([a, SAMPLE], [b, m0], [c, d1], [d, d2]);
    }
    const registers = [m0, m1].slice(0, this.solverOrder - 1);
    this.endStep(idx);
    return { drawsNoise, prevSample, predOriginalSample: this.algorithm.endsWith('++') ? m0 : null, registers };
  }

  /** img2img: α_t·x0 + σ_t·ε at the timestep's σ (begin index when img2img set one). */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    if (original.length !== noise.length) {
      throw new Error(`${CLASS}.addNoise: original has ${original.length} elements but noise has ${noise.length}`);
    }
    const index = this.beginIndex === null ? indexForTimestep(CLASS, this._timesteps, timestep, { fallbackToLast: true }) : (this.stepIndex ?? this.beginIndex);
    const [alphaT, sigmaT] = DPMSolverMultistepScheduler.alphaSigma(this._sigmas[index]);
    const out = new Float32Array(original.length);
    for (let i = 0; i < out.length; i++) out[i] = alphaT * original[i] + sigmaT * noise[i];
    return out;
  }
}
