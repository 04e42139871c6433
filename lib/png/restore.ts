/**
 * A PNG's settings back into Lantern's: A1111/Lantern infotext (`parameters`) and ComfyUI's API graph
 * (`prompt` JSON) where it maps. Every value goes through the engine's sanitizeParams; one it would
 * have to change (out of range, off the size grid, wrong type) is dropped with its reason instead.
 * Nothing here throws for bad input.
 */
import {
  SCHEDULER_LABELS,
  SCHEDULER_NAMES,
  TIMESTEP_SPACINGS,
  sanitizeParams,
  type DroppedParam,
  type GenerateParams,
  type SchedulerName,
} from '../diffusion/params';
import { readPngText, type PngProblem, type PngTextLimits } from './chunks';
import { parseFields, parseInfotext } from './infotext';

export interface RestoredControl {
  model?: string;
  module?: string;
}

export interface RestoredSettings {
  /** Only what the source said and the engine accepts. */
  params: Partial<GenerateParams>;
  modelName?: string;
  modelHash?: string;
  /** Present when the source used a ControlNet (its weights, if valid, are in params). */
  control?: RestoredControl;
  /** True when the source was img2img (Denoising strength / a denoise below 1). */
  init?: boolean;
  /** What was read and used, e.g. "Steps: 20", "Prompt". */
  understood: string[];
  /** What was read and not used, with why, e.g. "Hires upscale: 2 (not supported)", "Steps: 5000 (steps must be …)". */
  notUnderstood: string[];
  /** The values sanitizeParams refused. */
  dropped: DroppedParam[];
}

