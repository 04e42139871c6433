/**
 * The denoising loop with every tensor left on the device (WebGPU's GPU buffers): the text
 * embeddings, control image, zero residuals and latents are placed once, ControlNet residuals
 * go straight into the U-Net, and CFG + rescale + the scheduler step run as one helper graph
 * (graphs.ts) driven by the scheduler's LinearStep coefficients. Per step only scalars cross
 * the seam (timestep, coefficients) plus, for ancestral samplers, the seeded noise; latents
 * come back only for previews and once at the end.
 */
import { CancelledError, ModelFolderError } from '../../errors';
import type { TorchGenerator } from '../../random/torch-generator';
import { hasInput, inputInfo, type DeviceTensor, type ElementType, type Feed, type ModelSession } from '../../onnx/types';
import { numel, tensor, type Tensor } from '../../tensor/tensor';
import { mapResiduals, repeatBatch, residualsByUnetName, type ResidualMap } from '../controlnet';
import { scalarFeed } from '../feeds';
import type { PipelineModels } from '../load-pipeline';
import type { GenerateParams } from '../params';
import type { LinearStep, Scheduler } from '../schedulers/types';
import type { StepProgress } from '../pipeline';
import { progressAfter } from '../progress';
import { yieldToEventLoop } from '../yield';
import { stepCoefficients } from './coefficients';
import { concatGraph, placeGraph, previewRgbaGraph, scaleEachGraph, scaleInputGraph, stepGraph, STEP_OUTPUTS } from './graphs';
import type { HelperSessions } from './helpers';

/** What either denoising loop (host: pipeline.ts, device: here) takes from the pipeline's steps 1–5. */
export interface LoopBase {
  models: PipelineModels;
  params: GenerateParams;
  doCfg: boolean;
  scheduler: Scheduler;
  timesteps: readonly number[];
  generator: TorchGenerator;
  /** The initial latents (seeded noise × σ, or the noised init image). */
  latents: Tensor;
  now: () => number;
  t0: number;
}

export interface DeviceLoopInput extends LoopBase {
  /** controlnet_cond [1,3,H,W] in [0,1], or null without a sketch. */
  control: Tensor | null;
  /** Per step: the ControlNet scale (scale × keep); ignored without control. */
  controlScales: readonly number[];
  /** U-Net feeds that stay the same every step (timestep_cond, zero residuals), as host tensors. */
  constantFeeds: Record<string, Feed>;
  /** Zero residuals whose shapes only a ControlNet pass reveals (one pass at scale 0, reused). */
  needZeros: boolean;
  signal?: AbortSignal;
  onProgress?: (p: StepProgress) => void;
  onPreview?: (latents: Tensor, step: number) => void;
  onPreviewRgba?: (preview: { width: number; height: number; rgba: Uint8ClampedArray }, step: number) => void;
  previewEvery: number;
  /** Called once everything is placed, before the first step, and after the last: the per-step byte window. */
  stepsBegin(): void;
  stepsEnd(): void;
}

export interface DeviceLoopOutput {
  /** Final latents, on the device (for the VAE) and on the host (the result). */
  latents: DeviceTensor;
  hostLatents: Tensor;
  unetStepMs: number[];
  controlnetStepMs: number[];
  /** Bytes of ancestral noise uploaded (the one per-step upload that scales with the image). */
  noiseBytes: number;
}

/** Tensors made during one step or held across steps, disposed exactly once. */
export class Owned {
  private readonly held = new Set<DeviceTensor>();
  keep<T extends DeviceTensor>(t: T): T {
    this.held.add(t);
    return t;
  }
  drop(t: DeviceTensor | null | undefined): void {
    if (t && this.held.delete(t)) t.dispose();
  }
  dropAll(): void {
    for (const t of this.held) t.dispose();
    this.held.clear();
  }
}

function typeOf(session: ModelSession, input: string): ElementType {
  const type = inputInfo(session, input).type;
  if (type !== 'float32' && type !== 'float16') {
    throw new ModelFolderError(
      'unsupported-model',
      session.label,
      `${session.label}: input "${input}" is ${type ?? 'unsupported'}; the GPU loop feeds float32 or float16`,
    );
  }
  return type;
}

function firstOutput(out: Record<string, DeviceTensor>, preferred: string, label: string, owned: Owned): DeviceTensor {
  const t = out[preferred] ?? Object.values(out)[0];
  if (!t) throw new ModelFolderError('unsupported-model', label, `${label}: produced no ${preferred}`);
  for (const other of Object.values(out)) if (other !== t) other.dispose();
  return owned.keep(t);
}

