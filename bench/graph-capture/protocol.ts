/** What bench/graph-capture.ts sends its page (bench/graph-capture/page.ts) and what comes back. */

/** One U-Net graph to measure. */
export interface ModelPlan {
  label: string;
  /** Where the page fetches the .onnx from (same origin). */
  url: string;
  /** A value for every symbolic dimension of the graph's inputs and outputs (the static shapes). */
  dims: Record<string, number>;
  /** Timed rounds at most; each runs every variant once (order rotated per round). */
  rounds: number;
  /** The sessions to compare ('plain' first: the reference). */
  variants: VariantName[];
  /** Stop the rounds after this long (at least 3 rounds), so a slow graph on SwiftShader fits the run. */
  budgetMs: number;
}

/**
 * plain: dynamic shapes, GPU-buffer feeds and a pre-allocated GPU-buffer fetch, no capture (the studio's device loop);
 * static: the same with freeDimensionOverrides (static shapes alone);
 * capture: static shapes + enableGraphCapture, GPU-buffer feeds, no fetches: ORT allocates out_sample once and
 *   every replay writes that same buffer (the session returns it);
 * captureFetches: the same, with a pre-allocated out_sample buffer passed as fetches;
 * stringEp: as captureFetches, but asked for with `executionProviders: ['webgpu']` (the string form).
 */
export type VariantName = 'plain' | 'static' | 'capture' | 'captureFetches' | 'stringEp';
export const VARIANTS: readonly VariantName[] = ['plain', 'static', 'capture', 'captureFetches', 'stringEp'];

/** WebGPU API calls made during one session.run (counted on the prototypes). */
export interface GpuCounts {
  bindGroups: number;
  buffers: number;
  writes: number;
  dispatches: number;
  passes: number;
  submits: number;
  maps: number;
}

export interface RunSample {
  /** session.run() until it resolved (the CPU side: kernels, or the replay, encoded and submitted). */
  runMs: number;
  /** session.run() until the queue finished the work it submitted. */
  doneMs: number;
  gpu: GpuCounts;
  /** Which GPUBuffer the run returned as out_sample: 'fetch' (ours), 'ORT buffer (same|new|changed)', 'input <name>', 'another buffer'. */
  output: string;
}

export interface VariantResult {
  name: VariantName;
  options: Record<string, unknown>;
  createMs: number | null;
  /** Why session creation or a run failed (ORT's own text); null when it worked. */
  error: string | null;
  /** The session's first run (for capture: the capturing run) and its second (the first replay). */
  first: RunSample | null;
  second: RunSample | null;
  /** The timed runs (each after writing a new sample and timestep into the bound buffers). */
  runs: RunSample[];
}

/** One numerical check: every session fed the same values, written into its own bound buffers. */
export interface CheckRow {
  name: string;
  /** max |out_sample| of the plain session (the scale of the differences). */
  plainMaxAbs: number;
  /** max |out − plain out| per variant; null where the variant has no session. */
  vsPlain: Partial<Record<VariantName, number>>;
  /** max |out − the same session's previous check| : a replay that ignored new inputs would show 0 here. */
  vsPrevious: Partial<Record<VariantName, number>>;
}

export interface ModelResult {
  label: string;
  inputs: Array<{ name: string; type: string; shape: Array<number | string>; dims: number[] }>;
  /** The session opened first (plain options): runtime, device and shared pipelines, paid once. */
  warmup?: { createMs: number; firstRun: RunSample };
  /** Timed rounds actually run. */
  rounds?: number;
  /** ORT's verbose node placement for the static-shape graph, without and with capture (which nodes run on the CPU EP). */
  placement?: Record<string, string[]>;
  variants: VariantResult[];
  checks: CheckRow[];
  adapter: string;
  error?: string;
}
