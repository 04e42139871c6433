/** Precise validation of generation parameters before any model runs (diffusers' check_inputs). */
import { InvalidParamsError } from '../errors';
import { SCHEDULER_NAMES, type SchedulerName } from './schedulers';

export interface GenerateParams {
  prompt: string;
  negativePrompt: string;
  seed: number;
  steps: number;
  /** Classifier-free guidance scale; ≤ 1 runs the conditional pass only. */
  guidanceScale: number;
  /** φ of Lin et al. 2023; 0 disables. */
  guidanceRescale: number;
  scheduler: SchedulerName;
  /** Overrides the folder's `timestep_spacing` when set. */
  timestepSpacing?: 'leading' | 'trailing' | 'linspace';
  width: number;
  height: number;
  /** ControlNet (used when a control image is given): conditioning scale and the schedule range it acts on. */
  controlScale?: number;
  controlStart?: number;
  controlEnd?: number;
  /** img2img (used when an init image is given): how much of the schedule re-noises the image. */
  strength?: number;
}

export const CONTROL_DEFAULTS = { controlScale: 1, controlStart: 0, controlEnd: 1 } as const;
export const DEFAULT_STRENGTH = 0.75;

export { InvalidParamsError };

export function checkInputs(p: GenerateParams, vaeScale = 8): void {
  const bad = (m: string): never => {
    throw new InvalidParamsError(m);
  };
  if (typeof p.prompt !== 'string') bad('prompt must be a string');
  if (typeof p.negativePrompt !== 'string') bad('negativePrompt must be a string');
  if (!Number.isSafeInteger(p.seed) || p.seed < 0) bad(`seed must be an integer ≥ 0 (got ${p.seed})`);
  if (!Number.isInteger(p.steps) || p.steps < 1 || p.steps > 1000) bad(`steps must be an integer in 1…1000 (got ${p.steps})`);
  if (!Number.isFinite(p.guidanceScale) || p.guidanceScale < 0) bad(`guidanceScale must be ≥ 0 (got ${p.guidanceScale})`);
  if (!Number.isFinite(p.guidanceRescale) || p.guidanceRescale < 0 || p.guidanceRescale > 1) {
    bad(`guidanceRescale must be in [0, 1] (got ${p.guidanceRescale})`);
  }
  if (!SCHEDULER_NAMES.includes(p.scheduler)) bad(`unknown scheduler "${p.scheduler}" (one of ${SCHEDULER_NAMES.join(', ')})`);
  const scale = p.controlScale ?? CONTROL_DEFAULTS.controlScale;
  const start = p.controlStart ?? CONTROL_DEFAULTS.controlStart;
  const end = p.controlEnd ?? CONTROL_DEFAULTS.controlEnd;
  if (!Number.isFinite(scale) || scale < 0) bad(`controlScale must be ≥ 0 (got ${scale})`);
  if (!(start >= 0 && start <= 1 && end >= 0 && end <= 1)) bad(`controlStart and controlEnd must lie in [0, 1] (got ${start}, ${end})`);
  if (start >= end) bad(`controlStart (${start}) must be below controlEnd (${end})`);
  const strength = p.strength ?? DEFAULT_STRENGTH;
  if (!(strength > 0 && strength <= 1)) bad(`strength must be in (0, 1] (got ${strength})`);
  for (const [key, v] of [['width', p.width], ['height', p.height]] as const) {
    if (!Number.isInteger(v) || v < vaeScale || v % vaeScale !== 0) {
      bad(`${key} must be a positive multiple of ${vaeScale} (got ${v})`);
    }
  }
}
