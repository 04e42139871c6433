/** AUTOMATIC1111's `parameters` text, so other tools (and Lantern later) can read a PNG's settings. */
import { DEFAULT_PARAMS, SCHEDULER_LABELS, type GenerateParams } from '../diffusion/params';

/** `sampler` is what actually ran (GenerateResult.sampler); defaults to the menu label. */
export function formatParameters(p: GenerateParams, modelName: string, sampler = SCHEDULER_LABELS[p.scheduler]): string {
  const lines = [p.prompt];
  if (p.negativePrompt) lines.push(`Negative prompt: ${p.negativePrompt}`);
  const fields = [
    `Steps: ${p.steps}`,
    `Sampler: ${sampler}`,
    `CFG scale: ${p.guidanceScale}`,
    `Seed: ${p.seed}`,
    `Size: ${p.width}x${p.height}`,
    `Model: ${modelName}`,
  ];
  // Written only when it differs from the default (0, off), as A1111 does.
  if (p.guidanceRescale !== DEFAULT_PARAMS.guidanceRescale) fields.push(`CFG Rescale phi: ${p.guidanceRescale}`);
  if (p.timestepSpacing) fields.push(`Schedule type: ${p.timestepSpacing}`);
  lines.push(fields.join(', '));
  return lines.join('\n');
}
