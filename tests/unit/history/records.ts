/** Small history records for the store tests. */
import type { HistoryRecord } from '@/lib/history';

export function record(id: string, createdAt: number, overrides: Partial<HistoryRecord> = {}): HistoryRecord {
  return {
    id,
    createdAt,
    params: {
      prompt: `prompt ${id}`,
      negativePrompt: '',
      seed: createdAt,
      steps: 2,
      guidanceScale: 7.5,
      guidanceRescale: 0,
      scheduler: 'euler',
      width: 64,
      height: 64,
    },
    sampler: 'Euler',
    modelName: 'tiny-sd',
    modelSource: '/models/fixtures/tiny-sd/',
    backend: 'wasm',
    timings: { textEncoderMs: 1, unetStepMs: [2, 3], vaeMs: 4, totalMs: 10 },
    warnings: [],
    width: 64,
    height: 64,
    thumbnail: { bytes: new Uint8Array(16).fill(1), type: 'image/webp' },
    bytes: 0,
    hasSketch: false,
    hasInit: false,
    png: new Uint8Array(1000).fill(2),
    sketch: null,
    init: null,
    ...overrides,
  };
}
