/**
 * Consistency checks that need no reference data: a model that knows the true noise (or
 * velocity, or x0) must give back x0; noise is drawn exactly where diffusers draws it.
 */
import { describe, expect, it } from 'vitest';
import { DDIMScheduler } from '@/lib/diffusion/schedulers/ddim';
import { DDPMScheduler } from '@/lib/diffusion/schedulers/ddpm';
import { DPMSolverMultistepScheduler } from '@/lib/diffusion/schedulers/dpmpp-2m';
import { EulerAncestralDiscreteScheduler } from '@/lib/diffusion/schedulers/euler-ancestral';
import { EulerDiscreteScheduler } from '@/lib/diffusion/schedulers/euler';
import { LCMScheduler } from '@/lib/diffusion/schedulers/lcm';
import { PNDMScheduler } from '@/lib/diffusion/schedulers/pndm';
import type { NoiseSource } from '@/lib/random/noise-source';
import { TorchGenerator } from '@/lib/random/torch-generator';
import { expectClose, readFixture, type InputsFixture } from './helpers';

const SD15 = readFixture<InputsFixture>('inputs').sd15_config;
const N = 64;
const gen = new TorchGenerator(1234);
const X0 = gen.randn(N).map((v) => v * 0.5);
const EPS = gen.randn(N);

/** Counts draws; returns zeros so that ancestral steps stay deterministic. */
class CountingNoise implements NoiseSource {
  calls = 0;
  randn(n: number): Float32Array {
    this.calls++;
    return new Float32Array(n);
  }
}

const noNoise: NoiseSource = {
  randn() {
    throw new Error('unexpected noise draw');
  },
};

function combine(a: number, x: Float32Array, b: number, y: Float32Array): Float32Array {
  return x.map((v, i) => a * v + b * y[i]);
}

describe('ᾱ-parameterised schedulers: the true ε / v / x0 gives back x0 at every timestep', () => {
  const makers = {
    DDIM: (c: Record<string, unknown>) => new DDIMScheduler({ ...SD15, ...c }),
    DDPM: (c: Record<string, unknown>) => new DDPMScheduler({ ...SD15, ...c }),
    LCM: (c: Record<string, unknown>) => new LCMScheduler({ ...SD15, ...c }),
  };
  for (const [name, make] of Object.entries(makers)) {
    for (const prediction_type of ['epsilon', 'v_prediction', 'sample'] as const) {
      it(`${name} ${prediction_type}`, () => {
        const probe = make({ prediction_type });
        probe.setTimesteps(20);
        for (const t of probe.timesteps) {
          const s = make({ prediction_type });
          s.setTimesteps(20);
          const a = s.alphasCumprod[t];
          const xt = s.addNoise(X0, EPS, t);
          expectClose(xt, combine(Math.sqrt(a), X0, Math.sqrt(1 - a), EPS), 1e-6, `addNoise t=${t}`);
          const out = prediction_type === 'epsilon' ? EPS : prediction_type === 'sample' ? X0 : combine(Math.sqrt(a), EPS, -Math.sqrt(1 - a), X0); // v = sqrt(ᾱ)ε − sqrt(1−ᾱ)x0
          const { predOriginalSample } = s.step(out, t, xt, new CountingNoise());
          if (name === 'LCM') {
            // LCM returns denoised = c_skip·x_t + c_out·x0
            const scaled = t * 10;
            const cSkip = 0.25 / (scaled * scaled + 0.25);
            const cOut = scaled / Math.sqrt(scaled * scaled + 0.25);
            expectClose(predOriginalSample as Float32Array, combine(cOut, X0, cSkip, xt), 1e-4, `t=${t}`);
          } else {
            expectClose(predOriginalSample as Float32Array, X0, 1e-4, `t=${t}`);
          }
        }
      });
    }
  }
});

