/**
 * `npm run eval -- --model models/lantern-shapes [--seeds 3] [--steps N] [--out DIR/eval.json]`
 *
 * The quality benchmark of a "shapes" model folder, through Lantern's own engine (lib/ on
 * onnxruntime-node, as `npm run generate`): the fixed prompt set (lib/eval/prompts: 240
 * canonical captions, half of them held-out combinations) × seeds × guidance 1, 3, 5, 7.5,
 * 10, each image analysed and scored per attribute (lib/eval/analyze, score); then, when the
 * folder has a ControlNet, scribbles of the first prompts' scenes at ControlNet off, 0.5
 * and 1.0 → edge F1 between sketch and image. Prints markdown tables, writes JSON (every
 * image's score), the same markdown next to it, and grids of samples (grid.png:
 * prompts × guidance; controlnet-grid.png: sketch, off, 0.5, 1.0).
 *
 * Not part of the test suite: a full run is 3,600 + generations.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import { fsSource } from '../cli/fs-source';
import type { GenerateParams } from '../lib/diffusion/check-inputs';
import { loadPipeline, releasePipeline, type PipelineModels } from '../lib/diffusion/load-pipeline';
import { generate } from '../lib/diffusion/pipeline';
import { SCHEDULER_NAMES, type SchedulerName } from '../lib/diffusion/schedulers';
import { SHAPES_SPEC as spec } from '../lib/eval/default-spec';
import { analyzeImage, type ImageAnalysis } from '../lib/eval/analyze';
import { sketchEdgeF1, type EdgeF1 } from '../lib/eval/edges';
import { buildPromptSet, promptSketch, PROMPT_SET_DEFAULTS, type EvalPrompt } from '../lib/eval/prompts';
import { grayToRgba, renderScene } from '../lib/eval/render';
import { accuracyTable, markdownTable, percent } from '../lib/eval/report';
import { scoreImage, summarize, type AccuracySummary, type ImageScore } from '../lib/eval/score';
import { loadModelFolder } from '../lib/models/load-folder';
import { createNodeSessionFactory } from '../lib/onnx/node';
import { imageToRgba, type FloatImage, type RgbaImage } from '../lib/tensor/image';

const USAGE = `usage: npm run eval -- --model <folder> [--seeds 3] [--steps N] [--out <folder>/eval.json]
       [--limit N] [--guidance 1,3,5,7.5,10] [--scheduler NAME] [--prompt-seed ${PROMPT_SET_DEFAULTS.seed}]
       [--control-prompts 24] [--control-scales 0,0.5,1] [--control-guidance G] [--no-controlnet]
       [--grid-prompts 12] [--threads N]`;

interface Options {
  model: string;
  out: string;
  seeds: number[];
  steps: number;
  guidances: number[];
  scheduler: SchedulerName;
  limit: number;
  promptSeed: number;
  controlPrompts: number;
  controlScales: number[];
  controlGuidance: number;
  controlnet: boolean;
  gridPrompts: number;
  threads?: number;
}

function parseOptions(argv: string[], rec: { steps?: number; guidance?: number; scheduler?: string }): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      out: { type: 'string' },
      seeds: { type: 'string', default: '3' },
      steps: { type: 'string' },
      guidance: { type: 'string', default: '1,3,5,7.5,10' },
      scheduler: { type: 'string' },
      limit: { type: 'string' },
      'prompt-seed': { type: 'string', default: String(PROMPT_SET_DEFAULTS.seed) },
      'control-prompts': { type: 'string', default: '24' },
      'control-scales': { type: 'string', default: '0,0.5,1' },
      'control-guidance': { type: 'string' },
      'no-controlnet': { type: 'boolean', default: false },
      'grid-prompts': { type: 'string', default: '12' },
      threads: { type: 'string' },
    },
    strict: true,
  });
  if (!values.model) throw new Error(`--model is required\n${USAGE}`);
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min} (got "${v}")`);
    return n;
  };
  const list = (name: string, v: string): number[] => {
    const xs = v.split(',').map(Number);
    if (!xs.length || xs.some((x) => !Number.isFinite(x) || x < 0)) throw new Error(`--${name} must be a comma-separated list of numbers ≥ 0 (got "${v}")`);
    return xs;
  };
  const scheduler = (values.scheduler ?? (SCHEDULER_NAMES.includes(rec.scheduler as SchedulerName) ? rec.scheduler : 'default')) as SchedulerName;
  if (!SCHEDULER_NAMES.includes(scheduler)) throw new Error(`--scheduler must be one of ${SCHEDULER_NAMES.join(', ')}`);
  const seeds = int('seeds', values.seeds, 1);
  return {
    model: values.model,
    out: values.out ?? join(values.model, 'eval.json'),
    seeds: Array.from({ length: seeds }, (_, i) => i + 1),
    steps: values.steps !== undefined ? int('steps', values.steps, 1) : (rec.steps ?? 20),
    guidances: list('guidance', values.guidance),
    scheduler,
    limit: values.limit !== undefined ? int('limit', values.limit, 1) : Infinity,
    promptSeed: int('prompt-seed', values['prompt-seed'], 0),
    controlPrompts: int('control-prompts', values['control-prompts'], 0),
    controlScales: list('control-scales', values['control-scales']),
    controlGuidance: values['control-guidance'] !== undefined ? list('control-guidance', values['control-guidance'])[0] : (rec.guidance ?? 5),
    controlnet: !values['no-controlnet'],
    gridPrompts: int('grid-prompts', values['grid-prompts'], 0),
    threads: values.threads !== undefined ? int('threads', values.threads, 1) : undefined,
  };
}

interface ImageRecord {
  prompt: string;
  group: string;
  seed: number;
  guidance: number;
  /** ControlNet section only: the conditioning scale (0 = no sketch). */
  controlScale?: number;
  attributes: ImageScore['attributes'];
  all: boolean;
  background: string;
  detectedCount: number;
  /** The 8 largest detected objects. */
  detected: { colour: string; shape: string; size: string; position: string; area: number }[];
  edges?: Omit<EdgeF1, 'predicted' | 'reference'>;
}

