/**
 * The drawing (lib/sketch's state machine) and the images that condition a run: the
 * sketch, an uploaded edge source, an uploaded img2img init. Plain data only.
 */
import { create } from 'zustand';
import { createSketch, sketchReducer, type SketchAction, type SketchState } from '@/lib/sketch';
import type { RgbaImage } from '@/lib/tensor/image';
import type { CannyOptions, FitMode } from '@/lib/sketch';

export type UploadMode = 'auto' | 'lines' | 'canny';

export interface SketchStore {
  sketch: SketchState;
  /** The last image turned into edges, kept so threshold changes can redo it. */
  edgeSource: RgbaImage | null;
  uploadMode: UploadMode;
  fit: FitMode;
  canny: Required<Pick<CannyOptions, 'low' | 'high' | 'sigma'>>;
  /** What the last upload became, for the UI's note ("edges (Canny)", "inverted"). */
  uploadNote: string | null;
  initUpload: RgbaImage | null;
  dispatch: (action: SketchAction) => void;
  patch: (p: Partial<Omit<SketchStore, 'dispatch' | 'patch'>>) => void;
}

export const useSketch = create<SketchStore>()((set) => ({
  // 2 px on the 64 px default canvas: about the line width scribble data is drawn with.
  sketch: createSketch({ width: 64, height: 64, size: 2 }),
  edgeSource: null,
  uploadMode: 'auto',
  fit: 'cover',
  canny: { low: 0.1, high: 0.2, sigma: 1 },
  uploadNote: null,
  initUpload: null,
  dispatch: (action) => set((s) => ({ sketch: sketchReducer(s.sketch, action) })),
  patch: (p) => set(p),
}));
