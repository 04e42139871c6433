/** bench/results.json from the rounds of `npm run bench`, and the table it prints. Pure. */
import { formatBytes, formatMs, formatPct, median, type BenchReport, type ConfigSummary } from '../components/bench/report';

export interface RoundTimes {
  nodeMs: number[];
  bareMs: number[];
  /** The bare page on the other thread count (threads.bareAltWasm; empty without one). */
  bareAltMs: number[];
}

export interface SummaryInput {
  date: string;
  model: string;
  graph: string;
  feeds: Array<{ name: string; type: string; dims: number[] }>;
  size: { width: number; height: number };
  steps: number;
  webgpuSteps: number;
  rounds: number;
  runsPerRound: number;
  studioRepeats: number;
  machine: { cores: number; loadavgBefore: number[]; loadavgAfter: number[]; seconds: number };
  chromiumVersion: string;
  threads: { wasm: number; bareWasm: number; bareAltWasm: number | null; nodeIntraOp: number };
  bareBuild: string;
  times: RoundTimes[];
  reports: { wasm: BenchReport[]; webgpu: BenchReport[] };
}

const round = (x: number | null, digits = 2) => (x === null || !Number.isFinite(x) ? null : +x.toFixed(digits));
const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? round(a / b, 3) : null);

/** The configuration whose U-Net runs batch 2 (CFG) where the family has it: what node and the bare page ran. */
const mainConfig = (r: BenchReport): ConfigSummary | undefined => r.configs.cfg ?? r.configs['no-cfg'];

/** One backend's studio figures: medians over the rounds of each page report's medians. */
function studioFigures(reports: readonly BenchReport[], graph: string) {
  if (reports.length === 0) return null;
  const over = (pick: (r: BenchReport) => number | null | undefined) => round(median(reports.map(pick).filter((v): v is number => typeof v === 'number')));
  const row = (r: BenchReport, id: string) => r.rows.find((x) => x.id === id)?.warm?.median;
  const first = reports[0];
  const main = mainConfig(first);
  const parts = Object.fromEntries(Object.entries(main?.perStep ?? {}).map(([label, t]) => [label, { up: t.up, down: t.down, total: t.up + t.down }]));
  return {
    backend: first.environment.backend,
    // The browser's WebGPU adapter, whichever backend ran (wasm does not use it).
    webgpu_adapter: first.environment.adapter,
    webgpu_adapter_software: first.environment.adapterSoftware,
    loop: main?.loop ?? null,
    steps: first.model.steps,
    unet_step_ms: over((r) => mainConfig(r)?.stepMs?.median),
    // The U-Net's own session.run inside the step (lib/onnx/wrap-session.ts: feeds converted to outputs read): next to the bare page's.
    unet_run_ms: over((r) => {
      const t = mainConfig(r)?.perStep[graph];
      return t && t.runs > 0 ? t.runMs / t.runs : null;
    }),
    unet_step_cfg_ms: over((r) => row(r, 'unet-step-cfg')),
    unet_step_guidance1_ms: over((r) => row(r, 'unet-step')),
    controlnet_step_ms: over((r) => row(r, 'controlnet')),
    text_encoder_ms: over((r) => row(r, 'text-encoder')),
    vae_decode_ms: over((r) => row(r, 'vae-decode')),
    other_ms: over((r) => row(r, 'other')),
    image_ms: over((r) => row(r, 'image')),
    pipeline_overhead_pct: over((r) => mainConfig(r)?.overheadPct),
    // The page's first click is the page's first generate on a freshly loaded model.
    first_generate_over_warm: round(first.firstGenerateOverWarm, 3),
    first_run_cold: first.firstRunCold,
    bytes_per_step: { up: main?.bytesPerStep.up ?? null, down: main?.bytesPerStep.down ?? null, total: main?.bytesPerStep.total ?? null, parts },
  };
}