function record(p: EvalPrompt, seed: number, guidance: number, a: ImageAnalysis, s: ImageScore): ImageRecord {
  return {
    prompt: p.id,
    group: p.group,
    seed,
    guidance,
    attributes: s.attributes,
    all: s.all,
    background: a.background,
    detectedCount: a.objects.length,
    detected: a.objects.slice(0, 8).map((o) => ({ colour: o.colour, shape: o.shape, size: o.size, position: o.position, area: Math.round(o.area) })),
  };
}

function toRgba(img: FloatImage): RgbaImage {
  return { width: img.width, height: img.height, data: imageToRgba(img) };
}

/** Tiles (null = empty) in a grid, each scaled up `scale`× (nearest), `gap` px of grey between. */
async function writeGrid(path: string, rows: (RgbaImage | null)[][], scale = 2, gap = 2): Promise<void> {
  const T = 64 * scale;
  const cols = Math.max(...rows.map((r) => r.length));
  const W = cols * (T + gap) + gap;
  const H = rows.length * (T + gap) + gap;
  const png = new PNG({ width: W, height: H });
  png.data.fill(200);
  rows.forEach((row, r) =>
    row.forEach((img, c) => {
      if (!img) return;
      for (let y = 0; y < T; y++) {
        for (let x = 0; x < T; x++) {
          const sx = Math.floor((x * img.width) / T);
          const sy = Math.floor((y * img.height) / T);
          const src = (sy * img.width + sx) * 4;
          const dst = ((gap + r * (T + gap) + y) * W + gap + c * (T + gap) + x) * 4;
          png.data[dst] = img.data[src];
          png.data[dst + 1] = img.data[src + 1];
          png.data[dst + 2] = img.data[src + 2];
          png.data[dst + 3] = 255;
        }
      }
    }),
  );
  await writeFile(path, PNG.sync.write(png));
}

