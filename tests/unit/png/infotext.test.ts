import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GenerateParams } from '@/lib/diffusion/params';
import { readPngText, writePngText } from '@/lib/png/chunks';
import { LANTERN_VERSION, escapeControl, formatInfotext, parseInfotext, quote, unescapeControl, unquote, type InfotextInput } from '@/lib/png/infotext';
import { readPngSettings, restoreFromInfotext } from '@/lib/png/restore';
import { seeded, tinyPng } from './helpers';

const base: GenerateParams = {
  prompt: 'a red circle',
  negativePrompt: 'blurry',
  seed: 42,
  steps: 20,
  guidanceScale: 7.5,
  guidanceRescale: 0,
  scheduler: 'dpmpp-2m-karras',
  width: 64,
  height: 64,
};

describe('formatInfotext', () => {
  it('writes the complete A1111 text: prompt, negative, then one parameters line', () => {
    const text = formatInfotext({
      params: { ...base, strength: 0.6, guidanceRescale: 0.7, controlScale: 0.8, controlStart: 0.1, controlEnd: 0.9, timestepSpacing: 'trailing' },
      sampler: 'DPM++ 2M Karras',
      modelName: 'tiny-sd',
      modelHash: '6ce0161689',
      control: { model: 'control_v11p_sd15_scribble [d4ba51ff]' },
      init: true,
    });
    expect(text).toBe(
      'a red circle\nNegative prompt: blurry\n' +
        'Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7.5, Seed: 42, Size: 64x64, Model hash: 6ce0161689, Model: tiny-sd, ' +
        'Denoising strength: 0.6, Guidance rescale: 0.7, ' +
        'ControlNet 0: "Module: none, Model: control_v11p_sd15_scribble [d4ba51ff], Weight: 0.8, Guidance Start: 0.1, Guidance End: 0.9", ' +
        `Timestep spacing: trailing, Version: lantern ${LANTERN_VERSION}`,
    );
  });

  it('leaves out what did not apply: no negative, no init, no control, rescale 0', () => {
    expect(formatInfotext({ params: { ...base, negativePrompt: '', scheduler: 'default' }, sampler: 'PLMS', modelName: 'tiny-sd' })).toBe(
      `a red circle\nSteps: 20, Sampler: PLMS, Schedule type: Automatic, CFG scale: 7.5, Seed: 42, Size: 64x64, Model: tiny-sd, Version: lantern ${LANTERN_VERSION}`,
    );
  });

  it('quotes values with , : " or edge spaces as JSON, like A1111', () => {
    expect(quote('plain value')).toBe('plain value');
    expect(quote('a, b')).toBe('"a, b"');
    expect(quote('c:\\models\\x')).toBe('"c:\\\\models\\\\x"');
    expect(quote('say "hi"')).toBe('"say \\"hi\\""');
    expect(quote('ünïcode: 猫')).toBe('"ünïcode: 猫"');
    expect(unquote('"a, b"')).toBe('a, b');
    expect(unquote('"broken')).toBe('"broken');
    expect(unquote('"bad \\x json"')).toBe('"bad \\x json"');
  });

  it('escapes control characters reversibly and leaves attention backslashes alone', () => {
    const samples = ['\u0000', 'a\tb\rc', '\\(cat\\)', '\\u0000 literal', '\\u005c', '\\\\u0001', 'x\u007f\u0085y', 'line\nbreak'];
    for (const s of samples) {
      const e = escapeControl(s);
      expect(e).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(unescapeControl(e)).toBe(s);
    }
    expect(escapeControl('\\(cat\\)')).toBe('\\(cat\\)');
    expect(escapeControl('a\u0000b')).toBe('a\\u0000b');
  });

  it('version constant matches package.json', () => {
    expect(JSON.parse(readFileSync('package.json', 'utf8')).version).toBe(LANTERN_VERSION);
  });
});

