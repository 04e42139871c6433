/**
 * txt2img, step by step as diffusers' StableDiffusionPipeline.__call__ does it.
 * Pure engine code: sessions arrive through lib/onnx's types, noise through a seeded generator.
 */
import { TorchGenerator } from '../random/torch-generator';
import type { Feed, ModelSession } from '../onnx/types';
import { inputInfo } from '../onnx/types';
import { numel, tensor, type Tensor } from '../tensor/tensor';
import { vaeOutputToImage, type FloatImage } from '../tensor/image';
import { checkInputs, type GenerateParams } from './check-inputs';
import { applyGuidance, rescaleGuidance } from './guidance';
import type { PipelineModels } from './load-pipeline';
import { createScheduler, schedulerLabel } from './schedulers';
import { yieldToEventLoop } from './yield';

export class CancelledError extends Error {
  constructor(readonly atStep: number) {
    super(`cancelled before step ${atStep + 1}`);
    this.name = 'CancelledError';
  }
}

export interface StepProgress {
  /** Steps finished so far (1-based after the first step). */
  step: number;
  totalSteps: number;
  timestep: number;
  elapsedMs: number;
}

/** Context handed to the extra-inputs hook (ControlNet residuals plug in here). */
export interface UnetStepContext {
  stepIndex: number;
  timestep: number;
  latentInput: Tensor;
  textEmbeddings: Tensor;
}

export interface GenerateHooks {
  onProgress?: (p: StepProgress) => void;
  /** Called after each step with the current estimate of the clean latents. */
  onPreview?: (latents: Tensor, step: number) => void;
  signal?: AbortSignal;
  /** Extra U-Net feeds per step, e.g. ControlNet residuals (Step 3). */
  extraUnetFeeds?: (ctx: UnetStepContext) => Promise<Record<string, Feed>>;
  /** Monotonic clock in ms; injectable for tests. */
  now?: () => number;
}

export interface GenerateResult {
  image: FloatImage;
  latents: Tensor;
  timesteps: number[];
  /** What actually sampled, A1111-style ("Euler a", "PLMS"…), also when 'default' was asked. */
  sampler: string;
  timings: { textEncoderMs: number; unetStepMs: number[]; vaeMs: number; totalMs: number };
}

const VAE_SCALE = 8;

function dimOf(session: ModelSession, input: string, axis: number, fallback: number): number {
  const d = inputInfo(session, input).shape[axis];
  return typeof d === 'number' && d > 0 ? d : fallback;
}

/** Timestep feed in the shape the U-Net declares: scalar, [1] or [B]. */
function timestepFeed(unet: ModelSession, t: number, batch: number): Feed {
  const shape = inputInfo(unet, 'timestep').shape;
  const info = inputInfo(unet, 'timestep');
  const dims = shape.length === 0 ? [] : [typeof shape[0] === 'number' ? shape[0] : batch];
  const values = new Array(numel(dims)).fill(t);
  return info.type === 'int64' || info.type === 'int32'
    ? { kind: 'int', dims, values }
    : { kind: 'float', tensor: tensor(dims, Float32Array.from(values)) };
}

async function encodePrompt(models: PipelineModels, text: string): Promise<Tensor> {
  const { ids } = models.tokenizer.encode(text);
  const out = await models.textEncoder.run({ input_ids: { kind: 'int', dims: [1, ids.length], values: ids } });
  const hidden = out.last_hidden_state ?? Object.values(out)[0];
  if (!hidden) throw new Error('text_encoder/model.onnx: produced no last_hidden_state');
  return hidden;
}

function concatBatch(a: Tensor, b: Tensor): Tensor {
  const data = new Float32Array(a.data.length + b.data.length);
  data.set(a.data, 0);
  data.set(b.data, a.data.length);
  return tensor([a.dims[0] + b.dims[0], ...a.dims.slice(1)], data);
}

