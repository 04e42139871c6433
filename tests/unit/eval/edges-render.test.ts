import { describe, expect, it } from 'vitest';
import { SHAPES_SPEC as spec } from '@/lib/eval/default-spec';
import { edgeF1, imageEdges, sketchEdgeF1, sketchLines, thin } from '@/lib/eval/edges';
import { SeededRandom } from '@/lib/eval/random';
import { outlineSketch, renderScene, scribbleSketch, shapeArea, shapeOutline, strokePolylines } from '@/lib/eval/render';
import type { Scene } from '@/lib/eval/spec';
import { cannyEdges, toGray } from '@/lib/sketch';
import { byGroup, grayTile, item, tile } from './fixtures';

const truth = byGroup('truth');
const sketches = byGroup('sketch');
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const roll = (g: Uint8Array, dx: number, dy: number) => Uint8Array.from({ length: 64 * 64 }, (_, p) => g[(((p >> 6) + dy) & 63) * 64 + (((p & 63) + dx) & 63)]);
const count = (m: Uint8Array) => m.reduce((a, v) => a + (v ? 1 : 0), 0);

/** No stroke of one scene's exact outline comes within 5 px of the other's. */
function disjoint(a: Scene, b: Scene): boolean {
  return edgeF1(sketchLines(outlineSketch(a), 64, 64), sketchLines(outlineSketch(b), 64, 64), 64, 64, 5).f1 === 0;
}

describe('edge F1', () => {
  it('is 1 for identical masks, 0 beyond the tolerance, 1 for two empty masks', () => {
    const a = new Uint8Array(64 * 64);
    for (let x = 10; x < 50; x++) a[32 * 64 + x] = 255;
    expect(edgeF1(a, a, 64, 64).f1).toBe(1);
    const shifted = new Uint8Array(64 * 64);
    for (let x = 10; x < 50; x++) shifted[35 * 64 + x] = 255;
    expect(edgeF1(shifted, a, 64, 64, 2).f1).toBe(0);
    expect(edgeF1(shifted, a, 64, 64, 3).f1).toBe(1);
    expect(edgeF1(new Uint8Array(4096), new Uint8Array(4096), 64, 64).f1).toBe(1);
    expect(edgeF1(new Uint8Array(4096), a, 64, 64)).toMatchObject({ f1: 0, recall: 0 });
  });

  it('thins strokes to one-pixel centre lines', () => {
    const thick = strokePolylines(
      [
        [
          [10, 20],
          [54, 20],
        ],
      ],
      3,
      64,
      64,
    );
    const lines = sketchLines(thick, 64, 64);
    const rows = new Set<number>();
    lines.forEach((v, p) => v && rows.add(Math.floor(p / 64)));
    expect([...rows].every((r) => Math.abs(r - 19.5) <= 1)).toBe(true);
    expect(count(lines)).toBeGreaterThan(38);
    expect(count(lines)).toBeLessThan(48);
    expect(count(thin(new Uint8Array(4096), 64, 64))).toBe(0);
  });

  it('sees colour edges a luminance-only Canny misses (red on purple)', () => {
    const scene: Scene = {
      kind: 'single',
      background: 'purple',
      relation: null,
      objects: [{ shape: 'square', colour: 'red', size: 'big', position: 'centre', cx: 32, cy: 32, r: 12, rot: 0 }],
    };
    const img = renderScene(scene, spec);
    expect(count(cannyEdges(toGray(img), 64, 64, { thresholds: 'absolute' }))).toBe(0);
    expect(sketchEdgeF1(img, outlineSketch(scene)).f1).toBeGreaterThan(0.98);
  });

  it('≈ 1 between every ground-truth image and its own exact outline', () => {
    const f1 = truth.map((t) => sketchEdgeF1(tile(t.id), outlineSketch(t.scene!)).f1);
    expect(Math.min(...f1)).toBeGreaterThan(0.97);
    expect(mean(f1)).toBeGreaterThan(0.995);
  });

  it("high between an image and data.py's scribble of it, ≈ 0 against an unrelated scribble", () => {
    const own = sketches.map((s) => sketchEdgeF1(tile(s.of!), grayTile(s.id)).f1);
    expect(mean(own)).toBeGreaterThan(0.9); // 0.94: wobble and radius jitter put some strokes > 2 px off
    expect(Math.min(...own)).toBeGreaterThan(0.7);
    const unrelated: number[] = [];
    const mismatched: number[] = [];
    for (const s of sketches) {
      for (const t of sketches) {
        if (s.of === t.of) continue;
        const f = sketchEdgeF1(tile(s.of!), grayTile(t.id)).f1;
        mismatched.push(f);
        if (disjoint(item(s.of!).scene!, item(t.of!).scene!)) unrelated.push(f);
      }
    }
    expect(unrelated.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...unrelated)).toBeLessThan(0.05);
    expect(mean(mismatched)).toBeLessThan(0.35); // scenes sharing a slot overlap by chance
    // The same scribble drawn half an image away (rolled by 32, 32): nothing matches.
    const moved = sketches.map((s) => sketchEdgeF1(tile(s.of!), roll(grayTile(s.id), 32, 32)).f1);
    expect(Math.max(...moved)).toBeLessThan(0.02);
  });
});

describe('TS renders of scenes', () => {
  it("match data.py's render_scene to a fraction of a level on average", () => {
    for (const t of truth) {
      const a = tile(t.id);
      const b = renderScene(t.scene!, spec);
      let sum = 0;
      for (let i = 0; i < a.data.length; i++) if (i % 4 !== 3) sum += Math.abs(a.data[i] - b.data[i]);
      expect(sum / (64 * 64 * 3), t.caption).toBeLessThan(1); // edge pixels differ (PIL's fill rule), interiors match
    }
  });

  it('shape areas and outlines follow data.py', () => {
    expect(shapeArea('circle', 2)).toBeCloseTo(4 * Math.PI, 9);
    expect(shapeArea('square', 1)).toBeCloseTo(1.7 * 1.7, 9);
    expect(shapeOutline('star', 0, 0, 1)).toHaveLength(10);
    expect(shapeOutline('triangle', 10, 10, 10)[0][0]).toBeCloseTo(10, 9);
    expect(shapeOutline('triangle', 10, 10, 10)[0][1]).toBeCloseTo(10 - 11.5 + 1.2, 9);
  });

  it("scribbles look like data.py's: similar F1 to the render, deterministic per seed", () => {
    const ours = sketches.map((s) => sketchEdgeF1(tile(s.of!), scribbleSketch(item(s.of!).scene!, new SeededRandom(s.id))).f1);
    const theirs = sketches.map((s) => sketchEdgeF1(tile(s.of!), grayTile(s.id)).f1);
    expect(Math.abs(mean(ours) - mean(theirs))).toBeLessThan(0.08);
    const scene = item(0).scene!;
    expect(scribbleSketch(scene, new SeededRandom(1))).toEqual(scribbleSketch(scene, new SeededRandom(1)));
    expect(scribbleSketch(scene, new SeededRandom(1))).not.toEqual(scribbleSketch(scene, new SeededRandom(2)));
  });

  it('image edges of a flat background are empty', () => {
    const scene: Scene = { kind: 'single', background: 'grey', relation: null, objects: [] };
    expect(count(imageEdges(renderScene(scene, spec)))).toBe(0);
  });
});
