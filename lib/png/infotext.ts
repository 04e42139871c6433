/**
 * AUTOMATIC1111's "infotext" (the PNG `parameters` text), written and read by A1111's own rules:
 *
 *     <prompt, any number of lines>
 *     Negative prompt: <negative prompt, any number of lines>
 *     Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7.5, Seed: 42, Size: 512x512, …
 *
 * Reading (A1111's parse_generation_parameters):
 * 1. The whole text is trimmed and split at "\n"; the LAST line is the parameters line when it holds at
 *    least 3 `key: value` matches of PARAM_PATTERN, else it is prompt text too. So a prompt line that
 *    looks like parameters stays prompt: only the last line can be parameters.
 * 2. Every other line is trimmed; from the first line starting with "Negative prompt:" on, lines belong
 *    to the negative prompt (it may span lines), the ones before to the prompt.
 * 3. Values in the parameters line are bare (up to the next ",") or JSON-quoted strings; a quoted value
 *    is JSON-decoded (kept as written when that fails).
 *
 * Writing is the inverse, with two additions A1111 lacks: control characters other than "\n" (NUL, CR,
 * tab, …, which a PNG text chunk cannot carry or A1111's trimming would eat) are written as `\u00XX`
 * and decoded on reading (see escapeControl); and a value holding `"` is quoted as well as one holding
 * `,` `:` or a newline (A1111 quotes the last three), so it cannot be mistaken for a quoted value.
 * What A1111's rules cannot carry is not carried: whitespace at either end of a prompt line, and a
 * prompt line that itself starts with "Negative prompt:".
 */
import { DEFAULT_PARAMS, SCHEDULER_LABELS, type GenerateParams } from '../diffusion/params';

/** Lantern's version, written as `Version: lantern 0.1.0` (tests check it against package.json). */
export const LANTERN_VERSION = '0.1.0';

/**
 * A1111's re_param, `\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)` applied with findall: a key (a word
 * character, then word characters, spaces, '-' or '/'), ':', then a JSON-quoted value followed by ',' or
 * the end, else anything up to the next ','. `\w` is Unicode-aware, as in Python 3.
 *
 * Implemented as a scanner that gives findall's matches in linear time: the regex itself backtracks
 * quadratically on a long line without ':' (a hostile PNG's), and lines over MAX_PARAMS_LINE code
 * points are not taken as parameters at all.
 */
const MAX_PARAMS_LINE = 1 << 20;
const WORD_RE = /^[\p{L}\p{N}_]$/u;
const SPACE_RE = /^\s$/u;
/** ASCII answers from a table (the common case), the rest from the Unicode regexes. */
const ASCII_WORD = Uint8Array.from({ length: 128 }, (_, i) => (WORD_RE.test(String.fromCharCode(i)) ? 1 : 0));
const ASCII_SPACE = Uint8Array.from({ length: 128 }, (_, i) => (SPACE_RE.test(String.fromCharCode(i)) ? 1 : 0));
const WORD = { test: (ch: string) => (ch.length === 1 && ch.charCodeAt(0) < 128 ? ASCII_WORD[ch.charCodeAt(0)] === 1 : WORD_RE.test(ch)) };
const SPACE = { test: (ch: string) => (ch.length === 1 && ch.charCodeAt(0) < 128 ? ASCII_SPACE[ch.charCodeAt(0)] === 1 : SPACE_RE.test(ch)) };
const isKeyChar = (ch: string) => ch === ' ' || ch === '-' || ch === '/' || WORD.test(ch);
const NEGATIVE_PREFIX = 'Negative prompt:';

