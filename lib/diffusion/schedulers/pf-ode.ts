/**
 * `pf-ode` — the probability-flow ODE of the VP-SDE by Euler (score-sde.ts has the shared definition):
 *   x_s = x_t + h·(½·x_t + ½·score),  score = −ε/√(1 − ᾱ_t),  h = ln(ᾱ_s/ᾱ_t).
 * Deterministic: it draws no noise. With many steps it approaches DDIM (η = 0), which
 * integrates the same ODE exactly in ᾱ.
 */
import type { RawSchedulerConfig } from './common';
import { ScoreSdeScheduler, type ScoreStep } from './score-sde';

const CLASS = 'ProbabilityFlowODEEulerScheduler';

export class PfOdeScheduler extends ScoreSdeScheduler {
  readonly name = CLASS;
  constructor(config: RawSchedulerConfig = {}) {
    super(CLASS, config, ({ alphaT, h }: ScoreStep) => ({ a: 1 + h / 2, b: -h / (2 * Math.sqrt(1 - alphaT)), c: 0 }), false);
  }
}