describe('parseInfotext (A1111 rules)', () => {
  it('takes only the LAST line as parameters: a prompt line that looks like parameters stays prompt', () => {
    const text = formatInfotext({
      params: { ...base, prompt: 'Steps: 5, Seed: 1, Size: 8x8\ncat', negativePrompt: 'Steps: 9, Seed: 2, CFG scale: 3' },
      modelName: 'm',
    });
    const p = parseInfotext(text);
    expect(p.prompt).toBe('Steps: 5, Seed: 1, Size: 8x8\ncat');
    expect(p.negativePrompt).toBe('Steps: 9, Seed: 2, CFG scale: 3');
    expect(p.fields.Steps).toBe('20');
    expect(p.fields.Seed).toBe('42');
  });

  it('a last line with fewer than 3 parameters is prompt', () => {
    const p = parseInfotext('a cat\nSteps: 5, Seed: 1');
    expect(p).toMatchObject({ prompt: 'a cat\nSteps: 5, Seed: 1', negativePrompt: '', hasParameters: false });
  });

  it('reads an infotext written by A1111 (by hand from its format), keeping unknown keys', () => {
    const a1111 = [
      'masterpiece, (best quality:1.2), a castle on a hill,',
      'sunset',
      'Negative prompt: lowres, bad anatomy,',
      'watermark',
      'Steps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234567890, Size: 512x768, Model hash: 6ce0161689, ' +
        'Model: v1-5-pruned-emaonly, Denoising strength: 0.45, Clip skip: 2, Hires upscale: 2, Hires upscaler: Latent, ' +
        'Lora hashes: "add_detail: 7c6bad76eb54, more_art: 1a2b3c4d", ' +
        'ControlNet 0: "Module: canny, Model: control_v11p_sd15_canny [d14c016b], Weight: 0.9, Resize Mode: Crop and Resize, Low Vram: False, ' +
        'Processor Res: 512, Threshold A: 100, Threshold B: 200, Guidance Start: 0.05, Guidance End: 0.8, Pixel Perfect: False, Control Mode: Balanced", ' +
        'Version: v1.10.1',
    ].join('\n');
    const p = parseInfotext(a1111);
    expect(p.prompt).toBe('masterpiece, (best quality:1.2), a castle on a hill,\nsunset');
    expect(p.negativePrompt).toBe('lowres, bad anatomy,\nwatermark');
    expect(p.fields['Lora hashes']).toBe('add_detail: 7c6bad76eb54, more_art: 1a2b3c4d');
    expect(p.fields['Clip skip']).toBe('2');
    const r = restoreFromInfotext(a1111);
    expect(r.params).toEqual({
      prompt: 'masterpiece, (best quality:1.2), a castle on a hill,\nsunset',
      negativePrompt: 'lowres, bad anatomy,\nwatermark',
      steps: 30,
      scheduler: 'dpmpp-2m-karras',
      guidanceScale: 7,
      seed: 1234567890,
      width: 512,
      height: 768,
      strength: 0.45,
      guidanceRescale: 0, // A1111 has none: the image was made without it
      controlScale: 0.9,
      controlStart: 0.05,
      controlEnd: 0.8,
    });
    expect(r).toMatchObject({
      modelName: 'v1-5-pruned-emaonly',
      modelHash: '6ce0161689',
      init: true,
      control: { module: 'canny', model: 'control_v11p_sd15_canny [d14c016b]' },
    });
    expect(r.notUnderstood).toEqual(
      expect.arrayContaining(['Clip skip: 2', 'Hires upscale: 2', 'Hires upscaler: Latent', 'Lora hashes: add_detail: 7c6bad76eb54, more_art: 1a2b3c4d']),
    );
    expect(r.notUnderstood.some((n) => n.startsWith('Version'))).toBe(false);
  });

  it("reads A1111's DPM++ 2M SDE with either schedule type as dpmpp-2m-sde-karras (Lantern's only 2M SDE), saying so for Uniform", () => {
    expect(restoreFromInfotext('x\nSteps: 5, Sampler: DPM++ 2M SDE, Schedule type: Karras, CFG scale: 7, Seed: 1').params.scheduler).toBe(
      'dpmpp-2m-sde-karras',
    );
    expect(restoreFromInfotext('x\nSteps: 5, Sampler: DPM++ 2M SDE Karras, CFG scale: 7, Seed: 1').params.scheduler).toBe('dpmpp-2m-sde-karras');
    const uniform = restoreFromInfotext('x\nSteps: 5, Sampler: DPM++ 2M SDE, Schedule type: Uniform, CFG scale: 7, Seed: 1');
    expect(uniform.params.scheduler).toBe('dpmpp-2m-sde-karras');
    expect(uniform.notUnderstood.join()).toMatch(/runs with Karras sigmas here/);
    expect(restoreFromInfotext('x\nSteps: 5, Sampler: Heun, Schedule type: Automatic, CFG scale: 7, Seed: 1').params.scheduler).toBe('heun');
  });

  it('reads pre-1.9 sampler names ("DPM++ 2M Karras", "Euler a") and Lantern\'s older "Schedule type: trailing"', () => {
    expect(restoreFromInfotext('x\nSteps: 5, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1').params.scheduler).toBe('dpmpp-2m-karras');
    expect(restoreFromInfotext('x\nSteps: 5, Sampler: Euler a, CFG scale: 7, Seed: 1').params.scheduler).toBe('euler-ancestral');
    const old = restoreFromInfotext('x\nSteps: 5, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 64x64, Model: m, Schedule type: trailing');
    expect(old.params).toMatchObject({ scheduler: 'euler', timestepSpacing: 'trailing' });
    expect(restoreFromInfotext('x\nSteps: 5, Sampler: Model default, CFG scale: 7, Seed: 1').params.scheduler).toBe('default');
    const unknown = restoreFromInfotext('x\nSteps: 5, Sampler: UniPC, Schedule type: Exponential, CFG scale: 7, Seed: 1');
    expect(unknown.params.scheduler).toBeUndefined();
    expect(unknown.notUnderstood).toContain('Sampler: UniPC (no such sampler in Lantern)');
  });

  it("drops out-of-range values with the engine's reasons instead of clamping them", () => {
    const r = restoreFromInfotext('x\nSteps: 5000, Sampler: DDIM, CFG scale: 99, Seed: -3, Size: 513x4096, Guidance rescale: abc');
    expect(r.params).toEqual({ prompt: 'x', negativePrompt: '', scheduler: 'ddim' });
    expect(r.notUnderstood).toEqual(
      expect.arrayContaining([
        'Steps: steps must be an integer in 1…1000 (got 5000)',
        'CFG scale: guidanceScale must be ≤ 20 (got 99)',
        'Guidance rescale: abc (not a number)',
      ]),
    );
    expect(r.notUnderstood.filter((n) => n.startsWith('Size: '))).toHaveLength(2);
    expect(r.dropped.map((d) => d.param).sort()).toEqual(['guidanceScale', 'height', 'seed', 'steps', 'width']);
    expect(r.understood).not.toContain('Steps: 5000');
  });
});

