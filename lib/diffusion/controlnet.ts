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
import { hasInput, type Feed, type ModelSession } from '../onnx/types';
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

export function mapResiduals(controlnet: ModelSession, unet: ModelSession): ResidualMap {
  const unetIn = unetResidualInputs(unet);
  const outs = controlnet.outputs.map((o) => o.name);
  const ctlDown = indexed(outs, CONTROL_DOWN);
  const ctlMid = outs.find((n) => CONTROL_MID.test(n));
  if (!unetIn.mid || unetIn.down.length === 0) {
    throw new Error(`unet/model.onnx: takes no ControlNet residuals (inputs: ${unet.inputs.map((i) => i.name).join(', ')})`);
  }
  if (ctlDown.length !== unetIn.down.length || !ctlMid) {
    throw new Error(
      `controlnet/model.onnx: outputs ${ctlDown.length} down residuals${ctlMid ? '' : ' and no mid residual'}, unet/model.onnx takes ${unetIn.down.length} + mid`,
    );
  }
  return { pairs: [...unetIn.down.map((u, i): [string, string] => [u, ctlDown[i]]), [unetIn.mid, ctlMid]] };
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
    for (const [unetName, ctlName] of this.map.pairs) {
      const t = out[ctlName];
      if (!t) throw new Error(`controlnet/model.onnx: produced no "${ctlName}"`);
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
