import { describe, expect, it } from 'vitest';
import { canUndo, sketchDocProblem, type SketchDoc } from '@/lib/sketch';
import { blank, draw, run } from './helpers';

const saved: SketchDoc = {
  width: 32,
  height: 48,
  background: { width: 2, height: 2, data: new Uint8Array([0, 255, 255, 0]) },
  strokes: [
    {
      tool: 'brush',
      size: 4,
      points: [
        { x: 1, y: 1, w: 4 },
        { x: 9, y: 9, w: 4 },
      ],
    },
  ],
};

describe("sketch state: 'load' (a history entry's sketch)", () => {
  it('replaces the document as one undo step', () => {
    const drawn = draw(blank(), [
      [5, 5],
      [20, 20],
    ]);
    const loaded = run(drawn, { type: 'load', doc: saved });
    expect(loaded.doc).toBe(saved);
    expect(canUndo(loaded)).toBe(true);
    expect(run(loaded, { type: 'undo' }).doc).toBe(drawn.doc);
    expect(run(loaded, { type: 'load', doc: saved })).toBe(loaded);
  });

  it('refuses a document the rasterizer could not draw, saying why', () => {
    const bad = { ...saved, background: { width: 2, height: 2, data: new Uint8Array(3) } };
    expect(() => run(blank(), { type: 'load', doc: bad })).toThrow(/load: background 2×2 needs 4 bytes \(got 3\)/);
    expect(sketchDocProblem({ ...saved, strokes: [{ tool: 'pen', size: 1, points: [] }] })).toMatch(/tool/);
    expect(sketchDocProblem({ ...saved, strokes: [{ tool: 'brush', size: 1, points: [{ x: NaN, y: 0, w: 1 }] }] })).toMatch(/point 0/);
    expect(sketchDocProblem({ ...saved, width: 9000 })).toMatch(/size/);
    expect(sketchDocProblem(saved)).toBeNull();
  });
});