async function runOnDevice(session: ModelSession, feeds: Record<string, Feed>, outputNames?: readonly string[]): Promise<Record<string, DeviceTensor>> {
  if (!session.runOnDevice) throw new Error(`${session.label}: this runtime cannot keep outputs on the device`);
  return session.runOnDevice(feeds, outputNames);
}

/** A host tensor placed on the device in `type` (one upload). */
async function place(helpers: HelperSessions, host: Tensor, type: ElementType, owned: Owned): Promise<DeviceTensor> {
  const rank = host.dims.length;
  const s = await helpers.get(`place-float32-${type}-r${rank}`, () => placeGraph('float32', type, rank));
  return firstOutput(await runOnDevice(s, { x: { kind: 'float', tensor: host } }), 'y', s.label, owned);
}

/** A device tensor in another dtype (no copy to the host). */
async function convert(helpers: HelperSessions, t: DeviceTensor, type: ElementType, owned: Owned): Promise<DeviceTensor> {
  if (t.type === type) return t;
  const s = await helpers.get(`place-${t.type}-${type}-r${t.dims.length}`, () => placeGraph(t.type, type, t.dims.length));
  return firstOutput(await runOnDevice(s, { x: t }), 'y', s.label, owned);
}

/** The prompt's last_hidden_state on the device; a text encoder opened on demand (low memory) runs on the host and is placed. */
export async function encodeOnDevice(models: PipelineModels, text: string, owned: Owned): Promise<DeviceTensor> {
  const te = models.textEncoder;
  const { ids } = models.tokenizer.encode(text);
  const feeds: Record<string, Feed> = { input_ids: { kind: 'int', dims: [1, ids.length], values: ids } };
  const name = te.outputs.some((o) => o.name === 'last_hidden_state') ? 'last_hidden_state' : te.outputs[0]?.name;
  if (te.runOnDevice && name) return firstOutput(await te.runOnDevice(feeds, [name]), name, te.label, owned);
  const out = await te.run(feeds, name ? [name] : undefined);
  const hidden = (name && out[name]) ?? Object.values(out)[0];
  if (!hidden) throw new ModelFolderError('unsupported-model', te.label, `${te.label}: produced no last_hidden_state`);
  return place(models.helpers!, hidden, 'float32', owned);
}

/** Embeddings as `session` takes them: [negative; positive] with CFG, in its dtype. */
async function embeddingsFor(helpers: HelperSessions, session: ModelSession, prompts: DeviceTensor[], owned: Owned): Promise<DeviceTensor> {
  const type = typeOf(session, 'encoder_hidden_states');
  if (prompts.length === 1) return convert(helpers, prompts[0], type, owned);
  const [a, b] = prompts;
  const s = await helpers.get(`concat-${a.type}-${type}`, () => concatGraph(a.type, type));
  return firstOutput(await runOnDevice(s, { a, b }), 'y', s.label, owned);
}

