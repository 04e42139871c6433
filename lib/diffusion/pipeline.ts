/**
 * txt2img / img2img / ControlNet, step by step as diffusers' StableDiffusion pipelines do it.
 * Pure engine code: sessions arrive through lib/onnx's types, noise through a seeded generator.
 */
import { CancelledError, InvalidParamsError, ModelFolderError } from '../errors';
import { TorchGenerator } from '../random/torch-generator';
import { hasInput, type DeviceTensor, type Feed, type TransferCount } from '../onnx/types';
import { transferSince } from '../onnx/transfer-meter';
import { numel, tensor, type Tensor } from '../tensor/tensor';
import { imageToTensor, latentPreviewRgba, vaeOutputToImage, type FloatImage, type RgbaImage } from '../tensor/image';
import { checkInputs, checkSteps, CONTROL_DEFAULTS, DEFAULT_STRENGTH, runSchedulerConfig, type GenerateParams } from './check-inputs';
import { ControlNetRunner, controlKeep, repeatBatch, unetResidualInputs, zeroResiduals } from './controlnet';
import { guidanceScaleEmbedding } from './families';
import { declaredDim, scalarFeed } from './feeds';
import { applyGuidance, rescaleGuidance } from './guidance';
import { checkDecoded, checkLatents, flatImageWarning } from './image-check';
import { encodeImage, getTimesteps } from './img2img';
import type { PipelineModels } from './load-pipeline';
import { unloadAfterUse } from './part-sessions';
import { createScheduler, schedulerLabel } from './schedulers';
import { chooseLoop, type LoopPreference } from './device-loop/choose';
import { denoiseOnDevice, encodeOnDevice, Owned, vaeInputOnDevice, type LoopBase } from './device-loop/loop';
import { progressAfter } from './progress';
import { yieldToEventLoop } from './yield';

export { CancelledError };

export interface StepProgress {
  /** Steps finished so far (1-based after the first step). */
  step: number;
  totalSteps: number;
  timestep: number;
  elapsedMs: number;
}

/** Context handed to the extra-inputs hook. */
export interface UnetStepContext {
  stepIndex: number;
  timestep: number;
  latentInput: Tensor;
  textEmbeddings: Tensor;
}

export type PreviewRgba = ReturnType<typeof latentPreviewRgba>;

export interface GenerateImages {
  /** ControlNet condition (e.g. the sketch): RGBA of any size (resized), or float HWC at the output size. */
  control?: RgbaImage | FloatImage;
  /** img2img init image, likewise. */
  init?: RgbaImage | FloatImage;
}

export interface GenerateHooks {
  images?: GenerateImages;
  onProgress?: (p: StepProgress) => void;
  /** Called after each step with the current estimate of the clean latents. */
  onPreview?: (latents: Tensor, step: number) => void;
  /** The same estimate as latentPreviewRgba's RGBA (made on the GPU by the GPU loop: a quarter of the bytes). */
  onPreviewRgba?: (preview: PreviewRgba, step: number) => void;
  signal?: AbortSignal;
  /** Extra U-Net feeds per step, merged over the ControlNet residuals. */
  extraUnetFeeds?: (ctx: UnetStepContext) => Promise<Record<string, Feed>>;
  /** Monotonic clock in ms; injectable for tests. */
  now?: () => number;
  /** Which denoising loop (device-loop/choose.ts); `auto` keeps it on the GPU on WebGPU. */
  loop?: LoopPreference;
  /** onPreview every k-th step (1: every step); on the GPU loop each preview is a download. */
  previewEvery?: number;
}

export interface LoopTransfer {
  loop: 'host' | 'device';
  /** Why the host loop ran (WebGPU would have kept the loop on the GPU). */
  hostReason?: string;
  steps: number;
  /** From the first step to the last, per session label: divided by `steps`, the bytes per step. */
  bytes: Record<string, TransferCount>;
  /** Placed on the device once per generate before the first step (device loop: embeddings, latents, control image, zeros). */
  setupBytes: Record<string, TransferCount>;
  /** Of the uploads, the ancestral noise (n floats per step for stochastic samplers). */
  noiseBytes: number;
}