/** findall(re_param, line): the `[key, raw value]` pairs of one line, in order. */
export function findParams(line: string): Array<[key: string, value: string]> {
  if (line.length > MAX_PARAMS_LINE) return [];
  const c = Array.from(line);
  const n = c.length;
  const out: Array<[string, string]> = [];
  // closing[i]: where a quoted string's body scanned from i (outside an escape) ends: its closing '"', or -1.
  const closing = new Int32Array(n + 1).fill(-2);
  const closeFrom = (start: number): number => {
    const path: number[] = [];
    let i = start;
    let r = -1;
    for (;;) {
      if (i >= n) break;
      if (closing[i] !== -2) {
        r = closing[i];
        break;
      }
      path.push(i);
      if (c[i] === '"') {
        r = i;
        break;
      }
      if (c[i] === '\\') {
        if (i + 1 >= n) break;
        i += 2;
      } else i++;
    }
    for (const p of path) closing[p] = r;
    return r;
  };
  let pos = 0;
  while (pos < n) {
    let w = pos;
    while (w < n && SPACE.test(c[w])) w++;
    if (w >= n) break;
    if (!WORD.test(c[w])) {
      pos = w + 1;
      continue;
    }
    let e = w + 1;
    while (e < n && isKeyChar(c[e])) e++;
    // Every start inside this run reaches the same end: no match unless it is ':' (and the key has 2+ characters).
    if (e >= n || c[e] !== ':') {
      pos = e;
      continue;
    }
    if (e - w < 2) {
      pos = w + 1;
      continue;
    }
    let v = e + 1;
    while (v < n && SPACE.test(c[v])) v++;
    let end = -1;
    if (c[v] === '"') {
      const close = closeFrom(v + 1);
      if (close > v + 1 && (close + 1 === n || c[close + 1] === ',')) end = close + 1;
    }
    if (end < 0) {
      end = v;
      while (end < n && c[end] !== ',') end++;
    }
    out.push([c.slice(w, e).join(''), c.slice(v, end).join('')]);
    pos = end + 1; // past the ','
  }
  return out;
}

/**
 * A1111's quote(), plus `"` and edge whitespace: a value with `,` `:` `"`, a newline, or whitespace at
 * either end becomes a JSON string (non-ASCII kept, as Python's json.dumps(ensure_ascii=False)).
 */
export function quote(value: string): string {
  return /[,:"\n]|^\s|\s$/.test(value) ? JSON.stringify(value) : value;
}

/** A1111's unquote(): a value in double quotes is JSON-decoded; anything else (or bad JSON) is kept. */
export function unquote(value: string): string {
  if (value.length < 2 || value[0] !== '"' || value[value.length - 1] !== '"') return value;
  try {
    const v: unknown = JSON.parse(value);
    return typeof v === 'string' ? v : value;
  } catch {
    return value;
  }
}

/** C0 controls but "\n", DEL and C1 controls: what is escaped as `\u00XX`. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
/** Code units whose `\u00XX` escapes are decoded: the controls and the backslash (which protects a literal `\u00XX`). */
const ESCAPABLE = /^(?:[01][0-9a-f]|7f|8[0-9a-f]|9[0-9a-f]|5c)$/i;
const hex2 = (c: number) => c.toString(16).padStart(2, '0');

/**
 * Control characters (but "\n") as `\u00XX`; a backslash that would otherwise read as such an
 * escape is itself written `\u005c`, so unescapeControl(escapeControl(s)) === s for every s.
 * Prompts' ordinary backslashes (`\(` in A1111's attention syntax) are left alone.
 */
export function escapeControl(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (CONTROL.test(ch)) out += `\\u00${hex2(ch.charCodeAt(0))}`;
    else if (ch === '\\' && text[i + 1] === 'u' && text.slice(i + 2, i + 4) === '00' && ESCAPABLE.test(text.slice(i + 4, i + 6))) out += '\\u005c';
    else out += ch;
  }
  return out;
}

export function unescapeControl(text: string): string {
  return text.replace(/\\u00([0-9a-f]{2})/gi, (all, code: string) => (ESCAPABLE.test(code) ? String.fromCharCode(parseInt(code, 16)) : all));
}

/** The ControlNet unit as the A1111 ControlNet extension writes it (`ControlNet 0: "Module: …, Model: …, …"`). */
export interface InfotextControl {
  /** The ControlNet's name, e.g. "control_v11p_sd15_scribble [d4ba51ff]". */
  model: string;
  /** The preprocessor; Lantern draws the control image itself, so "none". */
  module?: string;
}

/** What a result PNG says about its run. */
export interface InfotextInput {
  params: GenerateParams;
  /** The sampler that ran (GenerateResult.sampler, e.g. "DPM++ 2M Karras"); default: the menu's label for params.scheduler. */
  sampler?: string;
  modelName: string;
  /** A1111's short model hash (10 hex digits of the file's SHA-256) when known. */
  modelHash?: string;
  /** Present when a control image steered the run: writes `ControlNet 0` with params' controlScale/Start/End. */
  control?: InfotextControl;
  /** True when the run started from an init image (img2img): writes `Denoising strength` (params.strength). */
  init?: boolean;
  /** Default LANTERN_VERSION. */
  version?: string;
}

/** Karras is A1111's "Schedule type" since 1.9; the samplers without k-diffusion sigmas use "Automatic". */
const NO_SIGMA_SAMPLERS = new Set(['DDIM', 'DDPM', 'PLMS', 'PNDM', 'LCM']);