/** Steps 2–3 and 6 of the pipeline on the device; the caller decodes (decodeOnDevice). */
export async function denoiseOnDevice(input: DeviceLoopInput, prompts: DeviceTensor[], owned: Owned): Promise<DeviceLoopOutput> {
  const { models, params, doCfg, scheduler, timesteps, generator, now } = input;
  const helpers = models.helpers!;
  const linear = scheduler.linear!;
  const { unet, controlnet } = models;
  const batch = doCfg ? 2 : 1;
  const n = numel(input.latents.dims);
  const R = linear.registers;

  // Placed once per generate.
  const unetEmbeddings = await embeddingsFor(helpers, unet, prompts, owned);
  const constant: Record<string, Feed> = {};
  for (const [name, feed] of Object.entries(input.constantFeeds)) {
    constant[name] = feed.kind === 'float' ? await place(helpers, feed.tensor, typeOf(unet, name), owned) : feed;
  }
  let x = await place(helpers, input.latents, 'float32', owned);
  const zero = await place(helpers, tensor(input.latents.dims), 'float32', owned);
  let registers: DeviceTensor[] = Array.from({ length: R }, () => zero);
  const unetSampleType = typeOf(unet, 'sample');
  const scaleInput = await helpers.get(`scale-input-b${batch}-${unetSampleType}`, () => scaleInputGraph(batch, unetSampleType));
  const epsType = unet.outputs.find((o) => o.name === 'out_sample')?.type ?? unet.outputs[0]?.type ?? 'float32';
  const rescale = doCfg && params.guidanceRescale > 0;
  const step = await helpers.get(`step-${doCfg ? 'cfg' : 'nocfg'}${rescale ? '-rescale' : ''}-r${R}-${epsType}`, () =>
    stepGraph({ cfg: doCfg, rescale, registers: R, epsType }),
  );

  // ControlNet: condition, embeddings and (when it has no conditioning_scale) a scaling graph, once.
  const useControl = input.control !== null || input.needZeros;
  let ctl: {
    session: ModelSession;
    cond: DeviceTensor;
    embeddings: DeviceTensor;
    sampleType: ElementType;
    map: ResidualMap;
    scaledInGraph: boolean;
    zeros: Record<string, DeviceTensor> | null;
  } | null = null;
  if (useControl) {
    if (!controlnet) throw new ModelFolderError('unsupported-model', unet.label, `${unet.label}: takes ControlNet residuals but the folder has no controlnet/`);
    const cond = input.control ?? tensor([1, 3, params.height, params.width]);
    ctl = {
      session: controlnet,
      cond: await place(helpers, repeatBatch(cond, batch), typeOf(controlnet, 'controlnet_cond'), owned),
      embeddings: await embeddingsFor(helpers, controlnet, prompts, owned),
      sampleType: typeOf(controlnet, 'sample'),
      map: mapResiduals(controlnet, unet),
      scaledInGraph: hasInput(controlnet, 'conditioning_scale'),
      zeros: null,
    };
  }

  const unetStepMs: number[] = [];
  const controlnetStepMs: number[] = [];
  let noiseBytes = 0;
  const perStep = new Owned();
  input.stepsBegin();
  try {
    for (let i = 0; i < timesteps.length; i++) {
      await yieldToEventLoop();
      if (input.signal?.aborted) throw new CancelledError(i);
      const stepStart = now();
      const t = timesteps[i];
      const scale = Float32Array.of(linear.inputScale(t));
      const sample = firstOutput(
        await runOnDevice(scaleInput, { x, scale: { kind: 'float', tensor: tensor([1], scale) } }),
        'sample',
        scaleInput.label,
        perStep,
      );

      const extra: Record<string, Feed> = { ...constant };
      if (ctl) {
        const controlStart = now();
        const s = input.control ? input.controlScales[i] : 0;
        if (s === 0 && ctl.zeros) Object.assign(extra, ctl.zeros);
        else {
          let ctlSample = sample;
          if (ctl.sampleType !== unetSampleType) {
            const g = await helpers.get(`scale-input-b${batch}-${ctl.sampleType}`, () => scaleInputGraph(batch, ctl!.sampleType));
            ctlSample = firstOutput(await runOnDevice(g, { x, scale: { kind: 'float', tensor: tensor([1], scale) } }), 'sample', g.label, perStep);
          }
          const out = await runOnDevice(ctl.session, {
            sample: ctlSample,
            timestep: scalarFeed(ctl.session, 'timestep', t, batch),
            encoder_hidden_states: ctl.embeddings,
            controlnet_cond: ctl.cond,
            ...(ctl.scaledInGraph && { conditioning_scale: scalarFeed(ctl.session, 'conditioning_scale', s, batch) }),
          });
          let named = residualsByUnetName(out, ctl.map, ctl.session.label);
          for (const r of Object.values(out)) if (!Object.values(named).includes(r)) r.dispose();
          if (!ctl.scaledInGraph) named = await scaleResiduals(helpers, named, s);
          // Zero residuals (scale 0) are the same every step: kept for the rest of the run.
          const keepAsZeros = s === 0;
          for (const r of Object.values(named)) (keepAsZeros ? owned : perStep).keep(r);
          if (keepAsZeros) ctl.zeros = named;
          Object.assign(extra, named);
        }
        controlnetStepMs.push(now() - controlStart);
      }

      const unetOut = await runOnDevice(unet, {
        sample,
        timestep: scalarFeed(unet, 'timestep', t, batch),
        encoder_hidden_states: unetEmbeddings,
        ...extra,
      });
      const eps = firstOutput(unetOut, 'out_sample', unet.label, perStep);

      // 6b. CFG + rescale + the scheduler's step, on the device; only the noise comes from the host.
      const plan = linear.step(t);
      let noise: Feed = zero;
      if (plan.drawsNoise) {
        // Drawn whenever step() would draw (the seeded stream stays aligned); uploaded only when a term reads it (Euler without churn: none).
        const z = generator.randn(n);
        if (readsNoise(plan)) {
          noise = { kind: 'float', tensor: tensor(input.latents.dims, z) };
          noiseBytes += n * 4;
        }
      }
      const feeds: Record<string, Feed> = {
        eps,
        sample: x,
        noise,
        coef: { kind: 'float', tensor: tensor([(2 + R) * (3 + R)], stepCoefficients(plan, R)) },
        ...(doCfg && { guidance_scale: { kind: 'float', tensor: tensor([1], Float32Array.of(params.guidanceScale)) } }),
        ...(rescale && { guidance_rescale: { kind: 'float', tensor: tensor([1], Float32Array.of(params.guidanceRescale)) } }),
      };
      registers.forEach((r, j) => (feeds[`r${j}`] = r));
      const next = await runOnDevice(step, feeds);
      const [prevName, x0Name, ...regNames] = STEP_OUTPUTS(R);
      // The new state replaces the old (the shared zero is never disposed here).
      owned.drop(x);
      for (const r of registers) if (r !== zero) owned.drop(r);
      x = owned.keep(next[prevName]);
      registers = regNames.map((name) => owned.keep(next[name]));
      perStep.dropAll(); // this step's U-Net input, ε and residuals
      unetStepMs.push(now() - stepStart);
      const done = progressAfter(i, timesteps.length, scheduler.order);
      if (done) input.onProgress?.({ ...done, timestep: t, elapsedMs: now() - input.t0 });
      const x0 = next[x0Name];
      try {
        // The only per-step download, and only when previews are asked for (every k-th step).
        if ((i + 1) % input.previewEvery === 0) {
          const estimate = plan.predOriginalSample ? x0 : x;
          if (input.onPreview) input.onPreview(await estimate.download(), i + 1);
          if (input.onPreviewRgba) input.onPreviewRgba(await previewOnDevice(helpers, estimate), i + 1);
        }
      } finally {
        x0.dispose();
      }
    }
  } finally {
    perStep.dropAll();
  }
  input.stepsEnd();
  return { latents: x, hostLatents: await x.download(), unetStepMs, controlnetStepMs, noiseBytes };
}