export interface GenerateResult {
  image: FloatImage;
  latents: Tensor;
  /** The timesteps actually run (img2img: the tail that strength keeps). */
  timesteps: number[];
  /** What actually sampled, A1111-style ("Euler a", "PLMS"…), also when 'default' was asked. */
  sampler: string;
  /** Per step: the ControlNet scale applied (empty without ControlNet). */
  controlScales: number[];
  /** unetStepMs: each whole step (ControlNet, U-Net, CFG, scheduler); controlnetStepMs: the ControlNet's share of each (empty without one). */
  timings: { textEncoderMs: number; unetStepMs: number[]; controlnetStepMs: number[]; vaeMs: number; totalMs: number };
  /** What crossed the seam during the denoising loop (step 6), per session label; `loop` says which loop ran. */
  transfer: LoopTransfer;
  /** What the user should know about this image, e.g. that it came out flat black (image-check.ts); NaN throws instead. */
  warnings: string[];
}

async function encodePrompt(models: PipelineModels, text: string): Promise<Tensor> {
  const { ids } = models.tokenizer.encode(text);
  const out = await models.textEncoder.run({ input_ids: { kind: 'int', dims: [1, ids.length], values: ids } });
  const hidden = out.last_hidden_state ?? Object.values(out)[0];
  if (!hidden) throw new ModelFolderError('unsupported-model', models.textEncoder.label, `${models.textEncoder.label}: produced no last_hidden_state`);
  return hidden;
}

function concatBatch(a: Tensor, b: Tensor): Tensor {
  const data = new Float32Array(a.data.length + b.data.length);
  data.set(a.data, 0);
  data.set(b.data, a.data.length);
  return tensor([a.dims[0] + b.dims[0], ...a.dims.slice(1)], data);
}

function sliceBatch(t: Tensor, i: number): Tensor {
  const per = numel(t.dims) / t.dims[0];
  return tensor([1, ...t.dims.slice(1)], t.data.slice(i * per, (i + 1) * per));
}

async function runUnet(models: PipelineModels, sample: Tensor, t: number, embeddings: Tensor, extra: Record<string, Feed>): Promise<Tensor> {
  const { unet } = models;
  const run = async (s: Tensor, e: Tensor, x: Record<string, Feed>) => {
    const out = await unet.run({
      sample: { kind: 'float', tensor: s },
      timestep: scalarFeed(unet, 'timestep', t, s.dims[0]),
      encoder_hidden_states: { kind: 'float', tensor: e },
      ...x,
    });
    const eps = out.out_sample ?? Object.values(out)[0];
    if (!eps) throw new ModelFolderError('unsupported-model', unet.label, `${unet.label}: produced no out_sample`);
    return eps;
  };
  const batch = sample.dims[0];
  // Exports with a static batch of 1 (some WebNN-style models) get one pass per half.
  if (batch > 1 && declaredDim(unet, 'sample', 0, batch) === 1) {
    const parts: Tensor[] = [];
    for (let i = 0; i < batch; i++) {
      const x: Record<string, Feed> = {};
      for (const [k, f] of Object.entries(extra)) x[k] = f.kind === 'float' ? { kind: 'float', tensor: sliceBatch(f.tensor, i) } : f;
      parts.push(await run(sliceBatch(sample, i), sliceBatch(embeddings, i), x));
    }
    return parts.reduce(concatBatch);
  }
  return run(sample, embeddings, extra);
}

/**
 * The ControlNet pass for this run. Without a sketch, a residual-taking U-Net needs zero
 * residuals: built from its input metadata (constantUnetFeeds) when the shapes can be
 * inferred, else — when the folder has a ControlNet — by one pass on a zero condition at
 * scale 0, whose residuals are exactly zero and whose shapes are then reused.
 */
function controlRunner(
  models: PipelineModels,
  control: RgbaImage | FloatImage | undefined,
  width: number,
  height: number,
  zeros: boolean,
): ControlNetRunner | null {
  if (control) {
    if (!models.controlnet)
      throw new InvalidParamsError('this model folder has no controlnet/ graph: remove the control image or pick a ControlNet model', 'control');
    return new ControlNetRunner(models.controlnet, models.unet, imageToTensor(control, width, height, 'unit'));
  }
  if (!zeros) return null;
  if (!models.controlnet) {
    throw new ModelFolderError(
      'unsupported-model',
      models.unet.label,
      `${models.unet.label}: takes ControlNet residuals of sizes Lantern cannot infer (symbolic dims; unet/config.json gives no layers_per_block / block_out_channels) and the folder has no controlnet/`,
    );
  }
  return new ControlNetRunner(models.controlnet, models.unet, tensor([1, 3, height, width]));
}