/** The input, minus every field sanitizeParams would change (those are listed as dropped). */
function validate(candidate: Partial<GenerateParams>, labels: Partial<Record<keyof GenerateParams, string>>, out: RestoredSettings): void {
  const { dropped } = sanitizeParams(candidate);
  for (const d of dropped) {
    const keys = d.param === 'controlStart' && typeof d.value === 'object' ? (['controlStart', 'controlEnd'] as const) : [d.param as keyof GenerateParams];
    for (const k of keys) {
      if (!(k in candidate)) continue;
      delete candidate[k];
      const label = labels[k] ?? k;
      out.understood = out.understood.filter((u) => !u.startsWith(`${label}: `));
      out.notUnderstood.push(`${label}: ${d.reason}`);
    }
    out.dropped.push(d);
  }
  out.params = candidate;
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;
const SIZE = /^(\d+)x(\d+)$/;

const FROM_LABEL: Readonly<Record<string, SchedulerName>> = Object.fromEntries(
  // 'default' too: "Model default" is written when the sampler that ran is not known.
  SCHEDULER_NAMES.filter((n) => n !== 'dpmpp-2m-karras' && n !== 'dpmpp-2m-sde-karras').map((n) => [SCHEDULER_LABELS[n], n]),
);

/** A1111 sampler + schedule type → a Lantern scheduler, or why not. */
function schedulerFor(sampler: string, scheduleType: string | undefined): { name?: SchedulerName; note?: string } {
  let base = sampler;
  let karras = scheduleType === 'Karras';
  if (base.endsWith(' Karras')) {
    base = base.slice(0, -' Karras'.length); // before A1111 1.9 the schedule was part of the name
    karras = true;
  }
  // Lantern's only DPM++ 2M SDE runs on Karras σ (A1111's default schedule for it too).
  if (base === 'DPM++ 2M SDE')
    return karras
      ? { name: 'dpmpp-2m-sde-karras' }
      : { name: 'dpmpp-2m-sde-karras', note: `Schedule type: ${scheduleType ?? 'Uniform'} (DPM++ 2M SDE runs with Karras sigmas here)` };
  const name = FROM_LABEL[base] ?? (base === 'PNDM' ? 'pndm' : undefined);
  if (!name) return { note: `Sampler: ${sampler} (no such sampler in Lantern)` };
  if (karras) return name === 'dpmpp-2m' ? { name: 'dpmpp-2m-karras' } : { name, note: `Schedule type: Karras (${base} runs without Karras sigmas here)` };
  if (
    scheduleType !== undefined &&
    !['Automatic', 'Uniform', 'Normal'].includes(scheduleType) &&
    !(TIMESTEP_SPACINGS as readonly string[]).includes(scheduleType)
  ) {
    return { name, note: `Schedule type: ${scheduleType} (not available; the model's schedule is used)` };
  }
  return { name };
}

function emptySettings(): RestoredSettings {
  return { params: {}, understood: [], notUnderstood: [], dropped: [] };
}

/** An A1111 (or Lantern) `parameters` text → settings. */
export function restoreFromInfotext(text: string): RestoredSettings {
  const out = emptySettings();
  const parsed = parseInfotext(text);
  const p: Partial<GenerateParams> = {};
  const labels: Partial<Record<keyof GenerateParams, string>> = {};
  if (parsed.prompt !== '' || parsed.hasParameters) {
    p.prompt = parsed.prompt;
    out.understood.push('Prompt');
  }
  if (parsed.negativePrompt !== '' || parsed.hasParameters) {
    p.negativePrompt = parsed.negativePrompt;
    if (parsed.negativePrompt !== '') out.understood.push('Negative prompt');
  }
  const f = parsed.fields;
  const used = new Set<string>();
  const number = (key: string, param: keyof GenerateParams) => {
    const v = f[key];
    if (v === undefined) return;
    used.add(key);
    if (!NUMBER.test(v)) return out.notUnderstood.push(`${key}: ${v} (not a number)`);
    (p as Record<string, unknown>)[param] = Number(v);
    labels[param] = key;
    out.understood.push(`${key}: ${v}`);
  };
  number('Steps', 'steps');
  number('CFG scale', 'guidanceScale');
  number('Seed', 'seed');
  number('Denoising strength', 'strength');
  number(f['Guidance rescale'] !== undefined ? 'Guidance rescale' : 'CFG Rescale phi', 'guidanceRescale');
  // A1111 writes no rescale when it is off (and has none itself): the image was made with 0.
  if (parsed.hasParameters && p.guidanceRescale === undefined && f['Guidance rescale'] === undefined && f['CFG Rescale phi'] === undefined)
    p.guidanceRescale = 0;
  if (f['Denoising strength'] !== undefined) out.init = true;
  if (f.Size !== undefined) {
    used.add('Size');
    const m = SIZE.exec(f.Size);
    if (m) {
      p.width = Number(m[1]);
      p.height = Number(m[2]);
      labels.width = labels.height = 'Size';
      out.understood.push(`Size: ${f.Size}`);
    } else out.notUnderstood.push(`Size: ${f.Size} (not WxH)`);
  }
  if (f.Sampler !== undefined) {
    used.add('Sampler');
    used.add('Schedule type');
    const s = schedulerFor(f.Sampler, f['Schedule type']);
    if (s.name) {
      p.scheduler = s.name;
      labels.scheduler = 'Sampler';
      out.understood.push(`Sampler: ${f.Sampler}${f['Schedule type'] ? `, Schedule type: ${f['Schedule type']}` : ''}`);
    }
    if (s.note) out.notUnderstood.push(s.note);
  }
  // Lantern wrote its timestep spacing as "Schedule type" before it had "Timestep spacing".
  const spacing = f['Timestep spacing'] ?? ((TIMESTEP_SPACINGS as readonly string[]).includes(f['Schedule type'] ?? '') ? f['Schedule type'] : undefined);
  if (f['Timestep spacing'] !== undefined) used.add('Timestep spacing');
  if (spacing !== undefined) {
    (p as Record<string, unknown>).timestepSpacing = spacing;
    labels.timestepSpacing = f['Timestep spacing'] !== undefined ? 'Timestep spacing' : 'Schedule type';
    out.understood.push(`${labels.timestepSpacing}: ${spacing}`);
  }
  if (f.Model !== undefined) {
    used.add('Model');
    out.modelName = f.Model;
    out.understood.push(`Model: ${f.Model}`);
  }
  if (f['Model hash'] !== undefined) {
    used.add('Model hash');
    out.modelHash = f['Model hash'];
    out.understood.push(`Model hash: ${f['Model hash']}`);
  }
  if (f.Version !== undefined) used.add('Version');
  const units = Object.keys(f).filter((k) => /^ControlNet \d+$/.test(k));
  for (const key of units) used.add(key);
  if (units.length > 0) {
    const first = units.sort()[0];
    const unit = parseFields(f[first]);
    out.control = { model: unit.Model, module: unit.Module };
    const cn: Array<[string, keyof GenerateParams]> = [
      ['Weight', 'controlScale'],
      ['Guidance Start', 'controlStart'],
      ['Guidance End', 'controlEnd'],
    ];
    for (const [k, param] of cn) {
      const v = unit[k];
      if (v === undefined) continue;
      if (!NUMBER.test(v)) {
        out.notUnderstood.push(`${first} ${k}: ${v} (not a number)`);
        continue;
      }
      (p as Record<string, unknown>)[param] = Number(v);
      labels[param] = `${first} ${k}`;
      out.understood.push(`${first} ${k}: ${v}`);
    }
    out.understood.push(`${first}: Model ${unit.Model ?? '(none)'}, Module ${unit.Module ?? '(none)'}`);
    for (const k of units.filter((u) => u !== first)) out.notUnderstood.push(`${k} (one ControlNet at a time)`);
  }
  for (const [k, v] of Object.entries(f)) if (!used.has(k)) out.notUnderstood.push(`${k}: ${v}`);
  validate(p, labels, out);
  return out;
}

type ComfyNode = { class_type?: unknown; inputs?: Record<string, unknown> };

const COMFY_SAMPLERS: Readonly<Record<string, SchedulerName>> = {
  euler: 'euler',
  euler_ancestral: 'euler-ancestral',
  ddim: 'ddim',
  ddpm: 'ddpm',
  lcm: 'lcm',
  dpmpp_2m: 'dpmpp-2m',
};

/** ComfyUI's API graph (the `prompt` chunk) → settings: the first KSampler, its text encoders and latent size. */
export function restoreFromComfy(json: string): RestoredSettings {
  const out = emptySettings();
  let graph: unknown;
  try {
    graph = JSON.parse(json);
  } catch {
    out.notUnderstood.push('prompt: not JSON');
    return out;
  }
  if (typeof graph !== 'object' || graph === null || Array.isArray(graph)) {
    out.notUnderstood.push('prompt: not a ComfyUI graph');
    return out;
  }
  const nodes = graph as Record<string, ComfyNode>;
  const node = (link: unknown): ComfyNode | undefined => (Array.isArray(link) && typeof link[0] === 'string' ? nodes[link[0]] : undefined);
  const sampler = Object.values(nodes).find((n) => n && (n.class_type === 'KSampler' || n.class_type === 'KSamplerAdvanced'));
  if (!sampler?.inputs) {
    out.notUnderstood.push('prompt: no KSampler node');
    return out;
  }
  const inp = sampler.inputs;
  const p: Partial<GenerateParams> = {};
  const labels: Partial<Record<keyof GenerateParams, string>> = {};
  const take = (key: string, param: keyof GenerateParams, value: unknown) => {
    if (value === undefined) return;
    if (typeof value !== 'number') return out.notUnderstood.push(`${key}: ${JSON.stringify(value)} (not a number; linked from another node?)`);
    (p as Record<string, unknown>)[param] = value;
    labels[param] = key;
    out.understood.push(`${key}: ${value}`);
  };
  take('seed', 'seed', inp.seed ?? inp.noise_seed);
  take('steps', 'steps', inp.steps);
  take('cfg', 'guidanceScale', inp.cfg);
  if (typeof inp.denoise === 'number' && inp.denoise < 1) {
    take('denoise', 'strength', inp.denoise);
    out.init = true;
  }
  if (typeof inp.sampler_name === 'string') {
    const base = COMFY_SAMPLERS[inp.sampler_name];
    const sched = typeof inp.scheduler === 'string' ? inp.scheduler : 'normal';
    if (!base) out.notUnderstood.push(`sampler_name: ${inp.sampler_name} (no such sampler in Lantern)`);
    else {
      p.scheduler = sched === 'karras' && base === 'dpmpp-2m' ? 'dpmpp-2m-karras' : base;
      labels.scheduler = 'sampler_name';
      out.understood.push(`sampler_name: ${inp.sampler_name}`);
      if (sched === 'karras' && base !== 'dpmpp-2m') out.notUnderstood.push(`scheduler: karras (${inp.sampler_name} runs without Karras sigmas here)`);
      else if (sched === 'karras' || sched === 'normal') out.understood.push(`scheduler: ${sched}`);
      else out.notUnderstood.push(`scheduler: ${sched} (not available; the model's schedule is used)`);
    }
  }
  for (const [key, param] of [
    ['positive', 'prompt'],
    ['negative', 'negativePrompt'],
  ] as const) {
    const enc = node(inp[key]);
    const text = enc?.inputs?.text;
    if (enc && typeof enc.class_type === 'string' && enc.class_type.startsWith('CLIPTextEncode') && typeof text === 'string') {
      p[param] = text;
      out.understood.push(`${key}: ${enc.class_type}`);
    } else if (inp[key] !== undefined) out.notUnderstood.push(`${key}: not a CLIPTextEncode with a text`);
  }
  const latent = node(inp.latent_image);
  if (latent?.class_type === 'EmptyLatentImage' && latent.inputs) {
    take('width', 'width', latent.inputs.width);
    take('height', 'height', latent.inputs.height);
  } else if (latent) out.notUnderstood.push(`latent_image: ${String(latent.class_type)} (img2img input not restored)`);
  const ckpt = node(inp.model);
  if (ckpt && typeof ckpt.inputs?.ckpt_name === 'string') {
    out.modelName = ckpt.inputs.ckpt_name;
    out.understood.push(`ckpt_name: ${ckpt.inputs.ckpt_name}`);
  }
  validate(p, labels, out);
  return out;
}

export type PngSettingsSource = 'a1111' | 'lantern' | 'comfyui';

export type PngSettingsResult =
  | { ok: true; source: PngSettingsSource; settings: RestoredSettings; problems: PngProblem[] }
  | { ok: false; reason: 'not-png' | 'no-settings'; message: string; problems: PngProblem[] };

/**
 * A dropped/opened PNG's bytes → its settings: the `parameters` text (A1111's, Lantern's) first, else
 * ComfyUI's `prompt` graph. Never throws; bounded by chunks.ts's limits.
 */
export async function readPngSettings(bytes: Uint8Array, limits?: Partial<PngTextLimits>): Promise<PngSettingsResult> {
  const read = await readPngText(bytes, limits);
  if (!read.ok) return { ok: false, reason: 'not-png', message: read.problems[0]?.message ?? 'not a PNG file', problems: read.problems };
  const text = (k: string) => read.texts.filter((t) => t.keyword === k).pop()?.text;
  const parameters = text('parameters');
  if (parameters !== undefined) {
    const settings = restoreFromInfotext(parameters);
    const source = /(?:^|, )Version: lantern /.test(parameters.slice(parameters.lastIndexOf('\n') + 1)) ? 'lantern' : 'a1111';
    return { ok: true, source, settings, problems: read.problems };
  }
  const prompt = text('prompt');
  if (prompt !== undefined) return { ok: true, source: 'comfyui', settings: restoreFromComfy(prompt), problems: read.problems };
  const why = read.problems.length ? `; ${read.problems.map((p) => p.message).join('; ')}` : '';
  return {
    ok: false,
    reason: 'no-settings',
    message: `this PNG holds no generation settings (no "parameters" or "prompt" text)${why}`,
    problems: read.problems,
  };
}
