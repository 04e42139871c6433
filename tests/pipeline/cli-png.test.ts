/** `npm run generate` writes the A1111 `parameters` text into its PNG, and it reads back to the run's settings. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readPngText } from '@/lib/png/chunks';
import { readPngSettings } from '@/lib/png/restore';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lantern-cli-png-'));
});

describe('generate CLI PNG metadata', () => {
  it("embeds parameters that parse back to the run's settings", async () => {
    const out = join(dir, 'meta.png');
    const prompt = 'a red circle, "bold": 猫\nsecond line';
    await run(
      'npx',
      [
        'tsx',
        'cli/generate.ts',
        '--model',
        'models/fixtures/tiny-sd',
        '--prompt',
        prompt,
        '--negative',
        'blurry, dark',
        '--seed',
        '1234',
        '--steps',
        '3',
        '--guidance',
        '6.5',
        '--guidance-rescale',
        '0.3',
        '--scheduler',
        'euler-ancestral',
        '--timestep-spacing',
        'trailing',
        '--width',
        '64',
        '--height',
        '64',
        '--out',
        out,
      ],
      { cwd: process.cwd(), timeout: 120_000 },
    );
    const bytes = new Uint8Array(await readFile(out));
    expect(PNG.sync.read(Buffer.from(bytes)).width).toBe(64); // still a valid PNG (pngjs checks CRCs)
    const texts = await readPngText(bytes);
    expect(texts.problems).toEqual([]);
    expect(texts.texts.map((t) => [t.type, t.keyword])).toEqual([['iTXt', 'parameters']]); // 猫 is not Latin-1
    const got = await readPngSettings(bytes);
    expect(got.ok).toBe(true);
    if (!got.ok) return;
    expect(got.source).toBe('lantern');
    expect(got.settings.params).toEqual({
      prompt,
      negativePrompt: 'blurry, dark',
      seed: 1234,
      steps: 3,
      guidanceScale: 6.5,
      guidanceRescale: 0.3,
      scheduler: 'euler-ancestral',
      timestepSpacing: 'trailing',
      width: 64,
      height: 64,
    });
    expect(got.settings.modelName).toBe('tiny-sd');
    expect(got.settings.notUnderstood).toEqual([]);
  }, 180_000);

  it('writes Denoising strength and the ControlNet unit for a control + init run, and they come back', async () => {
    const img = join(dir, 'sketch.png');
    const png = new PNG({ width: 64, height: 64 });
    png.data = Buffer.alloc(64 * 64 * 4, 255);
    await writeFile(img, PNG.sync.write(png));
    const out = join(dir, 'control.png');
    const flags = ['--prompt', 'x', '--seed', '7', '--steps', '2', '--width', '64', '--height', '64', '--out', out];
    const extra = [
      '--control-image',
      img,
      '--control-scale',
      '0.8',
      '--control-start',
      '0.1',
      '--control-end',
      '0.9',
      '--init-image',
      img,
      '--strength',
      '0.6',
    ];
    await run('npx', ['tsx', 'cli/generate.ts', '--model', 'models/fixtures/tiny-sd-controlnet', ...flags, ...extra], { cwd: process.cwd(), timeout: 120_000 });
    const got = await readPngSettings(new Uint8Array(await readFile(out)));
    expect(got.ok).toBe(true);
    if (!got.ok) return;
    expect(got.settings.params).toMatchObject({ prompt: 'x', seed: 7, steps: 2, strength: 0.6, controlScale: 0.8, controlStart: 0.1, controlEnd: 0.9 });
    expect(got.settings.init).toBe(true);
    expect(got.settings.control).toEqual({ model: 'tiny-sd-controlnet/controlnet', module: 'none' });
    expect(got.settings.notUnderstood).toEqual([]);
  }, 180_000);
});
