export { FAMILIES, SD_TRAINING_SCHEDULE, defaultSchedulerConfig } from './catalog';
export { guidanceScaleEmbedding } from './guidance-embedding';
export { recognizeFamily, type FamilyEvidence } from './recognize';
export { FAMILY_IDS, type Family, type FamilyDefaults, type FamilyId, type PipelineKind, type RecognisedFamily } from './types';