/** "DPM++ 2M Karras" → ["DPM++ 2M", "Karras"]; "DDIM" → ["DDIM", "Automatic"]; "Euler" → ["Euler", "Uniform"]. */
export function splitSamplerLabel(label: string): [sampler: string, scheduleType: string] {
  if (label.endsWith(' Karras')) return [label.slice(0, -' Karras'.length), 'Karras'];
  return [label, NO_SIGMA_SAMPLERS.has(label) ? 'Automatic' : 'Uniform'];
}

const num = (v: number) => String(v);

/** A1111's parameters line: `key: value` pairs joined by ", ", values quoted where needed. */
export function formatFields(fields: ReadonlyArray<readonly [string, string]>): string {
  return fields.map(([k, v]) => `${k}: ${quote(escapeControl(v))}`).join(', ');
}

/** The complete `parameters` text for a run (see the file's comment for the format). */
export function formatInfotext(input: InfotextInput): string {
  const p = input.params;
  const [sampler, scheduleType] = splitSamplerLabel(input.sampler ?? SCHEDULER_LABELS[p.scheduler]);
  const fields: Array<[string, string]> = [
    ['Steps', num(p.steps)],
    ['Sampler', sampler],
    ['Schedule type', scheduleType],
    ['CFG scale', num(p.guidanceScale)],
    ['Seed', num(p.seed)],
    ['Size', `${p.width}x${p.height}`],
  ];
  if (input.modelHash) fields.push(['Model hash', input.modelHash]);
  fields.push(['Model', input.modelName]);
  if (input.init) fields.push(['Denoising strength', num(p.strength ?? DEFAULT_PARAMS.strength)]);
  // Written only when it differs from the default (0, off).
  if (p.guidanceRescale !== DEFAULT_PARAMS.guidanceRescale) fields.push(['Guidance rescale', num(p.guidanceRescale)]);
  if (input.control) {
    const unit = formatFields([
      ['Module', input.control.module ?? 'none'],
      ['Model', input.control.model],
      ['Weight', num(p.controlScale ?? DEFAULT_PARAMS.controlScale)],
      ['Guidance Start', num(p.controlStart ?? DEFAULT_PARAMS.controlStart)],
      ['Guidance End', num(p.controlEnd ?? DEFAULT_PARAMS.controlEnd)],
    ]);
    fields.push(['ControlNet 0', unit]);
  }
  if (p.timestepSpacing) fields.push(['Timestep spacing', p.timestepSpacing]);
  fields.push(['Version', `lantern ${input.version ?? LANTERN_VERSION}`]);

  const lines = [escapeControl(p.prompt)];
  if (p.negativePrompt) lines.push(`${NEGATIVE_PREFIX} ${escapeControl(p.negativePrompt)}`);
  lines.push(formatFields(fields));
  return lines.join('\n');
}

export interface ParsedInfotext {
  prompt: string;
  negativePrompt: string;
  /** Every `key: value` of the parameters line in order, values unquoted and unescaped (a repeated key: the last). */
  fields: Record<string, string>;
  /** False when the last line held fewer than 3 parameters: the whole text was prompt. */
  hasParameters: boolean;
}

/** The parameters line's `key: value` pairs, unquoted (also the inside of a `ControlNet 0` value). */
export function parseFields(line: string): Record<string, string> {
  const fields: Record<string, string> = Object.create(null);
  for (const [k, v] of findParams(line)) fields[k] = unescapeControl(unquote(v.trim()));
  return fields;
}

/** A1111's parse_generation_parameters (see the file's comment). Never throws. */
export function parseInfotext(text: string): ParsedInfotext {
  const lines = String(text).trim().split('\n');
  let last = lines.pop() ?? '';
  let paramsLine = '';
  if (findParams(last).length >= 3) paramsLine = last;
  else lines.push(last);
  last = '';
  let prompt = '';
  let negative = '';
  let inNegative = false;
  for (const raw of lines) {
    let line = raw.trim();
    if (line.startsWith(NEGATIVE_PREFIX)) {
      inNegative = true;
      line = line.slice(NEGATIVE_PREFIX.length).trim();
    }
    if (inNegative) negative += (negative === '' ? '' : '\n') + line;
    else prompt += (prompt === '' ? '' : '\n') + line;
  }
  return { prompt: unescapeControl(prompt), negativePrompt: unescapeControl(negative), fields: parseFields(paramsLine), hasParameters: paramsLine !== '' };
}
