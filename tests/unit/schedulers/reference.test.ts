/**
 * Every scheduler against diffusers 0.27.2 (tests/fixtures/schedulers, extracted from the
 * shared reference set): timesteps, sigmas, init_noise_sigma, per-step scaled input /
 * prev_sample / pred_original_sample, the noise draws each step takes, and the final
 * sample, for 1, 4, 20 and 50 steps, running the reference README's toy loop.
 */
import { describe, expect, it } from 'vitest';
import { createScheduler } from '@/lib/diffusion/schedulers';
import { EulerAncestralDiscreteScheduler } from '@/lib/diffusion/schedulers/euler-ancestral';
import { EulerDiscreteScheduler } from '@/lib/diffusion/schedulers/euler';
import { DPMSolverMultistepScheduler } from '@/lib/diffusion/schedulers/dpmpp-2m';
import { FakeNoise, decodeF32, expectClose, readFixture, runToyLoop, sliceStep, type InputsFixture, type ReferenceFixture } from './helpers';

const inputs = readFixture<InputsFixture>('inputs');
const numel = inputs.numel;
const xTUnit = decodeF32(inputs.x_T_unit);
const allNoise = decodeF32(inputs.noise);
const noiseArrays = Array.from({ length: inputs.noise_count }, (_, k) => allNoise.slice(k * numel, (k + 1) * numel));

const FILES = ['ddim_leading', 'ddim_trailing', 'euler_leading', 'euler_ancestral_trailing', 'dpmpp2m_karras', 'lcm_leading'];

describe.each(FILES)('diffusers reference: %s', (file) => {
  const ref = readFixture<ReferenceFixture>(file);

  it('builds the class named in the config through createScheduler("default")', () => {
    expect(createScheduler('default', ref.config).name).toBe(ref.scheduler_class);
  });

  describe.each(ref.runs.map((r) => [r.num_inference_steps, r] as const))('%i steps', (_steps, run) => {
    const scheduler = createScheduler('default', ref.config);
    scheduler.setTimesteps(run.num_inference_steps);
    const noise = new FakeNoise(noiseArrays, numel);
    const { records, final } = runToyLoop(scheduler, xTUnit, noise);

    it('has the same timesteps (values and count)', () => {
      expect([...scheduler.timesteps]).toEqual(run.timesteps);
      expect(records.map((r) => r.t)).toEqual(run.t);
    });

    it('has the same init_noise_sigma', () => {
      expectClose([scheduler.initNoiseSigma], [run.init_noise_sigma], 1e-6, 'init_noise_sigma');
    });

    if (run.sigmas) {
      it('has the same sigmas', () => {
        const s = scheduler as EulerDiscreteScheduler | EulerAncestralDiscreteScheduler | DPMSolverMultistepScheduler;
        expectClose(s.sigmas, run.sigmas as number[], 1e-6, 'sigmas');
      });
    }

    it('takes noise draw k at the steps diffusers does', () => {
      expect(records.map((r) => r.noiseIndices)).toEqual(run.noise_indices_used);
      expect(noise.next).toBe(run.noise_calls);
    });

    if (run.prev_sample) {
      it('matches every step (scaled input, prev_sample, pred_original_sample)', () => {
        const scaled = decodeF32(run.scaled_input as string);
        const prev = decodeF32(run.prev_sample as string);
        const pred = run.pred_original_sample ? decodeF32(run.pred_original_sample) : null;
        records.forEach((rec, i) => {
          expectClose(rec.scaledInput, sliceStep(scaled, i, numel), 1e-4, `step ${i} scaled_input`);
          expectClose(rec.prevSample, sliceStep(prev, i, numel), 1e-4, `step ${i} prev_sample`);
          if (pred) {
            expect(rec.predOriginalSample, `step ${i} pred_original_sample`).not.toBeNull();
            expectClose(rec.predOriginalSample as Float32Array, sliceStep(pred, i, numel), 1e-4, `step ${i} pred_original_sample`);
          }
        });
      });
    }

    it(`matches the final sample (${run.final_is})`, () => {
      const expected = decodeF32(run.final);
      const last = records[records.length - 1];
      // LCM's pipeline decodes the last step's `denoised`, which equals its prev_sample there
      const got = run.final_is.startsWith('denoised') ? (last.predOriginalSample as Float32Array) : final;
      expectClose(got, expected, 1e-4, 'final');
      expectClose(final, expected, 1e-4, 'final prev_sample');
    });
  });
});