describe('DDPM', () => {
  it('recovers x0 at the last step (t = 1, SD 1.5 leading): prev_sample is x0 up to the 1e-10 variance floor', () => {
    const s = new DDPMScheduler(SD15);
    s.setTimesteps(20);
    const t = s.timesteps[s.timesteps.length - 1];
    expect(t).toBe(1);
    const noise = new TorchGenerator(7);
    const out = s.step(EPS, t, s.addNoise(X0, EPS, t), noise);
    expectClose(out.prevSample, X0, 1e-6, 'prev_sample');
  });

  it('at t = 0 returns x0 and draws no noise', () => {
    const s = new DDPMScheduler({ ...SD15, timestep_spacing: 'linspace' });
    s.setTimesteps(20);
    expect(s.timesteps[19]).toBe(0);
    const out = s.step(EPS, 0, s.addNoise(X0, EPS, 0), noNoise);
    expectClose(out.prevSample, X0, 1e-6, 'prev_sample');
  });

  it('draws one noise tensor per step with t > 0', () => {
    for (const [spacing, draws] of [
      ['leading', 20],
      ['linspace', 19],
    ] as const) {
      const s = new DDPMScheduler({ ...SD15, timestep_spacing: spacing });
      s.setTimesteps(20);
      const noise = new CountingNoise();
      let x = EPS;
      for (const t of s.timesteps) x = s.step(new Float32Array(N), t, x, noise).prevSample;
      expect(noise.calls, spacing).toBe(draws);
    }
  });

  it('a perfect ε model walks the chain to x0 (noise-free draws)', () => {
    const s = new DDPMScheduler(SD15);
    s.setTimesteps(50);
    let x = s.addNoise(X0, EPS, s.timesteps[0]);
    for (const t of s.timesteps) {
      const a = s.alphasCumprod[t];
      const eps = x.map((v, i) => (v - Math.sqrt(a) * X0[i]) / Math.sqrt(1 - a));
      x = s.step(eps, t, x, new CountingNoise()).prevSample;
    }
    expectClose(x, X0, 1e-4, 'final');
  });

  it('needs a NoiseSource for t > 0', () => {
    const s = new DDPMScheduler(SD15);
    s.setTimesteps(4);
    expect(() => s.step(EPS, 751, EPS)).toThrow(/DDPMScheduler.step: this step draws noise; pass a NoiseSource/);
  });
});

describe('DDIM', () => {
  it('with set_alpha_to_one and a perfect ε model ends at x0; eta = 0 draws no noise', () => {
    const s = new DDIMScheduler({ ...SD15, set_alpha_to_one: true });
    s.setTimesteps(10);
    let x = s.addNoise(X0, EPS, s.timesteps[0]);
    for (const t of s.timesteps) {
      const a = s.alphasCumprod[t];
      const eps = x.map((v, i) => (v - Math.sqrt(a) * X0[i]) / Math.sqrt(1 - a));
      x = s.step(eps, t, x, noNoise).prevSample;
    }
    expectClose(x, X0, 1e-5, 'final');
  });

  it('eta > 0 draws one noise tensor per step and needs a source', () => {
    const s = new DDIMScheduler(SD15, { eta: 1 });
    s.setTimesteps(5);
    const noise = new CountingNoise();
    for (const t of s.timesteps) s.step(EPS, t, X0, noise);
    expect(noise.calls).toBe(5);
    expect(() => s.step(EPS, s.timesteps[0], X0)).toThrow(/pass a NoiseSource/);
  });

  it('clip_sample clamps x0 to ±clip_sample_range', () => {
    const s = new DDIMScheduler({ ...SD15, clip_sample: true, clip_sample_range: 0.25 });
    s.setTimesteps(5);
    const { predOriginalSample } = s.step(EPS, 801, s.addNoise(X0, EPS, 801));
    expect(Math.max(...(predOriginalSample as Float32Array).map(Math.abs))).toBeLessThanOrEqual(0.25);
  });
});

describe('PNDM', () => {
  it('a v-prediction model gives the same first step as the equivalent ε model', () => {
    // only the first PLMS step uses a single model output; later steps combine raw outputs of
    // different timesteps before converting v to ε (as diffusers does), so they differ
    const eps = new PNDMScheduler({ ...SD15 });
    const v = new PNDMScheduler({ ...SD15, prediction_type: 'v_prediction' });
    eps.setTimesteps(10);
    v.setTimesteps(10);
    const t = eps.timesteps[0];
    const a = eps.alphasCumprod[t];
    const xt = eps.addNoise(X0, EPS, t);
    const vel = combine(Math.sqrt(a), EPS, -Math.sqrt(1 - a), X0);
    expectClose(v.step(vel, t, xt).prevSample, eps.step(EPS, t, xt).prevSample, 1e-5, 'first step');
  });

  it('PLMS repeats the first step from the same sample with the averaged ε', () => {
    const s = new PNDMScheduler(SD15);
    s.setTimesteps(20);
    const [t0, t1] = s.timesteps;
    expect([t0, t1]).toEqual([951, 901]);
    const x = s.addNoise(X0, EPS, t0);
    const first = s.step(EPS, t0, x).prevSample;
    // the second call ignores its sample argument and restarts from x, with (ε0 + ε1)/2
    const second = s.step(EPS, t1, first).prevSample;
    const ref = new DDIMScheduler({ ...SD15, set_alpha_to_one: false });
    ref.setTimesteps(20);
    expectClose(second, ref.step(EPS, 951, x).prevSample, 1e-5, 'PLMS second step = DDIM step from x with the same ε');
  });

  it('rejects x0 prediction, as diffusers', () => {
    expect(() => new PNDMScheduler({ prediction_type: 'sample' })).toThrow('PNDMScheduler does not support prediction_type "sample" (epsilon, v_prediction)');
  });
});

