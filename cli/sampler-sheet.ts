/**
 * One prompt and seed through every sampler, side by side in one PNG (left to right in
 * SCHEDULER_NAMES order, 'default' first), for comparing samplers by eye:
 *   npx tsx cli/sampler-sheet.ts [--model models/lantern-shapes] [--prompt "..."] [--seed 1] [--steps 25] [--out samplers.png]
 * A sampler that cannot run the model (e.g. vp-sde on a v-prediction model) is left out and named.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import { generate } from '../lib/diffusion/pipeline';
import { loadPipeline, recommendedSettings } from '../lib/diffusion/load-pipeline';
import { loadModelFolder } from '../lib/models/load-folder';
import { createNodeSessionFactory } from '../lib/onnx/node';
import { DEFAULT_PARAMS, SCHEDULER_LABELS, SCHEDULER_NAMES } from '../lib/diffusion/params';
import { imageToRgba } from '../lib/tensor/image';
import { fsSource } from './fs-source';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/lantern-shapes' },
    prompt: { type: 'string', default: 'a big yellow star on the left on a black background' },
    seed: { type: 'string', default: '1' },
    steps: { type: 'string' },
    out: { type: 'string', default: 'samplers.png' },
  },
});
const models = await loadPipeline(await loadModelFolder(fsSource(values.model!)), createNodeSessionFactory());
const rec = recommendedSettings(models);
const params = {
  ...DEFAULT_PARAMS,
  prompt: values.prompt!,
  negativePrompt: '',
  seed: Number(values.seed),
  steps: Number(values.steps ?? rec.steps ?? 25),
  guidanceScale: rec.guidance ?? DEFAULT_PARAMS.guidanceScale,
  width: rec.width ?? 64,
  height: rec.height ?? 64,
};
const GAP = 2;
const tiles: Array<{ label: string; rgba: Uint8ClampedArray }> = [];
for (const scheduler of SCHEDULER_NAMES) {
  try {
    const r = await generate(models, { ...params, scheduler });
    tiles.push({ label: `${SCHEDULER_LABELS[scheduler]} (${r.sampler})`, rgba: imageToRgba(r.image) });
  } catch (err) {
    console.log(`left out ${scheduler}: ${(err as Error).message}`);
  }
}
const { width, height } = params;
const sheet = new PNG({ width: tiles.length * (width + GAP) - GAP, height });
sheet.data.fill(255);
tiles.forEach((t, k) => {
  for (let y = 0; y < height; y++) {
    const from = y * width * 4;
    sheet.data.set(t.rgba.subarray(from, from + width * 4), (y * sheet.width + k * (width + GAP)) * 4);
  }
});
await writeFile(values.out!, PNG.sync.write(sheet));
console.log(`${values.out}: "${params.prompt}", seed ${params.seed}, ${params.steps} steps, CFG ${params.guidanceScale}, ${width}×${height}; left to right:`);
tiles.forEach((t, k) => console.log(`  ${k + 1}. ${t.label}`));
