/**
 * `npm run generate -- …`: the studio's engine (lib/) in Node on onnxruntime-node (CPU).
 * Same tokenizer, schedulers, RNG and loop as the browser, so a seed reproduces across both.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PNG } from 'pngjs';
import { generate } from '../lib/diffusion/pipeline';
import { loadPipeline, recommendedSettings, releasePipeline } from '../lib/diffusion/load-pipeline';
import { loadModelFolder } from '../lib/models/load-folder';
import { createNodeSessionFactory } from '../lib/onnx/node';
import { writePngText } from '../lib/png/chunks';
import { formatInfotext } from '../lib/png/infotext';
import { imageToRgba, type RgbaImage } from '../lib/tensor/image';
import { modelArgument, parseCliArgs } from './args';
import { modelSource } from './model-source';

async function readPng(path: string): Promise<RgbaImage> {
  const png = PNG.sync.read(await readFile(path));
  return { width: png.width, height: png.height, data: new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length) };
}

async function main(argv: string[]): Promise<void> {
  const modelArg = modelArgument(argv);
  const source = await modelSource(modelArg);
  const folder = await loadModelFolder(source);
  const models = await loadPipeline(folder, createNodeSessionFactory());
  try {
    // Flags left out take the folder's recommended settings (lantern.json, else the family's).
    const rec = recommendedSettings(models);
    const opts = parseCliArgs(argv, { steps: rec.steps, guidance: rec.guidance, width: rec.width, height: rec.height });
    process.stderr.write(`${folder.name}: ${models.family.family.label} (${models.family.evidence}), ${folder.layout} layout\n`);
    for (const w of models.warnings) process.stderr.write(`warning: ${w}\n`);
    const images = {
      control: opts.controlImage ? await readPng(opts.controlImage) : undefined,
      init: opts.initImage ? await readPng(opts.initImage) : undefined,
    };
    // Redrawn steps on a terminal only: a log or pipe gets the final line alone.
    const tty = process.stderr.isTTY;
    const result = await generate(models, opts.params, {
      images,
      onProgress: (p) => tty && process.stderr.write(`\rstep ${p.step}/${p.totalSteps}  t=${p.timestep}  ${(p.elapsedMs / 1000).toFixed(2)} s`),
    });
    if (tty) process.stderr.write('\n');
    const { width, height } = result.image;
    const png = new PNG({ width, height });
    png.data = Buffer.from(imageToRgba(result.image).buffer);
    await mkdir(dirname(opts.out), { recursive: true });
    // The same A1111 `parameters` text the studio writes, so the studio (or A1111) reads the settings back.
    const parameters = formatInfotext({
      params: opts.params,
      sampler: result.sampler,
      modelName: folder.name,
      control: images.control && models.controlnet ? { model: `${folder.name}/controlnet` } : undefined,
      init: images.init !== undefined,
    });
    await writeFile(opts.out, writePngText(new Uint8Array(PNG.sync.write(png)), [{ keyword: 'parameters', text: parameters }]));
    if (opts.raw) {
      await mkdir(dirname(opts.raw), { recursive: true });
      await writeFile(opts.raw, JSON.stringify({ shape: [height, width, 3], data: Array.from(result.image.data) }));
    }
    const perStep = result.timings.unetStepMs.reduce((a, b) => a + b, 0) / Math.max(1, result.timings.unetStepMs.length);
    console.log(
      `${opts.out}: ${width}×${height}, ${result.timesteps.length} steps, ${perStep.toFixed(1)} ms/step, ${result.timings.totalMs.toFixed(0)} ms total`,
    );
  } finally {
    await releasePipeline(models);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`generate: ${(err as Error)?.message ?? err}`);
  process.exit(1);
});
