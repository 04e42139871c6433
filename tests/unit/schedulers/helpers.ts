/** Shared helpers of the scheduler tests (fixtures, fake noise, the reference toy loop). */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { NoiseSource } from '@/lib/random/noise-source';
import type { Scheduler } from '@/lib/diffusion/schedulers/types';

const FIXTURES = path.resolve(__dirname, '../../fixtures/schedulers');

export function readFixture<T>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as T;
}

/** base64 float32 little-endian (see tests/fixtures/schedulers/extract.mjs). */
export function decodeF32(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

export interface InputsFixture {
  numel: number;
  sd15_config: Record<string, unknown>;
  x_T_unit: string;
  noise_count: number;
  noise: string;
  alphas_cumprod_every_37: number[];
}

export interface RunFixture {
  num_inference_steps: number;
  timesteps: number[];
  init_noise_sigma: number;
  noise_calls: number;
  t: number[];
  noise_indices_used: number[][];
  final_is: string;
  final: string;
  sigmas?: number[];
  scaled_input?: string;
  prev_sample?: string;
  pred_original_sample?: string;
}

export interface ReferenceFixture {
  name: string;
  scheduler_class: string;
  overrides: Record<string, unknown>;
  step_kwargs: Record<string, unknown>;
  config: Record<string, unknown> & { _class_name: string };
  runs: RunFixture[];
}

/** max|a−b| ≤ tol·max(1, |b|) elementwise, reporting the worst element. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4, what = 'values'): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - tol * Math.max(1, Math.abs(expected[i]));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (tolerance ${tol} relative)`);
  }
}

export function sliceStep(all: Float32Array, step: number, numel: number): Float32Array {
  return all.subarray(step * numel, (step + 1) * numel);
}

/** Hands out pre-drawn noise arrays in order and records which ones were taken. */
export class FakeNoise implements NoiseSource {
  next = 0;
  constructor(
    private readonly arrays: Float32Array[],
    private readonly numel: number,
  ) {}
  randn(n: number): Float32Array {
    expect(n, 'noise draw size').toBe(this.numel);
    if (this.next >= this.arrays.length) throw new Error(`FakeNoise: draw ${this.next} asked, only ${this.arrays.length} held`);
    return this.arrays[this.next++].slice();
  }
}

/** The reference toy model: eps = x_in·0.1 + (float32(t)/1000)·0.01, in float32 as torch. */
export function toyModel(xIn: Float32Array, t: number): Float32Array {
  const f = Math.fround;
  const bias = f(f(f(t) / 1000) * 0.01);
  const out = new Float32Array(xIn.length);
  for (let i = 0; i < out.length; i++) out[i] = f(f(xIn[i] * 0.1) + bias);
  return out;
}

export interface LoopRecord {
  t: number;
  scaledInput: Float32Array;
  prevSample: Float32Array;
  predOriginalSample: Float32Array | null;
  noiseIndices: number[];
}

/** The reference sampling loop (pipelines' order of calls). */
export function runToyLoop(scheduler: Scheduler, xTUnit: Float32Array, noise: FakeNoise): { records: LoopRecord[]; final: Float32Array } {
  const sigma = Math.fround(scheduler.initNoiseSigma);
  let x: Float32Array = xTUnit.map((v) => Math.fround(v * sigma));
  const records: LoopRecord[] = [];
  for (const t of scheduler.timesteps) {
    const before = noise.next;
    const xIn = scheduler.scaleModelInput(x, t);
    const eps = toyModel(xIn, t);
    const out = scheduler.step(eps, t, x, noise);
    records.push({
      t,
      scaledInput: xIn,
      prevSample: out.prevSample,
      predOriginalSample: out.predOriginalSample,
      noiseIndices: Array.from({ length: noise.next - before }, (_, k) => before + k),
    });
    x = out.prevSample;
  }
  return { records, final: x };
}

// diffusers' own scheduler tests (tests/schedulers/test_schedulers.py) ----------------------

/** `dummy_sample_deter`: arange(768).reshape(C,H,W,B)/768 permuted to (B,C,H,W) = (4,3,8,8). */
export function dummySampleDeter(flip = false): Float32Array {
  const B = 4,
    C = 3,
    H = 8,
    W = 8;
  const n = B * C * H * W;
  const out = new Float32Array(n);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < C; c++)
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++) {
          const p = ((c * H + h) * W + w) * B + b; // position in the (C,H,W,B) arange
          const v = flip ? n - 1 - p : p;
          out[((b * C + c) * H + h) * W + w] = v / n;
        }
  return out;
}

/** `dummy_noise_deter`: the same with arange flipped. */
export function dummyNoiseDeter(): Float32Array {
  return dummySampleDeter(true);
}

/** `dummy_model`: sample · t / (t + 1) in float32. */
export function dummyModel(sample: Float32Array, t: number): Float32Array {
  const f = Math.fround;
  const tt = f(t);
  const out = new Float32Array(sample.length);
  for (let i = 0; i < out.length; i++) out[i] = f(f(sample[i] * tt) / f(tt + 1));
  return out;
}

export function sumAbs(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]);
  return s;
}

export function meanAbs(x: ArrayLike<number>): number {
  return sumAbs(x) / x.length;
}

/** The linear-form contract's fake model: it reads the scaled input, so a wrong input scale shows up. */
export function contractModel(input: Float32Array, t: number): Float32Array {
  return Float32Array.from(input, (x, k) => 0.3 * x + 0.1 * Math.sin(t + k));
}

/** One step of training/schedulers/reference_heun_dpmsde.py's fixtures (heun.json, dpmpp2m_sde_karras.json). */
export interface ReplayStep {
  t: number;
  sigma: number;
  scaled_input: number[];
  model_output: number[];
  prev_sample: number[];
  pred_original_sample: number[];
  noise: number[] | null;
}

export interface ReplayRun {
  num_inference_steps: number;
  shape: number[];
  seed: number;
  img2img: { strength: number; t_start: number; begin_index: number; image: number[]; noise: number[] } | null;
  all_timesteps: number[];
  sigmas: number[];
  init_noise_sigma: number;
  x_initial: number[];
  /** diffusers as it is: float32 tensors throughout. */
  steps: ReplayStep[];
  final: number[];
  /** The same formulas with float64 intermediates on float32 inputs (Lantern's documented precision). */
  x_initial_f64: number[];
  steps_f64: Pick<ReplayStep, 'scaled_input' | 'prev_sample' | 'pred_original_sample'>[];
  final_f64: number[];
}

export interface ReplayVariant {
  label: string;
  /** What the variant sets on top of the SD 1.5 config (DPM++ 2M SDE's fixture only). */
  overrides?: Record<string, unknown>;
  config: Record<string, unknown>;
  resolved: Record<string, unknown>;
  runs: ReplayRun[];
}
