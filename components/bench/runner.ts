'use client';
/**
 * Runs the benchmark through the studio itself: the model the studio opened, its controller and
 * its worker (components/engine.ts), one generate after another. The controller keeps what the
 * studio shows; the worker's whole `result` event (timings, transfer bytes) is read beside it
 * (lib/worker/client.ts observeEvents).
 */
import { observeEvents } from '@/lib/worker/client';
import type { ModelInfo, WorkerEvent } from '@/lib/worker/protocol';
import { useBench } from '@/stores/bench';
import { useRun } from '@/stores/run';
import { useSettings } from '@/stores/settings';
import { cancelGenerate, startGenerate } from '../engine';
import type { RunRequest } from '../studio-controller';
import { benchControlImage } from './control-image';
import { benchPlan, cfgGuidance, clampSteps, configsFor } from './plan';
import { browserName, buildReport, type BenchEnvironment, type ConfigId, type RunSample } from './report';
import { wasmThreads } from '@/lib/onnx/web';

type ResultEvent = Extract<WorkerEvent, { type: 'result' }>;

/** What the runner uses of the studio (the engine's functions; fakes in tests). */
export interface StudioSeam {
  generate(req: RunRequest): void;
  cancel(): void;
  observe(listener: (e: WorkerEvent) => void): () => void;
}

const studio: StudioSeam = { generate: (req) => startGenerate(req), cancel: cancelGenerate, observe: observeEvents };

class Stopped extends Error {}

/** Model loads (ModelInfo objects) that have run a generate: the next run on them is not cold. */
const warmed = new WeakSet<ModelInfo>();
let stopAsked = false;

/** The studio's run controller sends one generate at a time: the next final event of a generate is this one's. */
function runOnce(seam: StudioSeam, req: RunRequest): Promise<ResultEvent> {
  return new Promise((resolve, reject) => {
    const off = seam.observe((e) => {
      if (e.type !== 'result' && e.type !== 'cancelled' && e.type !== 'error') return;
      off();
      if (e.type === 'result') resolve(e);
      else if (e.type === 'cancelled') reject(new Stopped('stopped'));
      else reject(new Error(`${e.code}: ${e.message}`));
    });
    seam.generate(req);
  });
}

/** A model that already made a picture (here, or in the studio before coming here) runs warm. */
function isCold(model: ModelInfo): boolean {
  const last = useRun.getState().result;
  return !warmed.has(model) && !(last && last.modelSource === model.sourceLabel && last.backend === model.backend);
}

function environment(model: ModelInfo): BenchEnvironment {
  const device = useBench.getState().device ?? {
    userAgent: navigator.userAgent,
    browser: browserName(navigator.userAgent),
    adapter: null,
    adapterSoftware: false,
    wasmThreads: wasmThreads({ isolated: globalThis.crossOriginIsolated === true, cores: navigator.hardwareConcurrency ?? 1 }),
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    cores: navigator.hardwareConcurrency ?? null,
  };
  return { ...device, backend: model.backend, backendReason: model.backendReason };
}

/** Runs the plan on the model in use; the store gets each finished run and, at the end (or when stopped), the report. */
export async function runBench(seam: StudioSeam = studio): Promise<void> {
  const model = useRun.getState().model;
  const bench = useBench.getState();
  if (!model || bench.phase === 'running' || useRun.getState().phase !== 'ready') return;
  const s = useSettings.getState();
  const steps = clampSteps(bench.options.steps, model.stepLimits[s.scheduler]);
  const size = model.fixedSize ?? { width: s.width, height: s.height };
  const cfg = cfgGuidance(s.guidanceScale);
  const guidance: Record<ConfigId, number> = { cfg, 'no-cfg': 1, controlnet: model.classifierFreeGuidance ? cfg : 1 };
  const base = {
    prompt: s.prompt.trim() || model.examplePrompts[0] || 'a lighthouse at dusk',
    negativePrompt: s.negativePrompt,
    seed: 1,
    steps,
    guidanceRescale: 0,
    scheduler: s.scheduler,
    ...size,
  };
  const request = (config: ConfigId): RunRequest => ({
    // Previews off: the bench times the pipeline, not the preview decode.
    previews: false,
    params: { ...base, guidanceScale: guidance[config], ...(config === 'controlnet' && { controlScale: 1, controlStart: 0, controlEnd: 1 }) },
    ...(config === 'controlnet' && { images: { control: benchControlImage(size.width, size.height) } }),
  });

  const plan = benchPlan(configsFor(model, bench.options.configs), bench.options.repeats);
  if (plan.length === 0) return bench.patch({ phase: 'error', error: `none of ?configs=${bench.options.configs?.join(',')} applies to ${model.name}` });
  const firstRunCold = isCold(model);
  const samples: RunSample[] = [];
  let sampler = s.scheduler as string;
  stopAsked = false;
  bench.patch({ phase: 'running', samples: [], report: null, error: null });
  const reportSoFar = () =>
    samples.length
      ? buildReport({
          date: new Date().toISOString(),
          environment: environment(model),
          model: {
            name: model.name,
            source: model.sourceLabel,
            family: model.family.label,
            ...size,
            steps,
            sampler,
            hasControlNet: model.hasControlNet,
            classifierFreeGuidance: model.classifierFreeGuidance,
            loadMs: model.loadMs,
            warmupMs: model.warmupMs,
          },
          repeats: bench.options.repeats,
          firstRunCold,
          guidance,
          samples,
        })
      : null;
  const finish = (phase: 'done' | 'stopped' | 'error', error: string | null = null) =>
    useBench.getState().patch({ phase, error, progress: null, report: reportSoFar() });
  try {
    for (const [i, run] of plan.entries()) {
      if (stopAsked) throw new Stopped('stopped');
      // The controller ignores a generate while it is busy: never wait for one it did not take.
      if (useRun.getState().phase !== 'ready') throw new Error(`the studio is ${useRun.getState().phase}, not ready for the next run`);
      useBench.getState().patch({ progress: { index: i + 1, total: plan.length, config: run.config, cold: run.cold } });
      const e = await runOnce(seam, request(run.config));
      warmed.add(model);
      sampler = e.sampler;
      samples.push({ config: run.config, cold: run.cold, timings: e.timings, transfer: e.transfer, backend: e.backend });
      // The tables fill in as runs finish.
      useBench.getState().patch({ samples: [...samples], report: reportSoFar() });
    }
    finish('done');
  } catch (err) {
    if (err instanceof Stopped) finish('stopped');
    else finish('error', err instanceof Error ? err.message : String(err));
  }
}

/** Stops after the run in flight is cancelled; what finished stays in the report. */
export function stopBench(seam: StudioSeam = studio): void {
  if (useBench.getState().phase !== 'running') return;
  stopAsked = true;
  seam.cancel();
}
