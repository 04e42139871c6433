/**
 * ControlNet conditioning as diffusers' StableDiffusionControlNetPipeline applies it:
 * residuals × conditioning_scale, only for steps inside [control_start, control_end] of
 * the schedule, and with CFG the same control for both halves of the batch.
 * Two tensor-name styles exist in the wild and both are read from the sessions:
 *   TensorStack: controlnet outputs / unet inputs `down_block_{i}_additional_residual`,
 *                `mid_block_additional_residual`
 *   onnx-web:    controlnet outputs `down_block_{i}` + `mid_block_res_sample`,
 *                unet inputs `down_block_additional_residual_{i}` + `mid_block_additional_residual`
 */
import { ModelFolderError } from '../errors';
import { hasInput, inputInfo, type Feed, type ModelSession } from '../onnx/types';
import { tensor, type Tensor } from '../tensor/tensor';
import { scalarFeed } from './feeds';

export interface ControlSettings {
  /** controlnet_conditioning_scale */
  scale: number;
  /** control_guidance_start / control_guidance_end, fractions of the schedule */
  start: number;
  end: number;
}

/** diffusers: keep_i = 1 − (i/N < start or (i+1)/N > end). */
export function controlKeep(numSteps: number, start: number, end: number): number[] {
  return Array.from({ length: numSteps }, (_, i) => (i / numSteps < start || (i + 1) / numSteps > end ? 0 : 1));
}

const UNET_DOWN = [/^down_block_(\d+)_additional_residual$/, /^down_block_additional_residual_(\d+)$/];
const CONTROL_DOWN = [/^down_block_(\d+)_additional_residual$/, /^down_block_(\d+)$/];
const UNET_MID = /^mid_block_additional_residual$/;
const CONTROL_MID = /^mid_block_(additional_residual|res_sample)$/;

function indexed(names: readonly string[], patterns: RegExp[]): string[] {
  const found: Array<[number, string]> = [];
  for (const name of names) {
    for (const p of patterns) {
      const m = name.match(p);
      if (m) found.push([Number(m[1]), name]);
    }
  }
  found.sort((a, b) => a[0] - b[0]);
  found.forEach(([i], k) => {
    if (i !== k) throw new Error(`residual names are not numbered 0…${found.length - 1}: ${found.map(([, n]) => n).join(', ')}`);
  });
  return found.map(([, n]) => n);
}

/** The U-Net's residual inputs, in order; empty when it takes none. */
export function unetResidualInputs(unet: ModelSession): { down: string[]; mid: string | null } {
  const names = unet.inputs.map((i) => i.name);
  return { down: indexed(names, UNET_DOWN), mid: names.find((n) => UNET_MID.test(n)) ?? null };
}

export interface ResidualMap {
  /** unet input name → controlnet output name */
  pairs: Array<[string, string]>;
}

/** A ControlNet's outputs renamed to the U-Net's residual inputs (host tensors or device tensors alike). */
export function residualsByUnetName<T>(out: Readonly<Record<string, T>>, map: ResidualMap, controlnetLabel: string): Record<string, T> {
  const named: Record<string, T> = {};
  for (const [unetName, ctlName] of map.pairs) {
    const t = out[ctlName];
    if (!t) throw new ModelFolderError('unsupported-model', controlnetLabel, `${controlnetLabel}: produced no "${ctlName}"`);
    named[unetName] = t;
  }
  return named;
}

function staticDim(d: number | string | undefined): number | null {
  return typeof d === 'number' && d > 0 ? d : null;
}

/**
 * Pairs the ControlNet's outputs with the U-Net's residual inputs: by name when the
 * ControlNet names them (TensorStack, onnx-web), else — outputs with auto-generated names
 * such as "2245" (torch's exporter without output_names) — by order, down residuals then
 * mid, checking every static dimension agrees.
 */
export function mapResiduals(controlnet: ModelSession, unet: ModelSession): ResidualMap {
  const unetIn = unetResidualInputs(unet);
  if (!unetIn.mid || unetIn.down.length === 0) {
    throw new ModelFolderError(
      'unsupported-model',
      unet.label,
      `${unet.label}: takes no ControlNet residuals (inputs: ${unet.inputs.map((i) => i.name).join(', ')})`,
    );
  }
  const unetNames = [...unetIn.down, unetIn.mid];
  const outs = controlnet.outputs.map((o) => o.name);
  const ctlDown = indexed(outs, CONTROL_DOWN);
  const ctlMid = outs.find((n) => CONTROL_MID.test(n));
  if (ctlDown.length > 0 || ctlMid) {
    if (ctlDown.length !== unetIn.down.length || !ctlMid) {
      throw new ModelFolderError(
        'unsupported-model',
        controlnet.label,
        `${controlnet.label}: outputs ${ctlDown.length} down residuals${ctlMid ? '' : ' and no mid residual'}, ${unet.label} takes ${unetIn.down.length} + mid`,
      );
    }
    return { pairs: unetNames.map((u, i): [string, string] => [u, i < ctlDown.length ? ctlDown[i] : ctlMid]) };
  }
  if (outs.length !== unetNames.length) {
    throw new ModelFolderError(
      'unsupported-model',
      controlnet.label,
      `${controlnet.label}: has ${outs.length} outputs (${outs.join(', ')}) but ${unet.label} takes ${unetNames.length} residuals`,
    );
  }
  const pairs = unetNames.map((u, i): [string, string] => [u, outs[i]]);
  for (const [u, c] of pairs) {
    const us = inputInfo(unet, u).shape;
    const cs = controlnet.outputs.find((o) => o.name === c)!.shape;
    const clash = us.length === cs.length ? us.findIndex((d, k) => staticDim(d) !== null && staticDim(cs[k]) !== null && d !== cs[k]) : 0;
    if (clash !== -1) {
      throw new ModelFolderError(
        'unsupported-model',
        controlnet.label,
        `${controlnet.label}: output "${c}" [${cs.join(', ')}] does not fit ${unet.label} input "${u}" [${us.join(', ')}] (outputs are paired by order)`,
      );
    }
  }
  return { pairs };
}