/** Feeds a U-Net may take beyond sample/timestep/encoder_hidden_states that stay the same every step. */
function constantUnetFeeds(
  models: PipelineModels,
  params: GenerateParams,
  latentDims: readonly number[],
  hasControl: boolean,
): { feeds: Record<string, Feed>; needZeros: boolean } {
  const feeds: Record<string, Feed> = {};
  let needZeros = false;
  // A ControlNet-ready U-Net with no sketch: zero residuals from its own input shapes.
  if (!hasControl && unetResidualInputs(models.unet).mid !== null) {
    const config = models.folder.partConfigs.unet ?? {};
    const layers = config.layers_per_block;
    const blocks = config.block_out_channels;
    const zeros = zeroResiduals(models.unet, latentDims, {
      layersPerBlock: typeof layers === 'number' ? layers : undefined,
      blockOutChannels: Array.isArray(blocks) && blocks.every((b) => typeof b === 'number') ? (blocks as number[]) : undefined,
    });
    if (zeros) Object.assign(feeds, zeros);
    else needZeros = true;
  }
  // LCM-distilled U-Nets take the guidance scale as an embedding (w = g − 1), as diffusers feeds it.
  if (hasInput(models.unet, 'timestep_cond')) {
    const dim = declaredDim(models.unet, 'timestep_cond', 1, -1);
    const configured = models.folder.partConfigs.unet?.time_cond_proj_dim;
    const embeddingDim = dim > 0 ? dim : typeof configured === 'number' ? configured : -1;
    if (embeddingDim <= 0)
      throw new ModelFolderError(
        'unsupported-model',
        models.unet.label,
        `${models.unet.label}: timestep_cond has no static width and unet/config.json gives no time_cond_proj_dim`,
      );
    const one = guidanceScaleEmbedding(params.guidanceScale - 1, embeddingDim);
    feeds.timestep_cond = { kind: 'float', tensor: repeatBatch(tensor([1, embeddingDim], one), latentDims[0]) };
  }
  return { feeds, needZeros };
}

/**
 * Runs the pipeline of the model's family. SD 1.x, SD 2.x, SD-Turbo and LCM share the Stable
 * Diffusion loop below (LCM differs in family data: no unconditional pass, `timestep_cond`);
 * a family with other inputs (SDXL: two text encoders, `text_embeds`, `time_ids`) gets its
 * own entry here.
 */
export async function generate(models: PipelineModels, params: GenerateParams, hooks: GenerateHooks = {}): Promise<GenerateResult> {
  switch (models.family.family.pipeline) {
    case 'stable-diffusion':
      return stableDiffusion(models, params, hooks);
  }
}

