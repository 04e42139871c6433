/**
 * vp-sde and pf-ode against their definition (issue #13), computed here independently in
 * float64: ᾱ and the timesteps are DDIMScheduler's for the config, h = ln(ᾱ_s/ᾱ_t) with
 * ᾱ_final = alphas_cumprod[0], score = −ε/√(1−ᾱ_t);
 *   vp-sde: x_s = x + h(½x + score) + √h·z (no noise, and no draw, on the last step)
 *   pf-ode: x_s = x + h(½x + ½score)
 */
import { describe, expect, it } from 'vitest';
import { createScheduler, DDIMScheduler } from '@/lib/diffusion/schedulers';
import { InvalidParamsError } from '@/lib/errors';
import { TorchGenerator } from '@/lib/random/torch-generator';
import type { NoiseSource } from '@/lib/random/noise-source';
import { relError } from '../../helpers/rel-error';

const SD15 = {
  _class_name: 'PNDMScheduler',
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  steps_offset: 1,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  clip_sample: false,
};
const CONFIGS: Record<string, Record<string, unknown>> = {
  'SD 1.5 (leading, offset 1)': SD15,
  'trailing (SD-Turbo)': { ...SD15, timestep_spacing: 'trailing', steps_offset: 0 },
  linspace: { ...SD15, timestep_spacing: 'linspace' },
};
const n = 6;
const model = (x: Float32Array, t: number) => x.map((v, k) => 0.3 * v + 0.1 * Math.sin(t / 100 + k));

class Counting implements NoiseSource {
  draws = 0;
  constructor(private readonly g: TorchGenerator) {}
  randn(m: number) {
    this.draws++;
    return this.g.randn(m);
  }
}

for (const name of ['vp-sde', 'pf-ode'] as const) {
  describe(`${name} reproduces its definition`, () => {
    for (const [label, config] of Object.entries(CONFIGS)) {
      for (const steps of [1, 2, 5, 10]) {
        it(`${label}, ${steps} steps`, () => {
          const ddim = new DDIMScheduler({ ...config, clip_sample: false });
          ddim.setTimesteps(steps);
          const ac = ddim.alphasCumprod;
          const s = createScheduler(name, config);
          s.setTimesteps(steps);
          expect(s.timesteps).toEqual(ddim.timesteps);
          expect(s.initNoiseSigma).toBe(1);

          const noise = new Counting(new TorchGenerator(5));
          const ref = new TorchGenerator(5); // the definition's own draws, in the same order
          let x = new TorchGenerator(9).randn(n);
          let want = Float64Array.from(x);
          const ts = s.timesteps;
          ts.forEach((t, i) => {
            expect(s.scaleModelInput(x, t)).toEqual(x);
            const eps = model(x, t);
            const out = s.step(eps, t, x, noise);
            const aT = ac[t];
            const aS = i === ts.length - 1 ? ac[0] : ac[ts[i + 1]];
            const h = Math.log(aS / aT);
            const z = name === 'vp-sde' && i < ts.length - 1 ? ref.randn(n) : null;
            want = want.map((v, k) => {
              const score = -eps[k] / Math.sqrt(1 - aT);
              return name === 'vp-sde' ? v + h * (0.5 * v + score) + (z ? Math.sqrt(h) * z[k] : 0) : v + h * (0.5 * v + 0.5 * score);
            });
            expect(relError(out.prevSample, want), `step ${i}`).toBeLessThan(1e-6);
            expect(
              relError(
                out.predOriginalSample!,
                Float64Array.from(x, (v, k) => (v - Math.sqrt(1 - aT) * eps[k]) / Math.sqrt(aT)),
              ),
            ).toBeLessThan(1e-6);
            x = out.prevSample;
            want = Float64Array.from(x); // each step from the scheduler's own float32 state
          });
          expect(noise.draws).toBe(name === 'vp-sde' ? steps - 1 : 0);
        });
      }
    }

    it('refuses a v-prediction folder, naming the key', () => {
      expect(() => createScheduler(name, { ...SD15, prediction_type: 'v_prediction' })).toThrow(InvalidParamsError);
      expect(() => createScheduler(name, { ...SD15, prediction_type: 'v_prediction' })).toThrow(/epsilon-predicting model, not prediction_type "v_prediction"/);
    });

    it('refuses zero terminal SNR (ᾱ_T = 0: an infinite first step)', () => {
      expect(() => createScheduler(name, { ...SD15, rescale_betas_zero_snr: true })).toThrow(/rescale_betas_zero_snr makes ᾱ = 0/);
    });

    it('would catch an off-by-one timestep (stepping from t_{i+1} instead of t_i fails the definition)', () => {
      const s = createScheduler(name, SD15);
      s.setTimesteps(4);
      const x = new TorchGenerator(1).randn(n);
      const [t0, t1] = s.timesteps;
      const right = s.step(model(x, t0), t0, x, new TorchGenerator(2)).prevSample;
      const shifted = s.step(model(x, t0), t1, x, new TorchGenerator(2)).prevSample;
      expect(relError(shifted, right)).toBeGreaterThan(1e-3);
    });
  });
}