/** What unet/config.json says about the down path (diffusers' UNet2DConditionModel keys). */
export interface DownPath {
  layersPerBlock?: number;
  blockOutChannels?: readonly number[];
}

/**
 * Zero residuals for a residual-taking U-Net run without a ControlNet (txt2img on a
 * ControlNet-ready export), shaped from the U-Net's own input metadata. Static dims are
 * used as declared; symbolic ones follow SD's down path with L layers per block: residual
 * k sits at level ⌊k / (L + 1)⌋ (each level: L layer outputs, then a downsampler that
 * halves the size and keeps the previous block's channels), the mid residual at the
 * deepest level. L is `layers_per_block`, or 2 for SD's 12 residuals; channels come from
 * `block_out_channels`. null when a symbolic dim cannot be inferred that way.
 */
export function zeroResiduals(unet: ModelSession, latentDims: readonly number[], path: DownPath = {}): Record<string, Feed> | null {
  const { down, mid } = unetResidualInputs(unet);
  if (!mid) return {};
  const n = down.length;
  const L = path.layersPerBlock ?? (n === 12 ? 2 : undefined);
  const level = (k: number) => (L === undefined ? undefined : Math.floor(Math.min(k, n - 1) / (L + 1)));
  const channels = (k: number) => {
    const lv = level(k);
    if (lv === undefined || !path.blockOutChannels) return undefined;
    const block = k < n && k > 0 && k % (L! + 1) === 0 ? lv - 1 : lv;
    return k === n ? path.blockOutChannels.at(-1) : path.blockOutChannels[block];
  };
  const feeds: Record<string, Feed> = {};
  const [batch, , h, w] = latentDims;
  for (const [k, name] of [...down, mid].entries()) {
    const shape = inputInfo(unet, name).shape;
    const lv = level(k);
    const dims: number[] = [];
    for (const [axis, d] of shape.entries()) {
      const fixed = staticDim(d);
      const inferred =
        axis === 0
          ? batch
          : fixed !== null
            ? fixed
            : axis === 1
              ? channels(k)
              : lv !== undefined && axis >= 2
                ? Math.ceil((axis === 2 ? h : w) / 2 ** lv)
                : undefined;
      if (inferred === undefined) return null;
      dims.push(inferred);
    }
    feeds[name] = { kind: 'float', tensor: tensor(dims) };
  }
  return feeds;
}

/** Repeats a [1,…] tensor to [batch,…]. */
export function repeatBatch(t: Tensor, batch: number): Tensor {
  if (batch === 1) return t;
  const data = new Float32Array(t.data.length * batch);
  for (let b = 0; b < batch; b++) data.set(t.data, b * t.data.length);
  return tensor([batch, ...t.dims.slice(1)], data);
}

export interface ControlStep {
  latentInput: Tensor;
  timestepFeed: Feed;
  textEmbeddings: Tensor;
  /** conditioning scale for this step: scale × keep */
  scale: number;
}

/**
 * Runs the ControlNet and renames its outputs to the U-Net's residual inputs. When the step
 * is outside the control range (scale 0) and the shapes are known, zeros are fed instead of
 * a ControlNet pass: diffusers runs it with scale 0, which yields exactly zero residuals.
 */
export class ControlNetRunner {
  private readonly map: ResidualMap;
  private zeroShapes: Map<string, number[]> | null = null;

  constructor(
    private readonly controlnet: ModelSession,
    unet: ModelSession,
    /** controlnet_cond [1,3,H,W] in [0,1] */
    private readonly cond: Tensor,
  ) {
    this.map = mapResiduals(controlnet, unet);
  }

  async residuals(step: ControlStep): Promise<Record<string, Feed>> {
    if (step.scale === 0 && this.zeroShapes) return this.zeros();
    const batch = step.latentInput.dims[0];
    // Some exports (onnx-web) have no conditioning_scale input: then the scale is applied here.
    const scaledInGraph = hasInput(this.controlnet, 'conditioning_scale');
    const out = await this.controlnet.run({
      sample: { kind: 'float', tensor: step.latentInput },
      timestep: step.timestepFeed,
      encoder_hidden_states: { kind: 'float', tensor: step.textEmbeddings },
      controlnet_cond: { kind: 'float', tensor: repeatBatch(this.cond, batch) },
      ...(scaledInGraph && { conditioning_scale: scalarFeed(this.controlnet, 'conditioning_scale', step.scale, batch) }),
    });
    if (!scaledInGraph) for (const t of Object.values(out)) t.data.forEach((v, i, a) => (a[i] = v * step.scale));
    const feeds: Record<string, Feed> = {};
    const shapes = new Map<string, number[]>();
    for (const [unetName, t] of Object.entries(residualsByUnetName(out, this.map, this.controlnet.label))) {
      feeds[unetName] = { kind: 'float', tensor: t };
      shapes.set(unetName, [...t.dims]);
    }
    this.zeroShapes = shapes;
    return feeds;
  }

  private zeros(): Record<string, Feed> {
    const feeds: Record<string, Feed> = {};
    for (const [name, dims] of this.zeroShapes ?? []) feeds[name] = { kind: 'float', tensor: tensor(dims) };
    return feeds;
  }
}