async function stableDiffusion(models: PipelineModels, params: GenerateParams, hooks: GenerateHooks): Promise<GenerateResult> {
  const now = hooks.now ?? (() => performance.now());
  const t0 = now();
  const images = hooks.images ?? {};

  // 1. Check inputs, and pick the loop (device-loop/choose.ts: on the GPU for WebGPU)
  const vaeScale = models.folder.vaeDownsample;
  checkInputs(params, vaeScale);
  checkSteps(params, models.schedulerConfig); // what this model's scheduler can run (schedulers' stepsProblem), before any work
  // LCM's U-Net is distilled to follow guidance alone: no unconditional pass (diffusers' LCM pipeline).
  const doCfg = models.family.family.classifierFreeGuidance && params.guidanceScale > 1;
  if (images.init && !models.vaeEncoder) throw new InvalidParamsError('this model folder has no vae_encoder/ graph: img2img needs one', 'init');
  const choice = chooseLoop(models, params, doCfg, hooks.loop ?? 'auto', hooks.extraUnetFeeds !== undefined);
  const owned = new Owned(); // the device loop's tensors, freed whatever happens
  try {
    // 2–3. Tokenize and encode the prompt (and the negative prompt for CFG); low-memory mode releases the encoder here
    let textEmbeddings: Tensor | null = null;
    const prompts: DeviceTensor[] = [];
    try {
      if (choice.loop === 'device') {
        if (doCfg) prompts.push(await encodeOnDevice(models, params.negativePrompt, owned));
        prompts.push(await encodeOnDevice(models, params.prompt, owned));
      } else {
        const cond = await encodePrompt(models, params.prompt);
        textEmbeddings = doCfg ? concatBatch(await encodePrompt(models, params.negativePrompt), cond) : cond;
      }
    } finally {
      await unloadAfterUse(models.textEncoder);
    }
    const textEncoderMs = now() - t0;

    // 4. Prepare timesteps (img2img keeps the tail that strength asks for)
    const scheduler = createScheduler(params.scheduler, runSchedulerConfig(models.schedulerConfig, params.timestepSpacing));
    scheduler.setTimesteps(params.steps);
    let timesteps = [...scheduler.timesteps];
    const strength = params.strength ?? DEFAULT_STRENGTH;
    if (images.init) {
      const kept = getTimesteps(timesteps, params.steps, strength, scheduler.order);
      timesteps = kept.timesteps;
      scheduler.setBeginIndex?.(kept.tStart * scheduler.order);
    }

    // 5. Prepare latents: seeded noise × init_noise_sigma, or the noised init image
    const channels = declaredDim(models.unet, 'sample', 1, 4);
    const shape = [1, channels, params.height / vaeScale, params.width / vaeScale];
    const generator = new TorchGenerator(params.seed);
    let latents: Tensor;
    if (images.init && models.vaeEncoder) {
      const pixels = imageToTensor(images.init, params.width, params.height, 'signed');
      const initLatents = await encodeImage(models.vaeEncoder, pixels, generator, models.folder.vaeScalingFactor);
      const noise = generator.randn(numel(initLatents.dims));
      latents = tensor(initLatents.dims, scheduler.addNoise(initLatents.data, noise, timesteps[0]));
    } else {
      const noise = generator.randn(numel(shape));
      latents = tensor(
        shape,
        noise.map((v) => v * scheduler.initNoiseSigma),
      );
    }

    // 6. Denoising loop: [controlnet → residuals] → unet([uncond, cond]) → CFG → scheduler.step
    const constant = constantUnetFeeds(models, params, [doCfg ? 2 : 1, ...latents.dims.slice(1)], images.control !== undefined);
    const keep = controlKeep(timesteps.length, params.controlStart ?? CONTROL_DEFAULTS.controlStart, params.controlEnd ?? CONTROL_DEFAULTS.controlEnd);
    const scales = keep.map((k) => (images.control ? (params.controlScale ?? CONTROL_DEFAULTS.controlScale) * k : 0));
    // Bytes per step are counted from the first step to the last; what is placed once per generate (device loop) is `setupBytes`.
    const meter = models.transfers;
    const atStart = meter?.snapshot() ?? {};
    let stepsFrom = atStart;
    let stepsTo: typeof atStart | null = null;
    const loopArgs = { models, params, doCfg, scheduler, timesteps, generator, latents, constant, scales, now, t0, hooks };
    let loop: LoopOutput;
    let noiseBytes = 0;
    if (choice.loop === 'device') {
      const control = images.control ? imageToTensor(images.control, params.width, params.height, 'unit') : null;
      const out = await denoiseOnDevice(
        {
          ...loopArgs,
          control,
          controlScales: scales,
          constantFeeds: constant.feeds,
          needZeros: constant.needZeros,
          signal: hooks.signal,
          onProgress: hooks.onProgress,
          onPreview: hooks.onPreview,
          onPreviewRgba: hooks.onPreviewRgba,
          previewEvery: hooks.previewEvery ?? 1,
          stepsBegin: () => (stepsFrom = meter?.snapshot() ?? {}),
          stepsEnd: () => (stepsTo = meter?.snapshot() ?? {}),
        },
        prompts,
        owned,
      );
      noiseBytes = out.noiseBytes;
      loop = { latents: out.hostLatents, device: out.latents, unetStepMs: out.unetStepMs, controlnetStepMs: out.controlnetStepMs };
      checkLatents(out.hostLatents.data, models.unet.label, timesteps.length, timesteps.length, timesteps.at(-1) ?? 0); // NaN/∞ seen once, at the end
    } else {
      loop = await denoiseOnHost({ ...loopArgs, textEmbeddings: textEmbeddings!, images });
    }
    const transfer: LoopTransfer = {
      loop: choice.loop,
      ...(choice.loop === 'host' && { hostReason: choice.reason }),
      steps: timesteps.length,
      bytes: transferSince(stepsFrom, stepsTo ?? meter?.snapshot() ?? {}),
      setupBytes: transferSince(atStart, stepsFrom),
      noiseBytes,
    };

    // 7. Decode: latents / scaling_factor → VAE → image in [0,1]
    const vaeStart = now();
    const vaeInput: Feed = loop.device
      ? await vaeInputOnDevice(models, loop.device, owned)
      : {
          kind: 'float',
          tensor: tensor(
            loop.latents.dims,
            loop.latents.data.map((v) => v / models.folder.vaeScalingFactor),
          ),
        };
    let decoded: Record<string, Tensor>;
    try {
      decoded = await models.vaeDecoder.run({ latent_sample: vaeInput });
    } finally {
      await unloadAfterUse(models.vaeDecoder); // low-memory mode: opened for this one run
    }
    const sample = decoded.sample ?? Object.values(decoded)[0];
    if (!sample) throw new ModelFolderError('unsupported-model', models.vaeDecoder.label, `${models.vaeDecoder.label}: produced no sample`);
    checkDecoded(sample.data, models.vaeDecoder.label); // NaN/∞ → NonFiniteOutputError naming the VAE
    const image = vaeOutputToImage(sample);
    const flat = flatImageWarning(image, models.vaeDecoder.label); // a flat/black image is kept, with a warning
    const vaeMs = now() - vaeStart;

    return {
      image,
      latents: loop.latents,
      timesteps,
      sampler: schedulerLabel(scheduler),
      controlScales: images.control ? scales : [],
      timings: { textEncoderMs, unetStepMs: loop.unetStepMs, controlnetStepMs: loop.controlnetStepMs, vaeMs, totalMs: now() - t0 },
      transfer,
      warnings: flat ? [flat] : [],
    };
  } finally {
    owned.dropAll();
  }
}