async function scaleResiduals(helpers: HelperSessions, named: Record<string, DeviceTensor>, scale: number): Promise<Record<string, DeviceTensor>> {
  const names = Object.keys(named);
  const type = named[names[0]].type;
  const s = await helpers.get(`scale-each-${names.length}-${type}`, () => scaleEachGraph(names.length, type));
  const feeds: Record<string, Feed> = { scale: { kind: 'float', tensor: tensor([1], Float32Array.of(scale)) } };
  names.forEach((name, i) => (feeds[`x${i}`] = named[name]));
  const out = await runOnDevice(s, feeds);
  for (const t of Object.values(named)) t.dispose();
  return Object.fromEntries(names.map((name, i) => [name, out[`y${i}`]]));
}

function readsNoise(plan: LinearStep): boolean {
  return [plan.prevSample, plan.predOriginalSample ?? [], ...plan.registers].some((terms) => terms.some(([b, c]) => b === 'noise' && c !== 0));
}

/** latentPreviewRgba's picture, made on the device: h·w·4 bytes come back instead of C·h·w floats. */
async function previewOnDevice(helpers: HelperSessions, latents: DeviceTensor): Promise<{ width: number; height: number; rgba: Uint8ClampedArray }> {
  const s = await helpers.get('preview-rgba', previewRgbaGraph);
  const { rgba } = await s.run({ x: latents });
  const [height, width] = rgba.dims;
  return { width, height, rgba: Uint8ClampedArray.from(rgba.data) };
}

/** Step 7's input on the device: latents / scaling_factor in the VAE decoder's dtype. */
export async function vaeInputOnDevice(models: PipelineModels, latents: DeviceTensor, owned: Owned): Promise<DeviceTensor> {
  const type = typeOf(models.vaeDecoder, 'latent_sample');
  const s = await models.helpers!.get(`scale-input-b1-${type}`, () => scaleInputGraph(1, type));
  const scale = Float32Array.of(1 / models.folder.vaeScalingFactor);
  return firstOutput(await runOnDevice(s, { x: latents, scale: { kind: 'float', tensor: tensor([1], scale) } }), 'sample', s.label, owned);
}
