/** `npm run generate` end to end: the CLI process, its PNG and its --raw floats. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateArgs } from '../helpers/generate-args';

const run = promisify(execFile);
let dir: string;

async function cli(args: string[]) {
  return run('npx', ['tsx', 'cli/generate.ts', ...args], { cwd: process.cwd(), timeout: 120_000 });
}

async function raw(name: string, extra: string[]) {
  const out = join(dir, `${name}.png`);
  const rawPath = join(dir, `${name}.json`);
  await cli([
    '--model',
    'models/fixtures/tiny-sd',
    '--prompt',
    'a red circle',
    '--steps',
    '3',
    '--width',
    '64',
    '--height',
    '64',
    '--out',
    out,
    '--raw',
    rawPath,
    ...extra,
  ]);
  return { png: await readFile(out), raw: JSON.parse(await readFile(rawPath, 'utf8')) as { shape: number[]; data: number[] } };
}

describe('generate CLI', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lantern-cli-'));
  });

  it('writes a PNG and raw floats; same seed twice is identical, another seed differs', async () => {
    const a = await raw('a', ['--seed', '42', '--guidance', '7.5']);
    const b = await raw('b', ['--seed', '42', '--guidance', '7.5']);
    const c = await raw('c', ['--seed', '43', '--guidance', '7.5']);
    expect(a.raw.shape).toEqual([64, 64, 3]);
    expect(a.raw.data).toHaveLength(64 * 64 * 3);
    expect(a.raw.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(b.raw.data).toEqual(a.raw.data);
    expect(c.raw.data).not.toEqual(a.raw.data);
    const png = PNG.sync.read(a.png);
    expect([png.width, png.height]).toEqual([64, 64]);
    // the PNG holds the raw floats rounded to 8 bits
    expect(png.data[0]).toBe(Math.round(a.raw.data[0] * 255));
    expect(png.data[5]).toBe(Math.round(a.raw.data[4] * 255));
  }, 240_000);

  it.each([
    ['optimum-lcm-dreamshaper.txt2img-lcm4', 2e-3],
    ['diffusers-script-sd15.txt2img-ddim', 2e-3],
    ['webnn-sd-turbo.txt2img-1step', 5e-2], // fp16 graphs: see tests/pipeline/replicas.test.ts
  ])(
    'runs the public layout %s and matches torch (≤ %s)',
    async (name, tolerance) => {
      const ref = JSON.parse(await readFile(`tests/fixtures/replicas/${name}.json`, 'utf8'));
      const p = ref.params;
      const out = join(dir, `${name}.png`);
      const rawPath = join(dir, `${name}.json`);
      const { stderr } = await cli(generateArgs(ref.folder, p, out, rawPath));
      expect(stderr).toMatch(/(Latent Consistency|Stable Diffusion|SD-Turbo)/);
      const got = JSON.parse(await readFile(rawPath, 'utf8')) as { data: number[] };
      let worst = 0;
      got.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - ref.image.data[i]))));
      expect(worst).toBeLessThanOrEqual(tolerance);
    },
    120_000,
  );

  it('guidance 1 and 7.5 differ; every scheduler flag is accepted', async () => {
    const g1 = await raw('g1', ['--seed', '42', '--guidance', '1']);
    const g75 = await raw('g75', ['--seed', '42', '--guidance', '7.5', '--scheduler', 'euler-ancestral', '--timestep-spacing', 'trailing']);
    expect(g1.raw.data).not.toEqual(g75.raw.data);
  }, 240_000);

  it('fails loudly, naming the problem', async () => {
    const err = await cli(['--model', 'models/fixtures/nope', '--prompt', 'x', '--seed', '1', '--out', join(dir, 'x.png')]).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/not a model folder: no model_index\.json/);
    const bad = await cli(['--model', 'models/fixtures/tiny-sd', '--prompt', 'x', '--seed', '1', '--scheduler', 'lms', '--out', join(dir, 'x.png')]).catch(
      (e) => e,
    );
    expect(bad.stderr).toMatch(/--scheduler must be one of/);
  }, 240_000);
});
