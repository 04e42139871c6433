/**
 * Recognises a folder's family from its files alone: the pipeline class, the scheduler
 * class, the U-Net's inputs (LCM's `timestep_cond`), the cross-attention width (768: SD 1.x,
 * 1024: SD 2.x), the text encoder's activation (OpenCLIP's gelu vs CLIP's quick_gelu), the
 * pad token ("!" for SD 2.x) and, for "turbo", the repo or folder name. First match wins.
 */
import { FAMILIES } from './catalog';
import type { RecognisedFamily } from './types';

export interface FamilyEvidence {
  pipelineClass?: string;
  schedulerClass?: string;
  /** `_name_or_path` from model_index.json, and the folder's own name or URL. */
  names: string[];
  unetInputs: readonly string[];
  /** encoder_hidden_states' last dim when static, else unet/config.json's cross_attention_dim. */
  crossAttentionDim?: number;
  textEncoderActivation?: string;
  padToken?: string;
}

export function recognizeFamily(e: FamilyEvidence): RecognisedFamily {
  if (e.pipelineClass === 'LatentConsistencyModelPipeline') return { family: FAMILIES.lcm, evidence: `model_index.json: ${e.pipelineClass}` };
  if (e.schedulerClass === 'LCMScheduler') return { family: FAMILIES.lcm, evidence: 'scheduler_config.json: LCMScheduler' };
  if (e.unetInputs.includes('timestep_cond')) return { family: FAMILIES.lcm, evidence: 'unet takes timestep_cond (guidance embedding)' };
  const turbo = e.names.find((n) => /turbo/i.test(n));
  if (turbo) return { family: FAMILIES['sd-turbo'], evidence: `name "${turbo}"` };
  if (e.crossAttentionDim === 768) return { family: FAMILIES.sd1, evidence: 'cross-attention width 768' };
  if (e.crossAttentionDim === 1024) return { family: FAMILIES.sd2, evidence: 'cross-attention width 1024' };
  if (e.textEncoderActivation === 'quick_gelu') return { family: FAMILIES.sd1, evidence: 'text_encoder/config.json: hidden_act quick_gelu (CLIP)' };
  if (e.textEncoderActivation === 'gelu') return { family: FAMILIES.sd2, evidence: 'text_encoder/config.json: hidden_act gelu (OpenCLIP)' };
  if (e.padToken === '!') return { family: FAMILIES.sd2, evidence: 'tokenizer pads with "!" (OpenCLIP)' };
  return { family: FAMILIES.sd, evidence: 'no distinguishing file' };
}
