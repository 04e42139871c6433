/** Parses `npm run generate -- …` flags into GenerateParams plus CLI-only options. */
import { parseArgs } from 'node:util';
import type { GenerateParams } from '../lib/diffusion/check-inputs';
import { SCHEDULER_NAMES, type SchedulerName } from '../lib/diffusion/schedulers';

export interface CliOptions {
  model: string;
  out: string;
  raw?: string;
  controlImage?: string;
  initImage?: string;
  params: GenerateParams;
}

export const USAGE = `usage: npm run generate -- --model <folder|url> --prompt "…" [--negative "…"] --seed N --steps N
       --guidance G [--guidance-rescale φ] [--scheduler ${SCHEDULER_NAMES.join('|')}]
       [--timestep-spacing leading|trailing|linspace] --width W --height H --out image.png [--raw image.json]
       [--control-image sketch.png [--control-scale S] [--control-start F] [--control-end F]]
       [--init-image init.png [--strength F]]`;

function number(name: string, value: string | undefined, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new Error(`--${name} is required\n${USAGE}`);
    return fallback;
  }
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number (got "${value}")`);
  return n;
}

/** The --model value alone: the folder's lantern.json supplies defaults for the rest. */
export function modelArgument(argv: string[]): string {
  const { values } = parseArgs({ args: argv, options: { model: { type: 'string' } }, strict: false });
  if (typeof values.model !== 'string' || !values.model) throw new Error(`--model is required\n${USAGE}`);
  return values.model;
}

export function parseCliArgs(argv: string[], defaults: { steps?: number; guidance?: number; width?: number; height?: number } = {}): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      prompt: { type: 'string' },
      negative: { type: 'string', default: '' },
      seed: { type: 'string' },
      steps: { type: 'string' },
      guidance: { type: 'string' },
      'guidance-rescale': { type: 'string' },
      scheduler: { type: 'string', default: 'default' },
      'timestep-spacing': { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      out: { type: 'string' },
      raw: { type: 'string' },
      'control-image': { type: 'string' },
      'control-scale': { type: 'string' },
      'control-start': { type: 'string' },
      'control-end': { type: 'string' },
      'init-image': { type: 'string' },
      strength: { type: 'string' },
    },
    strict: true,
  });
  if (!values.model) throw new Error(`--model is required\n${USAGE}`);
  if (values.prompt === undefined) throw new Error(`--prompt is required\n${USAGE}`);
  if (!values.out) throw new Error(`--out is required\n${USAGE}`);
  const scheduler = values.scheduler as SchedulerName;
  if (!SCHEDULER_NAMES.includes(scheduler)) throw new Error(`--scheduler must be one of ${SCHEDULER_NAMES.join(', ')}`);
  const spacing = values['timestep-spacing'];
  if (spacing !== undefined && spacing !== 'leading' && spacing !== 'trailing' && spacing !== 'linspace') {
    throw new Error('--timestep-spacing must be leading, trailing or linspace');
  }
  return {
    model: values.model,
    out: values.out,
    raw: values.raw,
    controlImage: values['control-image'],
    initImage: values['init-image'],
    params: {
      prompt: values.prompt,
      negativePrompt: values.negative ?? '',
      seed: number('seed', values.seed),
      steps: number('steps', values.steps, defaults.steps),
      guidanceScale: number('guidance', values.guidance, defaults.guidance),
      guidanceRescale: number('guidance-rescale', values['guidance-rescale'], 0),
      scheduler,
      timestepSpacing: spacing,
      width: number('width', values.width, defaults.width),
      height: number('height', values.height, defaults.height),
      ...(values['control-scale'] !== undefined && { controlScale: number('control-scale', values['control-scale']) }),
      ...(values['control-start'] !== undefined && { controlStart: number('control-start', values['control-start']) }),
      ...(values['control-end'] !== undefined && { controlEnd: number('control-end', values['control-end']) }),
      ...(values.strength !== undefined && { strength: number('strength', values.strength) }),
    },
  };
}