function randomPrompt(rand: () => number): string {
  const pieces = [
    'cat',
    'a, b',
    'key: value',
    'say "hi"',
    '猫 と 犬',
    'émigré',
    '🦊🔥',
    'שלום',
    '\\(detail:1.2\\)',
    'Steps: 5, Seed: 1',
    '\t tab',
    'x\u0000y',
    'A\u0301',
    '{}',
    '\\u0000',
  ];
  const n = 1 + Math.floor(rand() * 5);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(pieces[Math.floor(rand() * pieces.length)]);
  // lines joined by \n; no whitespace at a line's ends (A1111 trims it) and no line starting "Negative prompt:"
  return out
    .join(rand() < 0.3 ? '\n' : ' ')
    .split('\n')
    .map((l) => l.trim())
    .join('\n')
    .trim();
}

describe('round trip: writer → PNG bytes → reader → parser', () => {
  const samplers: Array<[GenerateParams['scheduler'], string]> = [
    ['ddim', 'DDIM'],
    ['euler', 'Euler'],
    ['euler-ancestral', 'Euler a'],
    ['dpmpp-2m', 'DPM++ 2M'],
    ['dpmpp-2m-karras', 'DPM++ 2M Karras'],
    ['pndm', 'PLMS'],
    ['lcm', 'LCM'],
    ['ddpm', 'DDPM'],
    ['heun', 'Heun'],
    ['dpmpp-2m-sde-karras', 'DPM++ 2M SDE Karras'],
    ['vp-sde', 'VP-SDE (Euler–Maruyama)'],
    ['pf-ode', 'Probability-flow ODE (Euler)'],
  ];
  const rand = seeded(1234);
  const cases: InfotextInput[] = [];
  for (let i = 0; i < 60; i++) {
    const [scheduler, sampler] = samplers[i % samplers.length];
    const init = rand() < 0.4;
    const control = rand() < 0.4;
    const params: GenerateParams = {
      prompt: randomPrompt(rand),
      negativePrompt: rand() < 0.5 ? randomPrompt(rand) : '',
      seed: i === 0 ? 2 ** 53 - 1 : Math.floor(rand() * 2 ** 32),
      steps: 1 + Math.floor(rand() * 50),
      guidanceScale: Math.round(rand() * 200) / 10,
      guidanceRescale: rand() < 0.5 ? 0 : Math.round(rand() * 20) / 20,
      scheduler,
      width: 8 * (1 + Math.floor(rand() * 96)),
      height: 8 * (1 + Math.floor(rand() * 96)),
      ...(rand() < 0.3 ? { timestepSpacing: 'leading' as const } : {}),
      ...(init ? { strength: Math.round(rand() * 19 + 1) / 20 } : {}),
      ...(control ? { controlScale: Math.round(rand() * 40) / 20, controlStart: 0.1, controlEnd: 0.85 } : {}),
    };
    cases.push({
      params,
      sampler,
      modelName: ['tiny-sd', 'model, with: "odd" name', 'モデル', ' spaced '][i % 4],
      ...(i % 3 === 0 ? { modelHash: 'abcdef0123' } : {}),
      ...(control ? { control: { model: i % 2 ? 'cn, scribble: v1' : 'control_v11p_sd15_scribble' } } : {}),
      init,
    });
  }

  it.each(cases.map((c, i) => [i, c] as const))('case %i survives', async (_i, c) => {
    const png = writePngText(tinyPng(), [{ keyword: 'parameters', text: formatInfotext(c) }]);
    const read = await readPngText(png);
    expect(read.problems).toEqual([]);
    expect(read.texts[0].type).toBe(/[^\u0000-\u00ff]/.test(read.texts[0].text) ? 'iTXt' : 'tEXt');
    const got = await readPngSettings(png);
    expect(got.ok).toBe(true);
    if (!got.ok) return;
    expect(got.source).toBe('lantern');
    const s = got.settings;
    expect(s.notUnderstood).toEqual([]);
    expect(s.dropped).toEqual([]);
    expect(s.params).toEqual(c.params);
    expect(s.modelName).toBe(c.modelName);
    expect(s.modelHash).toBe(c.modelHash);
    expect(s.init ?? false).toBe(c.init);
    if (c.control) expect(s.control).toEqual({ model: c.control.model, module: 'none' });
    else expect(s.control).toBeUndefined();
  });
});