export function summarize(input: SummaryInput) {
  const node = round(median(input.times.flatMap((t) => t.nodeMs)));
  const bare = round(median(input.times.flatMap((t) => t.bareMs)));
  const bareAlt = round(median(input.times.flatMap((t) => t.bareAltMs)));
  const byThreads: Record<string, number | null> = { [input.threads.bareWasm]: bare };
  if (input.threads.bareAltWasm !== null) byThreads[input.threads.bareAltWasm] = bareAlt;
  const wasm = studioFigures(input.reports.wasm, input.graph);
  const webgpu = studioFigures(input.reports.webgpu, input.graph);
  const studio = wasm?.unet_step_ms ?? null;
  const perBackend = <T>(pick: (f: NonNullable<typeof wasm>) => T) => ({
    ...(wasm && { wasm: pick(wasm) }),
    ...(webgpu && { webgpu: pick(webgpu) }),
  });
  return {
    date: input.date,
    model: input.model,
    graph: input.graph,
    feeds: input.feeds.map((f) => `${f.name} ${f.type}[${f.dims.join(',')}]`),
    size: input.size,
    steps: input.steps,
    batch: input.feeds.find((f) => f.name === 'sample')?.dims[0] ?? null,
    node_unet_ms: node,
    web_bare_unet_ms: bare,
    web_bare_unet_ms_by_threads: byThreads,
    studio_unet_ms: studio,
    studio_over_bare: ratio(studio, bare),
    web_over_node: ratio(bare, node),
    pipeline_overhead_pct: perBackend((f) => f.pipeline_overhead_pct),
    first_generate_over_warm: perBackend((f) => f.first_generate_over_warm),
    bytes_per_step: perBackend((f) => f.bytes_per_step),
    studio: {
      ...(wasm && { wasm }),
      ...(webgpu && {
        webgpu: {
          ...webgpu,
          note: `CFG runs only, ${input.webgpuSteps} steps, 1 warm repeat: headless Chromium's WebGPU is SwiftShader, a software adapter on the CPU, not a GPU`,
        },
      }),
    },
    machine: {
      cores: input.machine.cores,
      loadavg_before: input.machine.loadavgBefore,
      loadavg_after: input.machine.loadavgAfter,
      seconds: round(input.machine.seconds, 0),
    },
    chromium_version: input.chromiumVersion,
    // wasm: what the studio asks onnxruntime-web for (lib/onnx/web.ts wasmThreads); the worker does not report what it got.
    threads: {
      wasm_asked: input.threads.wasm,
      bare_wasm: input.threads.bareWasm,
      bare_other: input.threads.bareAltWasm,
      node_intra_op: input.threads.nodeIntraOp,
    },
    bare_build: input.bareBuild,
    method: {
      rounds: input.rounds,
      runs_per_round: input.runsPerRound,
      studio_warm_repeats_per_round: input.studioRepeats,
      order:
        'each round: node, bare, bare on the other thread count, studio wasm (WebGPU once, mid-way); medians over every run (node, bare) or over the rounds of the page medians (studio)',
    },
    rounds: input.times.map((t, i) => ({
      node_ms: round(median(t.nodeMs)),
      bare_ms: round(median(t.bareMs)),
      bare_other_threads_ms: round(median(t.bareAltMs)),
      studio_wasm_ms: round(mainConfig(input.reports.wasm[i])?.stepMs?.median ?? null),
    })),
  };
}

export type Results = ReturnType<typeof summarize>;

/** The stdout table: who ran the graph how fast, then the studio's parts, bytes and overhead. */
export function table(r: Results): string {
  const pad = (s: string, n: number) => s.padEnd(n);
  const lines = [
    `Lantern bench — ${r.model} ${r.size.width}×${r.size.height}, U-Net ${r.graph} batch ${r.batch ?? '?'} · ${r.threads.wasm_asked} wasm thread${r.threads.wasm_asked === 1 ? '' : 's'} asked (bare ${r.threads.bare_wasm}, node ${r.threads.node_intra_op}) · Chromium ${r.chromium_version}`,
    `load ${r.machine.loadavg_before.join(' ')} → ${r.machine.loadavg_after.join(' ')} on ${r.machine.cores} cores · ${r.machine.seconds} s`,
    '',
    `${pad('U-Net step, median', 44)}ms`,
    `${pad('onnxruntime-node (CPU)', 44)}${formatMs(r.node_unet_ms)}`,
    `${pad(`bare onnxruntime-web page (wasm, ${r.threads.bare_wasm} thread${r.threads.bare_wasm === 1 ? '' : 's'})`, 44)}${formatMs(r.web_bare_unet_ms)}   web/node ${r.web_over_node ?? '—'}×`,
    ...Object.entries(r.web_bare_unet_ms_by_threads)
      .filter(([t]) => Number(t) !== r.threads.bare_wasm)
      .map(([t, ms]) => `${pad(`bare onnxruntime-web page (wasm, ${t} thread${t === '1' ? '' : 's'})`, 44)}${formatMs(ms)}`),
    `${pad('studio /bench, wasm (whole step)', 44)}${formatMs(r.studio_unet_ms)}   studio/bare ${r.studio_over_bare ?? '—'}×`,
    `${pad('  of which the U-Net session.run', 44)}${formatMs(r.studio.wasm?.unet_run_ms)}`,
  ];
  const gpu = r.studio.webgpu;
  if (gpu)
    lines.push(
      `${pad(`studio /bench, WebGPU on ${gpu.webgpu_adapter ?? '?'}${gpu.webgpu_adapter_software ? ' (SOFTWARE)' : ''}`, 44)}${formatMs(gpu.unet_step_ms)}`,
    );
  for (const [name, f] of Object.entries(r.studio)) {
    if (!f) continue;
    lines.push(
      '',
      `studio ${name}${name === 'webgpu' ? ' (software adapter)' : ''}, ${f.steps} steps, ${f.loop ?? 'host'} loop:`,
      `  text encoder ${formatMs(f.text_encoder_ms)} · step CFG ${formatMs(f.unet_step_cfg_ms)} · step g=1 ${formatMs(f.unet_step_guidance1_ms)} · ControlNet ${formatMs(f.controlnet_step_ms)} · VAE ${formatMs(f.vae_decode_ms)} · rest ${formatMs(f.other_ms)} · image ${formatMs(f.image_ms)} ms`,
      `  pipeline overhead ${formatPct(f.pipeline_overhead_pct)} of a step · first generate ${f.first_generate_over_warm ?? '—'}× warm${f.first_run_cold ? '' : ' (not cold)'}`,
      `  bytes per step ${formatBytes(f.bytes_per_step.total)}: ${Object.entries(f.bytes_per_step.parts)
        .map(([label, t]) => `${label} ${formatBytes(t.up)} up, ${formatBytes(t.down)} down`)
        .join('; ')}`,
    );
  }
  return lines.join('\n');
}