describe('sigma schedulers', () => {
  it('Euler: v-prediction and x0-prediction give back x0; a perfect model ends at x0', () => {
    for (const prediction_type of ['epsilon', 'v_prediction', 'sample'] as const) {
      const s = new EulerDiscreteScheduler({ ...SD15, prediction_type });
      s.setTimesteps(12);
      let x = s.addNoise(X0, EPS, s.timesteps[0]);
      s.timesteps.forEach((t, i) => {
        const sigma = s.sigmas[i];
        const xIn = s.scaleModelInput(x, t);
        const a = 1 / (sigma * sigma + 1); // ᾱ of this σ; x_in = sqrt(ᾱ)x0 + sqrt(1−ᾱ)ε
        const eps = x.map((v, k) => (v - X0[k]) / sigma);
        expectClose(xIn, combine(Math.sqrt(a), X0, Math.sqrt(1 - a), eps), 1e-5, 'scaled input');
        const out = prediction_type === 'epsilon' ? eps : prediction_type === 'sample' ? X0 : combine(Math.sqrt(a), eps, -Math.sqrt(1 - a), X0);
        const step = s.step(out, t, x);
        expectClose(step.predOriginalSample as Float32Array, X0, 1e-4, `${prediction_type} x0 at step ${i}`);
        x = step.prevSample;
      });
      expectClose(x, X0, 1e-4, `${prediction_type} final`);
    }
  });

  it('Euler draws noise every step when given a source (multiplied by 0 without churn); s_churn > 0 needs one', () => {
    const s = new EulerDiscreteScheduler(SD15);
    s.setTimesteps(6);
    const noise = new CountingNoise();
    let x: Float32Array = X0;
    for (const t of s.timesteps) {
      s.scaleModelInput(x, t);
      x = s.step(EPS, t, x, noise).prevSample;
    }
    expect(noise.calls).toBe(6);
    const churn = new EulerDiscreteScheduler(SD15, { sChurn: 1 });
    churn.setTimesteps(6);
    expect(() => churn.step(EPS, churn.timesteps[0], X0)).toThrow(/pass a NoiseSource/);
  });

  it('Euler a: v-prediction gives back x0; one draw per step including the last', () => {
    const s = new EulerAncestralDiscreteScheduler({ ...SD15, prediction_type: 'v_prediction' });
    s.setTimesteps(8);
    const noise = new CountingNoise();
    let x = s.addNoise(X0, EPS, s.timesteps[0]);
    s.timesteps.forEach((t, i) => {
      const sigma = s.sigmas[i];
      const a = 1 / (sigma * sigma + 1);
      const eps = x.map((v, k) => (v - X0[k]) / sigma);
      const out = s.step(combine(Math.sqrt(a), eps, -Math.sqrt(1 - a), X0), t, x, noise);
      expectClose(out.predOriginalSample as Float32Array, X0, 1e-4, `step ${i}`);
      x = out.prevSample;
    });
    expect(noise.calls).toBe(8);
    expectClose(x, X0, 1e-4, 'final (zero noise)');
    expect(() => new EulerAncestralDiscreteScheduler({ prediction_type: 'sample' })).toThrow(
      'EulerAncestralDiscreteScheduler does not support prediction_type "sample" (epsilon, v_prediction)',
    );
  });

  it('DPM-Solver++: every prediction type gives back x0, and a perfect model ends exactly at x0', () => {
    for (const prediction_type of ['epsilon', 'v_prediction', 'sample'] as const) {
      for (const use_karras_sigmas of [false, true]) {
        const s = new DPMSolverMultistepScheduler({ ...SD15, prediction_type, use_karras_sigmas });
        s.setTimesteps(15);
        let x = s.addNoise(X0, EPS, s.timesteps[0]);
        s.timesteps.forEach((t, i) => {
          const sigma = s.sigmas[i];
          const alphaT = 1 / Math.sqrt(sigma * sigma + 1);
          const sigmaT = sigma * alphaT;
          const eps = x.map((v, k) => (v - alphaT * X0[k]) / sigmaT);
          const out = prediction_type === 'epsilon' ? eps : prediction_type === 'sample' ? X0 : combine(alphaT, eps, -sigmaT, X0);
          const step = s.step(out, t, x, noNoise);
          expectClose(step.predOriginalSample as Float32Array, X0, 1e-4, `${prediction_type} step ${i}`);
          x = step.prevSample;
        });
        expectClose(x, X0, 1e-4, `${prediction_type} karras=${use_karras_sigmas} final`);
      }
    }
  });

  it('setBeginIndex: addNoise and the first step use the given index (img2img)', () => {
    for (const s of [new EulerDiscreteScheduler(SD15), new EulerAncestralDiscreteScheduler(SD15), new DPMSolverMultistepScheduler(SD15)]) {
      s.setTimesteps(10);
      s.setBeginIndex(4);
      const t = s.timesteps[4];
      const noised = s.addNoise(new Float32Array(1), new Float32Array([1]), t);
      const sigma = s.sigmas[4];
      const expected = s instanceof DPMSolverMultistepScheduler ? sigma / Math.sqrt(sigma * sigma + 1) : sigma;
      expect(noised[0], s.name).toBeCloseTo(expected, 6);
    }
  });
});
