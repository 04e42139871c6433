/** Parses `npm run generate -- …` flags into GenerateParams plus CLI-only options. */
import { parseArgs } from 'node:util';
import {
  clampParam,
  DEFAULT_PARAMS,
  InvalidParamsError,
  isSchedulerName,
  PARAM_LIMITS,
  paramProblem,
  rangeText,
  SCHEDULER_NAMES,
  TIMESTEP_SPACINGS,
  type GenerateParams,
  type NumericParam,
  type TimestepSpacing,
} from '../lib/diffusion/params';

export interface CliOptions {
  model: string;
  out: string;
  raw?: string;
  controlImage?: string;
  initImage?: string;
  params: GenerateParams;
}

/** Each numeric flag and the parameter it sets; `--help` lists their limits from PARAM_LIMITS. */
const NUMERIC_FLAGS: ReadonlyArray<readonly [flag: string, param: NumericParam, fallback: string]> = [
  ['seed', 'seed', 'required'],
  ['steps', 'steps', "the model's recommendation"],
  ['guidance', 'guidanceScale', "the model's recommendation"],
  ['guidance-rescale', 'guidanceRescale', `${DEFAULT_PARAMS.guidanceRescale}`],
  ['width', 'width', "the model's recommendation"],
  ['height', 'height', "the model's recommendation"],
  ['control-scale', 'controlScale', `${DEFAULT_PARAMS.controlScale}`],
  ['control-start', 'controlStart', `${DEFAULT_PARAMS.controlStart}`],
  ['control-end', 'controlEnd', `${DEFAULT_PARAMS.controlEnd}`],
  ['strength', 'strength', `${DEFAULT_PARAMS.strength}`],
];

function limitLine([flag, param, fallback]: (typeof NUMERIC_FLAGS)[number]): string {
  const l = PARAM_LIMITS[param];
  const kind = param === 'width' || param === 'height' ? `multiple of the model's VAE factor (${l.step} for SD) in` : l.integer ? 'integer' : 'number';
  return `  --${flag.padEnd(17)} ${kind} ${rangeText(param)}${fallback === 'required' ? ', required' : `; default ${fallback}`}`;
}

export const USAGE = `usage: npm run generate -- --model <folder|url|owner/repo[@revision][:subfolder]> --prompt "…" [--negative "…"] --seed N [--steps N]
       [--guidance G] [--guidance-rescale φ] [--scheduler ${SCHEDULER_NAMES.join('|')}]
       [--timestep-spacing ${TIMESTEP_SPACINGS.join('|')}] [--width W] [--height H] --out image.png [--raw image.json]
       [--control-image sketch.png [--control-scale S] [--control-start F] [--control-end F]]
       [--init-image init.png [--strength F]]
Hub repos are cached as huggingface_hub does ($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub);
  HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (else the token \`hf auth login\` saved) for gated or private repos,
  HF_HUB_OFFLINE=1 for the cache alone, HF_HUB_DOWNLOAD_TIMEOUT=seconds without data before a download resumes (default 10)
limits:
${NUMERIC_FLAGS.map(limitLine).join('\n')}
  (--control-start must be below --control-end)`;

/**
 * A numeric flag, checked against PARAM_LIMITS with the engine's own message. Left out, it
 * takes `fallback` (the model's recommendation: repaired into range, not refused).
 */
function number(flag: string, param: NumericParam, value: string | undefined, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new Error(`--${flag} is required\n${USAGE}`);
    return clampParam(param, fallback);
  }
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidParamsError(`--${flag} must be a number (got "${value}")`, param);
  const problem = paramProblem(param, n);
  if (problem) throw new InvalidParamsError(`--${flag}: ${problem}`, param);
  return n;
}

/** The --model value alone: the folder's lantern.json supplies defaults for the rest. */
export function modelArgument(argv: string[]): string {
  const { values } = parseArgs({ args: argv, options: { model: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: false });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
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
  const scheduler = values.scheduler;
  if (!isSchedulerName(scheduler)) throw new InvalidParamsError(`--scheduler must be one of ${SCHEDULER_NAMES.join(', ')} (got "${scheduler}")`, 'scheduler');
  const spacing = values['timestep-spacing'] as TimestepSpacing | undefined;
  if (spacing !== undefined && !TIMESTEP_SPACINGS.includes(spacing)) {
    throw new InvalidParamsError(`--timestep-spacing must be one of ${TIMESTEP_SPACINGS.join(', ')} (got "${spacing}")`, 'timestepSpacing');
  }
  // Set only when given: the pipeline reads its defaults for the rest.
  const optional = (flag: 'control-scale' | 'control-start' | 'control-end' | 'strength', param: NumericParam) => {
    const value = values[flag];
    return value !== undefined ? { [param]: number(flag, param, value) } : {};
  };
  const control: Pick<GenerateParams, 'controlScale' | 'controlStart' | 'controlEnd'> = {
    ...optional('control-scale', 'controlScale'),
    ...optional('control-start', 'controlStart'),
    ...optional('control-end', 'controlEnd'),
  };
  const [start, end] = [control.controlStart ?? DEFAULT_PARAMS.controlStart, control.controlEnd ?? DEFAULT_PARAMS.controlEnd];
  if (start >= end) throw new InvalidParamsError(`--control-start (${start}) must be below --control-end (${end})`, 'controlStart');
  return {
    model: values.model,
    out: values.out,
    raw: values.raw,
    controlImage: values['control-image'],
    initImage: values['init-image'],
    params: {
      prompt: values.prompt,
      negativePrompt: values.negative ?? '',
      seed: number('seed', 'seed', values.seed),
      steps: number('steps', 'steps', values.steps, defaults.steps),
      guidanceScale: number('guidance', 'guidanceScale', values.guidance, defaults.guidance),
      guidanceRescale: number('guidance-rescale', 'guidanceRescale', values['guidance-rescale'], DEFAULT_PARAMS.guidanceRescale),
      scheduler,
      timestepSpacing: spacing,
      width: number('width', 'width', values.width, defaults.width),
      height: number('height', 'height', values.height, defaults.height),
      ...control,
      ...optional('strength', 'strength'),
    },
  };
}
