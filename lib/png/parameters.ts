/** AUTOMATIC1111's `parameters` text, so other tools (and Lantern later) can read a PNG's settings. */
import type { GenerateParams } from '../diffusion/check-inputs';
import { SCHEDULER_LABELS } from '../diffusion/schedulers';

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
  if (p.guidanceRescale > 0) fields.push(`CFG Rescale phi: ${p.guidanceRescale}`);
  if (p.timestepSpacing) fields.push(`Schedule type: ${p.timestepSpacing}`);
  lines.push(fields.join(', '));
  return lines.join('\n');
}
