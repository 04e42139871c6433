'use client';
/** Gathers what a run needs from the stores: sliders → params, sketch/uploads → images. */
import type { RgbaImage } from '@/lib/tensor/image';
import type { RunRequest } from './studio-controller';
import type { GenerateImages } from '@/lib/diffusion/pipeline';
import { isEmpty, toControlImage, toDisplayImage } from '@/lib/sketch';
import { useRun } from '@/stores/run';
import { useSettings } from '@/stores/settings';
import { useSketch } from '@/stores/sketch';

/** Steps for live mode when the model recommends none: quick feedback over quality. */
const LIVE_MAX_STEPS = 8;

function randomSeed(): number {
  // A1111-style 32-bit seeds; the engine itself never draws randomness.
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

export function buildRunRequest(opts: { live: boolean }): RunRequest {
  const s = useSettings.getState();
  const { model, result } = useRun.getState();
  const { sketch, initUpload } = useSketch.getState();
  // Live mode keeps the seed fixed so only the drawing changes the picture.
  const seed = s.seedMode === 'fixed' || opts.live ? s.seed : randomSeed();
  if (seed !== s.seed) s.set({ seed });

  const images: GenerateImages = {};
  if (model?.hasControlNet && s.controlEnabled && !isEmpty(sketch)) images.control = toControlImage(sketch, s.width, s.height);
  let init: RgbaImage | null = null;
  if (model?.hasVaeEncoder) {
    if (s.initSource === 'sketch') init = toDisplayImage({ doc: sketch.doc }, s.width, s.height, { inkOnLight: true });
    if (s.initSource === 'last' && result) init = { width: result.width, height: result.height, data: result.rgba };
    if (s.initSource === 'upload' && initUpload) init = initUpload;
  }
  if (init) images.init = init;
  const steps = opts.live ? (model?.recommended.liveSteps ?? Math.min(s.steps, LIVE_MAX_STEPS)) : s.steps;
  return {
    previews: s.previews && !opts.live,
    live: opts.live,
    images,
    inputs: { sketch: images.control ? sketch.doc : null, init },
    params: {
      prompt: s.prompt,
      negativePrompt: s.negativePrompt,
      seed,
      steps,
      guidanceScale: s.guidanceScale,
      guidanceRescale: s.guidanceRescale,
      scheduler: s.scheduler,
      width: s.width,
      height: s.height,
      ...(images.control && { controlScale: s.controlScale, controlStart: s.controlStart, controlEnd: s.controlEnd }),
      ...(images.init && { strength: s.strength }),
    },
  };
}