async function runUnet(
  models: PipelineModels,
  sample: Tensor,
  t: number,
  embeddings: Tensor,
  extra: Record<string, Feed>,
): Promise<Tensor> {
  const { unet } = models;
  const batch = sample.dims[0];
  const run = async (s: Tensor, e: Tensor, b: number) => {
    const out = await unet.run({
      sample: { kind: 'float', tensor: s },
      timestep: timestepFeed(unet, t, b),
      encoder_hidden_states: { kind: 'float', tensor: e },
      ...extra,
    });
    const eps = out.out_sample ?? Object.values(out)[0];
    if (!eps) throw new Error('unet/model.onnx: produced no out_sample');
    return eps;
  };
  // Exports with a static batch of 1 (some WebNN-style models) get one pass per half.
  if (batch > 1 && dimOf(unet, 'sample', 0, batch) === 1) {
    const per = numel(sample.dims) / batch;
    const perE = numel(embeddings.dims) / batch;
    const parts: Tensor[] = [];
    for (let i = 0; i < batch; i++) {
      const s = tensor([1, ...sample.dims.slice(1)], sample.data.slice(i * per, (i + 1) * per));
      const e = tensor([1, ...embeddings.dims.slice(1)], embeddings.data.slice(i * perE, (i + 1) * perE));
      parts.push(await run(s, e, 1));
    }
    return parts.reduce(concatBatch);
  }
  return run(sample, embeddings, batch);
}

export async function generate(models: PipelineModels, params: GenerateParams, hooks: GenerateHooks = {}): Promise<GenerateResult> {
  const now = hooks.now ?? (() => performance.now());
  const t0 = now();

  // 1. Check inputs
  checkInputs(params, VAE_SCALE);
  const doCfg = params.guidanceScale > 1;

  // 2–3. Tokenize and encode the prompt (and the negative prompt for CFG)
  const cond = await encodePrompt(models, params.prompt);
  const textEmbeddings = doCfg ? concatBatch(await encodePrompt(models, params.negativePrompt), cond) : cond;
  const textEncoderMs = now() - t0;

  // 4. Prepare timesteps
  const config = { ...models.folder.schedulerConfig };
  if (params.timestepSpacing) config.timestep_spacing = params.timestepSpacing;
  const scheduler = createScheduler(params.scheduler, config);
  scheduler.setTimesteps(params.steps);
  const timesteps = [...scheduler.timesteps];

  // 5. Prepare latents: torch.randn(shape, generator=manual_seed(seed)) × init_noise_sigma
  const channels = dimOf(models.unet, 'sample', 1, 4);
  const shape = [1, channels, params.height / VAE_SCALE, params.width / VAE_SCALE];
  const generator = new TorchGenerator(params.seed);
  const noise = generator.randn(numel(shape));
  let latents = tensor(shape, noise.map((v) => v * scheduler.initNoiseSigma));

  // 6. Denoising loop
  const unetStepMs: number[] = [];
  for (let i = 0; i < timesteps.length; i++) {
    await yieldToEventLoop();
    if (hooks.signal?.aborted) throw new CancelledError(i);
    const stepStart = now();
    const t = timesteps[i];
    const scaled = scheduler.scaleModelInput(latents.data, t);
    const latentInput = doCfg ? concatBatch(tensor(shape, scaled), tensor(shape, scaled)) : tensor(shape, scaled);
    const extra = hooks.extraUnetFeeds ? await hooks.extraUnetFeeds({ stepIndex: i, timestep: t, latentInput, textEmbeddings }) : {};
    const eps = await runUnet(models, latentInput, t, textEmbeddings, extra);

    let guided = eps.data;
    if (doCfg) {
      const half = eps.data.length / 2;
      const uncondEps = eps.data.subarray(0, half);
      const condEps = eps.data.subarray(half);
      guided = applyGuidance(uncondEps, condEps, params.guidanceScale);
      if (params.guidanceRescale > 0) guided = rescaleGuidance(guided, condEps, params.guidanceRescale);
    }
    const out = scheduler.step(guided, t, latents.data, generator);
    latents = tensor(shape, out.prevSample);
    unetStepMs.push(now() - stepStart);
    hooks.onProgress?.({ step: i + 1, totalSteps: timesteps.length, timestep: t, elapsedMs: now() - t0 });
    hooks.onPreview?.(tensor(shape, out.predOriginalSample ?? out.prevSample), i + 1);
  }

  // 7. Decode: latents / scaling_factor → VAE → image in [0,1]
  const vaeStart = now();
  const scaledLatents = tensor(shape, latents.data.map((v) => v / models.folder.vaeScalingFactor));
  const decoded = await models.vaeDecoder.run({ latent_sample: { kind: 'float', tensor: scaledLatents } });
  const sample = decoded.sample ?? Object.values(decoded)[0];
  if (!sample) throw new Error('vae_decoder/model.onnx: produced no sample');
  const image = vaeOutputToImage(sample);
  const vaeMs = now() - vaeStart;

  return { image, latents, timesteps, sampler: schedulerLabel(scheduler), timings: { textEncoderMs, unetStepMs, vaeMs, totalMs: now() - t0 } };
}
