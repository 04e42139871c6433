/**
 * Bytes across the runtime seam per denoising step, per part, for the host loop and the
 * GPU-resident loop — counted by the seam's meter (lib/onnx/transfer-meter.ts) on
 * onnxruntime-node, which runs the same graphs and the same loop code as WebGPU does:
 *   npx tsx bench/bytes-per-step.ts [--model models/fixtures/tiny-sd-controlnet] [--size 64] [--steps 4] [--scheduler euler-ancestral] [--no-control]
 * Counts only: no timing, so any machine gives the same table.
 */
import { parseArgs } from 'node:util';
import { generate, type GenerateResult } from '../lib/diffusion/pipeline';
import { loadPipeline } from '../lib/diffusion/load-pipeline';
import { loadModelFolder } from '../lib/models/load-folder';
import { createNodeSessionFactory } from '../lib/onnx/node';
import { DEFAULT_PARAMS, type SchedulerName } from '../lib/diffusion/params';
import { fsSource } from '../cli/fs-source';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/fixtures/tiny-sd-controlnet' },
    size: { type: 'string', default: '64' },
    steps: { type: 'string', default: '4' },
    scheduler: { type: 'string', default: 'ddim' },
    'no-control': { type: 'boolean', default: false },
  },
});
const size = Number(values.size);
const models = await loadPipeline(await loadModelFolder(fsSource(values.model!)), createNodeSessionFactory({ intraOpNumThreads: 1 }));
const control = values['no-control'] || !models.controlnet ? undefined : { width: size, height: size, data: new Uint8ClampedArray(size * size * 4).fill(255) };
const params = {
  ...DEFAULT_PARAMS,
  prompt: 'a red circle',
  negativePrompt: 'blurry',
  seed: 1,
  steps: Number(values.steps),
  guidanceScale: 7.5,
  width: size,
  height: size,
  scheduler: values.scheduler as SchedulerName,
};

const runs: Record<'host' | 'device', GenerateResult> = {
  host: await generate(models, params, { loop: 'host', images: { control } }),
  device: await generate(models, params, { loop: 'device', images: { control } }),
};

const kib = (b: number) => (b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${Math.round(b)} B`);
const parts = [...new Set(Object.values(runs).flatMap((r) => Object.keys(r.transfer.bytes)))].sort();
console.log(
  `${values.model} · ${size}×${size} · ${params.steps} steps · ${params.scheduler} · CFG ${params.guidanceScale}${control ? ' · ControlNet sketch' : ''}\n`,
);
console.log('| part (per step) | host up | host down | GPU loop up | GPU loop down |\n| --- | --- | --- | --- | --- |');
const cell = (r: GenerateResult, part: string, d: 'up' | 'down') => kib((r.transfer.bytes[part]?.[d] ?? 0) / r.transfer.steps);
for (const part of parts)
  console.log(
    `| ${part} | ${cell(runs.host, part, 'up')} | ${cell(runs.host, part, 'down')} | ${cell(runs.device, part, 'up')} | ${cell(runs.device, part, 'down')} |`,
  );
const total = (r: GenerateResult, d: 'up' | 'down') => kib(Object.values(r.transfer.bytes).reduce((s, t) => s + t[d], 0) / r.transfer.steps);
console.log(`| **total** | ${total(runs.host, 'up')} | ${total(runs.host, 'down')} | ${total(runs.device, 'up')} | ${total(runs.device, 'down')} |`);
console.log(
  `\nGPU loop: of the uploads, ancestral noise ${kib(runs.device.transfer.noiseBytes / runs.device.transfer.steps)}/step; placed once per generate: ${kib(Object.values(runs.device.transfer.setupBytes).reduce((s, t) => s + t.up, 0))}`,
);
