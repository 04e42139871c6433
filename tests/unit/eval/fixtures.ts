/** The evaluator's ground-truth fixtures (tests/fixtures/eval, written by make_eval_fixtures.py). */
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import type { RgbaImage } from '@/lib/tensor/image';
import type { Scene, SceneObject } from '@/lib/eval/spec';

const DIR = 'tests/fixtures/eval';

export interface FixtureItem {
  id: number;
  group: 'truth' | 'wrong' | 'sketch';
  scene?: Scene & { objects: Required<SceneObject>[] };
  caption?: string;
  heldout?: boolean;
  canonical?: boolean;
  /** wrong: the truth tile whose scene it is scored against, and what was changed. */
  expect?: number;
  corruption?: 'colour' | 'shape' | 'count' | 'position' | 'background';
  /** sketch: the truth tile it is a scribble of. */
  of?: number;
}

export interface CaptionCase {
  text: string;
  scene: Scene;
}

interface FixtureFile {
  tile: number;
  columns: number;
  items: FixtureItem[];
  captions: CaptionCase[];
}

export const fixtures: FixtureFile = JSON.parse(readFileSync(`${DIR}/fixtures.json`, 'utf8'));
const atlas = PNG.sync.read(readFileSync(`${DIR}/atlas.png`));

export function tile(id: number): RgbaImage {
  const T = fixtures.tile;
  const cx = (id % fixtures.columns) * T;
  const cy = Math.floor(id / fixtures.columns) * T;
  const data = new Uint8ClampedArray(T * T * 4);
  for (let y = 0; y < T; y++) {
    const src = ((cy + y) * atlas.width + cx) * 4;
    data.set(atlas.data.subarray(src, src + T * 4), y * T * 4);
  }
  return { width: T, height: T, data };
}

/** A grey tile (R = G = B) as a plane of 0…255. */
export function grayTile(id: number): Uint8Array {
  const img = tile(id);
  return Uint8Array.from({ length: img.width * img.height }, (_, p) => img.data[p * 4]);
}

export const byGroup = (g: FixtureItem['group']) => fixtures.items.filter((i) => i.group === g);
export const item = (id: number) => fixtures.items[id];