class Progress {
  private readonly t0 = performance.now();
  private done = 0;
  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}
  tick(what: string): void {
    this.done++;
    const s = (performance.now() - this.t0) / 1000;
    const eta = (s / this.done) * (this.total - this.done);
    process.stderr.write(`\r[${this.label}] ${this.done}/${this.total}  ${what}  ${(s / this.done).toFixed(2)} s/image, ETA ${(eta / 60).toFixed(1)} min   `);
    if (this.done === this.total) process.stderr.write('\n');
  }
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const modelArg = parseArgs({ args: argv, options: { model: { type: 'string' } }, strict: false }).values.model;
  if (typeof modelArg !== 'string') throw new Error(`--model is required\n${USAGE}`);
  const folder = await loadModelFolder(fsSource(modelArg));
  const rec = folder.lantern?.recommended ?? {};
  const o = parseOptions(argv, rec);
  const size = rec.width ?? spec.imageSize;
  const prompts = buildPromptSet(spec, { seed: o.promptSeed }).slice(0, o.limit);
  const outDir = dirname(resolve(o.out));
  await mkdir(outDir, { recursive: true });

  const models: PipelineModels = await loadPipeline(folder, createNodeSessionFactory(o.threads ? { intraOpNumThreads: o.threads } : {}));
  for (const w of models.warnings) console.warn(`warning: ${w}`);
  const base = (prompt: string, seed: number, guidance: number): GenerateParams => ({
    prompt,
    negativePrompt: '',
    seed,
    steps: o.steps,
    guidanceScale: guidance,
    guidanceRescale: 0,
    scheduler: o.scheduler,
    width: size,
    height: size,
  });

  const records: ImageRecord[] = [];
  const controlRecords: ImageRecord[] = [];
  const grid: (RgbaImage | null)[][] = prompts.slice(0, o.gridPrompts).map((p) => [renderScene(p.scene, spec, size)]);
  const controlGrid: (RgbaImage | null)[][] = [];
  let controlReference: { f1: number; precision: number; recall: number } | null = null;
  const t0 = performance.now();
  try {
    // 1. Attributes: prompts × seeds × guidance.
    const progress = new Progress('attributes', prompts.length * o.seeds.length * o.guidances.length);
    for (const [gi, g] of o.guidances.entries()) {
      for (const [pi, p] of prompts.entries()) {
        for (const seed of o.seeds) {
          const r = await generate(models, base(p.caption, seed, g));
          const a = analyzeImage(r.image, spec);
          records.push(record(p, seed, g, a, scoreImage(a, p.expected)));
          if (pi < o.gridPrompts && seed === o.seeds[0]) grid[pi][gi + 1] = toRgba(r.image);
          progress.tick(`g=${g} ${p.id} seed ${seed}`);
        }
      }
    }

    // 2. ControlNet: scribbles of the first prompts' scenes, off / 0.5 / 1.0 → edge F1.
    const controlSet = prompts.slice(0, o.controlPrompts);
    if (o.controlnet && models.controlnet && controlSet.length) {
      const progress2 = new Progress('controlnet', controlSet.length * o.seeds.length * o.controlScales.length);
      const refs: EdgeF1[] = [];
      for (const [pi, p] of controlSet.entries()) {
        for (const seed of o.seeds) {
          const sketch = promptSketch(p, 1000 * pi + seed, size);
          refs.push(sketchEdgeF1(renderScene(p.scene, spec, size), sketch));
          const row: (RgbaImage | null)[] = [grayToRgba(sketch, size, size)];
          for (const scale of o.controlScales) {
            const params = { ...base(p.caption, seed, o.controlGuidance), ...(scale > 0 ? { controlScale: scale } : {}) };
            const r = await generate(models, params, scale > 0 ? { images: { control: grayToRgba(sketch, size, size) } } : {});
            const a = analyzeImage(r.image, spec);
            const e = sketchEdgeF1(r.image, sketch);
            controlRecords.push({
              ...record(p, seed, o.controlGuidance, a, scoreImage(a, p.expected)),
              controlScale: scale,
              edges: { precision: e.precision, recall: e.recall, f1: e.f1 },
            });
            row.push(toRgba(r.image));
            progress2.tick(`scale ${scale} ${p.id} seed ${seed}`);
          }
          if (seed === o.seeds[0] && controlGrid.length < o.gridPrompts) controlGrid.push(row);
        }
      }
      const m = (k: 'f1' | 'precision' | 'recall') => refs.reduce((s, x) => s + x[k], 0) / refs.length;
      controlReference = { f1: m('f1'), precision: m('precision'), recall: m('recall') };
    } else if (o.controlnet && controlSet.length) {
      console.warn('note: this folder has no ControlNet; skipping the sketch section');
    }
  } finally {
    await releasePipeline(models);
  }

  // 3. Tables.
  const sum = (rs: ImageRecord[]): AccuracySummary =>
    summarize(rs.map((r) => ({ attributes: r.attributes, all: r.all, matches: [], detectedCount: r.detectedCount })));
  const byGuidance = o.guidances.map((g) => {
    const rs = records.filter((r) => r.guidance === g);
    const groups = [...new Set(prompts.map((p) => p.group))];
    return {
      guidance: g,
      all: sum(rs),
      train: sum(rs.filter((r) => r.group === 'train')),
      heldout: sum(rs.filter((r) => r.group !== 'train')),
      groups: Object.fromEntries(groups.map((k) => [k, sum(rs.filter((r) => r.group === k))])),
    };
  });
  const controlnet = o.controlScales
    .map((scale) => {
      const rs = controlRecords.filter((r) => r.controlScale === scale);
      if (!rs.length) return null;
      const mean = (k: 'f1' | 'precision' | 'recall') => rs.reduce((s, r) => s + r.edges![k], 0) / rs.length;
      return { scale, images: rs.length, f1: mean('f1'), precision: mean('precision'), recall: mean('recall'), attributes: sum(rs) };
    })
    .filter((x) => x !== null);

  const name = folder.name || basename(modelArg);
  const groups = [...new Set(prompts.map((p) => p.group))];
  const md: string[] = [
    `## ${name}: attribute accuracy`,
    '',
    `${prompts.length} prompts (${prompts.filter((p) => p.group !== 'train').length} held-out) × ${o.seeds.length} seeds, ${o.steps} steps, scheduler ${o.scheduler}, ${size}×${size}. ` +
      'Shares of images (object attributes: of objects) the analyser finds right; "all" = every attribute the caption asks.',
    '',
    '### All prompts',
    '',
    accuracyTable(byGuidance.map((b) => ({ label: String(b.guidance), summary: b.all }))),
    '',
    '### Training combinations',
    '',
    accuracyTable(byGuidance.map((b) => ({ label: String(b.guidance), summary: b.train }))),
    '',
    '### Held-out combinations',
    '',
    accuracyTable(byGuidance.map((b) => ({ label: String(b.guidance), summary: b.heldout }))),
    '',
    '### By combination: all-correct rate',
    '',
    markdownTable([['group', ...o.guidances.map((g) => `g=${g}`)], ...groups.map((k) => [k, ...byGuidance.map((b) => percent(b.groups[k].all.mean))])]),
    '',
    `grid.png: rows ${prompts
      .slice(0, o.gridPrompts)
      .map((p) => p.id)
      .join(', ')} (captions in ${basename(o.out)}); columns: the scene rendered, then guidance ${o.guidances.join(', ')}; seed ${o.seeds[0]}.`,
  ];
  if (controlnet.length) {
    md.push(
      '',
      `### ControlNet: edge F1 between the sketch and the image (guidance ${o.controlGuidance}, tolerance 2 px)`,
      '',
      `${prompts.slice(0, o.controlPrompts).length} prompts × ${o.seeds.length} seeds, a scribble of each scene (lib/eval/render scribbleSketch). Scale 0 = no sketch given.`,
      '',
      markdownTable([
        ['control scale', 'images', 'precision', 'recall', 'F1', 'all attributes'],
        ...(controlReference
          ? [['reference render', '–', percent(controlReference.precision), percent(controlReference.recall), percent(controlReference.f1), '–']]
          : []),
        ...controlnet.map((c) => [
          c.scale === 0 ? '0 (off)' : String(c.scale),
          String(c.images),
          percent(c.precision),
          percent(c.recall),
          percent(c.f1),
          percent(c.attributes.all.mean),
        ]),
      ]),
      '',
      `controlnet-grid.png: rows ${controlGrid.length} prompts from ${prompts[0]?.id ?? ''} on; columns: the sketch, then scale ${o.controlScales.join(', ')}; seed ${o.seeds[0]}.`,
    );
  }
  const markdown = md.join('\n') + '\n';
  console.log(`\n${markdown}`);

  const report = {
    model: resolve(modelArg),
    name,
    createdAt: new Date().toISOString(),
    seconds: Math.round((performance.now() - t0) / 1000),
    settings: {
      seeds: o.seeds,
      steps: o.steps,
      scheduler: o.scheduler,
      guidances: o.guidances,
      size,
      promptSeed: o.promptSeed,
      prompts: prompts.length,
      controlGuidance: o.controlGuidance,
      controlScales: o.controlScales,
    },
    byGuidance,
    controlnet: controlnet.length ? { reference: controlReference, scales: controlnet } : null,
    prompts: prompts.map((p) => ({ id: p.id, group: p.group, caption: p.caption })),
    images: records,
    controlImages: controlRecords,
  };
  await writeFile(o.out, JSON.stringify(report, null, 1) + '\n');
  const mdPath = o.out.replace(/\.json$/, '') + '.md';
  await writeFile(mdPath, markdown);
  await writeGrid(join(outDir, 'grid.png'), grid);
  if (controlGrid.length) await writeGrid(join(outDir, 'controlnet-grid.png'), controlGrid);
  console.log(`wrote ${o.out}, ${mdPath}, ${join(outDir, 'grid.png')}${controlGrid.length ? `, ${join(outDir, 'controlnet-grid.png')}` : ''}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`eval: ${(err as Error)?.message ?? err}`);
  process.exit(1);
});
