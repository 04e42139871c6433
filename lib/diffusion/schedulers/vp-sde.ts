/**
 * `vp-sde` — Euler–Maruyama on the reverse-time VP-SDE (score-sde.ts has the shared definition):
 *   x_s = x_t + h·(½·x_t + score) + √h·z,  score = −ε/√(1 − ᾱ_t),  h = ln(ᾱ_s/ᾱ_t),
 * z one seeded randn of the latent shape per step, in order, right after the initial latents;
 * the last step adds no noise and draws none.
 */
import type { RawSchedulerConfig } from './common';
import { ScoreSdeScheduler, type ScoreStep } from './score-sde';

const CLASS = 'VPSDEEulerMaruyamaScheduler';

export class VpSdeScheduler extends ScoreSdeScheduler {
  readonly name = CLASS;
  constructor(config: RawSchedulerConfig = {}) {
    super(CLASS, config, ({ alphaT, h }: ScoreStep) => ({ a: 1 + h / 2, b: -h / Math.sqrt(1 - alphaT), c: Math.sqrt(h) }), true);
  }
}
