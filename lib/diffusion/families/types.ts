/** Model families Lantern recognises from a folder's files, and what each needs from the loop. */
import type { SchedulerName } from '../schedulers';

export const FAMILY_IDS = ['sd1', 'sd2', 'sd-turbo', 'lcm', 'sd'] as const;
export type FamilyId = (typeof FAMILY_IDS)[number];

/** The settings a user of the family expects (used when the folder has no lantern.json). */
export interface FamilyDefaults {
  steps: number;
  guidance: number;
  width: number;
  height: number;
  scheduler: SchedulerName;
}

/** The denoising loop a family runs (lib/diffusion/pipeline.ts dispatches on it). */
export type PipelineKind = 'stable-diffusion';

export interface Family {
  id: FamilyId;
  pipeline: PipelineKind;
  /** Shown in the studio, e.g. "SD-Turbo (SD 2.1 distilled)". */
  label: string;
  defaults: FamilyDefaults;
  /** false: the U-Net is distilled to follow guidance without an unconditional pass (LCM). */
  classifierFreeGuidance: boolean;
}

export interface RecognisedFamily {
  family: Family;
  /** Why: the evidence that decided, e.g. "model_index.json: LatentConsistencyModelPipeline". */
  evidence: string;
}