interface LoopOutput {
  latents: Tensor;
  /** The same latents on the device (device loop only), for the VAE. */
  device?: DeviceTensor;
  unetStepMs: number[];
  controlnetStepMs: number[];
}

interface HostLoopInput extends LoopBase {
  textEmbeddings: Tensor;
  images: GenerateImages;
  constant: { feeds: Record<string, Feed>; needZeros: boolean };
  scales: readonly number[];
  hooks: GenerateHooks;
}

/** Step 6 in JS, in diffusers' order of operations: every tensor comes back to the host each step. */
async function denoiseOnHost(input: HostLoopInput): Promise<LoopOutput> {
  const { models, params, doCfg, scheduler, timesteps, generator, textEmbeddings, images, constant, scales, now, t0, hooks } = input;
  let latents = input.latents;
  const control = controlRunner(models, images.control, params.width, params.height, constant.needZeros);
  const unetStepMs: number[] = [];
  const controlnetStepMs: number[] = [];
  for (let i = 0; i < timesteps.length; i++) {
    await yieldToEventLoop();
    if (hooks.signal?.aborted) throw new CancelledError(i);
    const stepStart = now();
    const t = timesteps[i];
    const scaled = tensor(latents.dims, scheduler.scaleModelInput(latents.data, t));
    const latentInput = doCfg ? concatBatch(scaled, scaled) : scaled;
    let extra: Record<string, Feed> = { ...constant.feeds };
    if (control) {
      const timestepFeed = scalarFeed(models.controlnet!, 'timestep', t, latentInput.dims[0]);
      const controlStart = now();
      extra = { ...extra, ...(await control.residuals({ latentInput, timestepFeed, textEmbeddings, scale: scales[i] })) };
      controlnetStepMs.push(now() - controlStart);
    }
    if (hooks.extraUnetFeeds) extra = { ...extra, ...(await hooks.extraUnetFeeds({ stepIndex: i, timestep: t, latentInput, textEmbeddings })) };
    const eps = await runUnet(models, latentInput, t, textEmbeddings, extra);

    let guided = eps.data;
    if (doCfg) {
      const half = eps.data.length / 2;
      const condEps = eps.data.subarray(half);
      guided = applyGuidance(eps.data.subarray(0, half), condEps, params.guidanceScale);
      if (params.guidanceRescale > 0) guided = rescaleGuidance(guided, condEps, params.guidanceRescale);
    }
    const out = scheduler.step(guided, t, latents.data, generator);
    checkLatents(out.prevSample, models.unet.label, i + 1, timesteps.length, t); // NaN/∞ (fp16 overflow) → NonFiniteOutputError
    latents = tensor(latents.dims, out.prevSample);
    unetStepMs.push(now() - stepStart);
    const done = progressAfter(i, timesteps.length, scheduler.order);
    if (done) hooks.onProgress?.({ ...done, timestep: t, elapsedMs: now() - t0 });
    if ((hooks.onPreview || hooks.onPreviewRgba) && (i + 1) % (hooks.previewEvery ?? 1) === 0) {
      const estimate = tensor(latents.dims, out.predOriginalSample ?? out.prevSample);
      hooks.onPreview?.(estimate, i + 1);
      hooks.onPreviewRgba?.(latentPreviewRgba(estimate), i + 1);
    }
  }
  return { latents, unetStepMs, controlnetStepMs };
}
