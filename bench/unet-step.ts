/**
 * `npm run bench`: per-step time of a model's U-Net loop, on onnxruntime-node (CPU) and in
 * Debian Chromium through the real studio on WebGPU and on wasm. Numbers go to stdout and
 * bench/results.json; nothing here asserts a speed (targets live in this report, not in tests).
 *   npm run bench -- [--model models/fixtures/tiny-sd] [--steps 10] [--size 64] [--no-browser]
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { generate } from '../lib/diffusion/pipeline';
import { loadPipeline } from '../lib/diffusion/load-pipeline';
import { loadModelFolder } from '../lib/models/load-folder';
import { createNodeSessionFactory } from '../lib/onnx/node';
import { fsSource } from '../cli/fs-source';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from './processes';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/fixtures/tiny-sd' },
    steps: { type: 'string', default: '10' },
    size: { type: 'string', default: '64' },
    'no-browser': { type: 'boolean', default: false },
    port: { type: 'string', default: '3200' },
  },
});
const steps = Number(values.steps);
const size = Number(values.size);
const params = {
  prompt: 'a red circle on a blue background',
  negativePrompt: '',
  seed: 1,
  steps,
  guidanceScale: 7.5,
  guidanceRescale: 0,
  scheduler: 'default' as const,
  width: size,
  height: size,
};

function summary(stepMs: number[]) {
  const warm = stepMs.slice(1);
  const sorted = [...warm].sort((a, b) => a - b);
  return { firstStepMs: +stepMs[0].toFixed(1), medianStepMs: +sorted[Math.floor(sorted.length / 2)].toFixed(1), steps: stepMs.length };
}

async function nodeBench() {
  const models = await loadPipeline(await loadModelFolder(fsSource(values.model!)), createNodeSessionFactory());
  await generate(models, { ...params, steps: 2 }); // warm-up
  const r = await generate(models, params);
  return summary(r.timings.unetStepMs);
}

async function browserBench(backend: 'webgpu' | 'wasm') {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_FLAGS] });
  try {
    const page = await browser.newPage();
    const modelUrl = `/${values.model!.replace(/^\/+|\/+$/g, '')}/`;
    await page.goto(`http://127.0.0.1:${values.port}/?backend=${backend}&model=${encodeURIComponent(modelUrl)}`);
    await page.getByTestId('backend-in-use').waitFor({ timeout: 120_000 });
    const used = await page.getByTestId('backend-in-use').textContent();
    await page.getByTestId('prompt').fill(params.prompt);
    await page.getByTestId('steps').fill(String(steps));
    await page.getByTestId('seed-mode').selectOption('fixed');
    const perRun: string[] = [];
    for (let run = 0; run < 2; run++) {
      await page.getByTestId('generate').click();
      await page.getByTestId('message').filter({ hasText: 'done in' }).waitFor({ timeout: 600_000 });
      perRun.push((await page.getByTestId('message').textContent()) ?? '');
      await page.getByTestId('message').evaluate((el) => (el.textContent = ''));
    }
    const msPerStep = perRun.map((m) => Number(m.match(/([\d.]+) ms\/step/)?.[1]));
    return { backend: used, coldRunMsPerStep: msPerStep[0], warmRunMsPerStep: msPerStep[1] };
  } finally {
    await browser.close();
  }
}

async function main() {
  const results: Record<string, unknown> = { model: values.model, steps, size, date: new Date().toISOString() };
  results.node_cpu = await nodeBench();
  console.log('onnxruntime-node CPU', results.node_cpu);
  if (!values['no-browser']) {
    // The static export (out/) on its own server; own process group, so it goes when we are done.
    const server = spawn(process.execPath, ['scripts/serve-static.mjs', '--dir', 'out', '--port', values.port!, '--host', '127.0.0.1'], {
      stdio: 'ignore',
      detached: true,
    });
    try {
      await new Promise((r) => setTimeout(r, 4000));
      for (const backend of ['wasm', 'webgpu'] as const) {
        results[`browser_${backend}`] = await browserBench(backend);
        console.log(`chromium ${backend}`, results[`browser_${backend}`]);
      }
    } finally {
      if (server.pid !== undefined) process.kill(-server.pid, 'SIGTERM');
    }
  }
  await writeFile('bench/results.json', `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
