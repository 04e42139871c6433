/**
 * Load-time check that a folder's parts belong together, from the sessions' declared shapes
 * (issue #11: a text encoder of another width, a VAE of other latent channels loaded fine and
 * failed at Generate with raw runtime text). Only static dims are compared: a symbolic dim
 * ("batch", "sequence") says nothing, so that pair is skipped.
 *
 * | what | first part | second part |
 * | --- | --- | --- |
 * | text width | text encoder `last_hidden_state` [·,·,W] | U-Net / ControlNet `encoder_hidden_states` [·,·,W] |
 * | latent channels | U-Net `sample` [·,C,·,·] | VAE decoder `latent_sample`, ControlNet `sample` |
 * | latent channels | VAE encoder `latent_sample` [·,C,·,·] (`latent_parameters`: 2C, mean ‖ logvar) | U-Net `sample` |
 *
 * Throws ModelMismatchError naming both files and both numbers.
 */
import { ModelMismatchError } from '../errors';
import type { IoInfo, ModelSession } from '../onnx/types';

export interface PartsToCheck {
  textEncoder: ModelSession;
  unet: ModelSession;
  vaeDecoder: ModelSession;
  vaeEncoder?: ModelSession;
  controlnet?: ModelSession;
}

/** A named dim of one session's input or output, when it is a static positive number. */
interface Dim {
  label: string;
  /** "outputs last_hidden_state" / "takes encoder_hidden_states" (with the dim's meaning). */
  what: string;
  value: number;
}

function staticDim(session: ModelSession, io: readonly IoInfo[], name: string | undefined, axis: number, verb: string, meaning: string): Dim | null {
  const info = name === undefined ? io[0] : io.find((i) => i.name === name);
  const v = info?.shape[axis];
  if (!info || typeof v !== 'number' || !(v > 0)) return null;
  return { label: session.label, what: `${verb} ${info.name} ${meaning}`, value: v };
}

function mismatch(a: Dim | null, b: Dim | null): void {
  if (!a || !b || a.value === b.value) return;
  throw new ModelMismatchError(
    [a.label, b.label],
    [a.value, b.value],
    `${a.label} ${a.what} ${a.value} but ${b.label} ${b.what} ${b.value}: these parts come from different models (use parts of one model)`,
  );
}

function hasOutput(s: ModelSession, name: string): boolean {
  return s.outputs.some((o) => o.name === name);
}

/** Throws ModelMismatchError when two parts' static dims disagree (see the table above). */
export function checkPartsFit(parts: PartsToCheck): void {
  const { textEncoder, unet, vaeDecoder, vaeEncoder, controlnet } = parts;
  const textName = hasOutput(textEncoder, 'last_hidden_state') ? 'last_hidden_state' : undefined;
  const textWidth = staticDim(textEncoder, textEncoder.outputs, textName, 2, 'outputs', 'of width');
  mismatch(textWidth, staticDim(unet, unet.inputs, 'encoder_hidden_states', 2, 'takes', 'of width'));
  if (controlnet) mismatch(textWidth, staticDim(controlnet, controlnet.inputs, 'encoder_hidden_states', 2, 'takes', 'of width'));

  const unetChannels = staticDim(unet, unet.inputs, 'sample', 1, 'takes', 'with channels');
  mismatch(unetChannels, staticDim(vaeDecoder, vaeDecoder.inputs, 'latent_sample', 1, 'takes', 'with channels'));
  if (controlnet) mismatch(unetChannels, staticDim(controlnet, controlnet.inputs, 'sample', 1, 'takes', 'with channels'));
  if (vaeEncoder) {
    if (hasOutput(vaeEncoder, 'latent_parameters')) {
      // mean ‖ logvar: twice the latent channels
      const params = staticDim(vaeEncoder, vaeEncoder.outputs, 'latent_parameters', 1, 'outputs', 'with channels (mean ‖ logvar, so latents of half as many)');
      if (params && unetChannels && params.value !== 2 * unetChannels.value) {
        throw new ModelMismatchError(
          [vaeEncoder.label, unet.label],
          [params.value, unetChannels.value],
          `${vaeEncoder.label} ${params.what} ${params.value} but ${unet.label} ${unetChannels.what} ${unetChannels.value}: these parts come from different models (use parts of one model)`,
        );
      }
    } else {
      const name = hasOutput(vaeEncoder, 'latent_sample') ? 'latent_sample' : undefined;
      mismatch(staticDim(vaeEncoder, vaeEncoder.outputs, name, 1, 'outputs', 'with channels'), unetChannels);
    }
  }
}
