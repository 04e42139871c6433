/** AUTOMATIC1111's `parameters` text, so other tools (and Lantern) can read a PNG's settings. See infotext.ts. */
import { SCHEDULER_LABELS, type GenerateParams } from '../diffusion/params';
import { formatInfotext, type InfotextInput } from './infotext';

/** `sampler` is what actually ran (GenerateResult.sampler); defaults to the menu label. */
export function formatParameters(
  p: GenerateParams,
  modelName: string,
  sampler = SCHEDULER_LABELS[p.scheduler],
  more: Omit<InfotextInput, 'params' | 'modelName' | 'sampler'> = {},
): string {
  return formatInfotext({ ...more, params: p, modelName, sampler });
}
