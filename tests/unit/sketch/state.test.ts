import { describe, expect, it } from 'vitest';
import { canRedo, canUndo, createSketch, isEmpty, MAX_BRUSH_SIZE, MIN_BRUSH_SIZE, sketchReducer } from '@/lib/sketch/state';
import { PRESSURE_MAX_FACTOR, PRESSURE_MIN_FACTOR } from '@/lib/sketch/stroke';
import { blank, draw, run } from './helpers';

describe('sketch state: tools and brush size', () => {
  it('starts empty with the brush, the default size and a 50-step history', () => {
    const s = blank();
    expect(s.tool).toBe('brush');
    expect(s.size).toBe(6);
    expect(s.historyLimit).toBe(50);
    expect(s.doc).toEqual({ width: 64, height: 64, background: null, strokes: [] });
    expect(isEmpty(s)).toBe(true);
    expect(canUndo(s) || canRedo(s)).toBe(false);
  });

  it('rejects impossible sizes and history limits with the value in the message', () => {
    expect(() => createSketch({ width: 0, height: 64 })).toThrow(/width must be an integer in \[1, 8192\] \(got 0\)/);
    expect(() => createSketch({ width: 64, height: 12.5 })).toThrow(/height .*got 12.5/);
    expect(() => createSketch({ width: 64, height: 64, historyLimit: -1 })).toThrow(/historyLimit/);
  });

  it('switches tools; an action that changes nothing returns the same state', () => {
    const s = blank();
    const e = run(s, { type: 'setTool', tool: 'eraser' });
    expect(e.tool).toBe('eraser');
    expect(run(e, { type: 'setTool', tool: 'eraser' })).toBe(e);
    expect(run(s, { type: 'pointerMove', pointerId: 1, x: 1, y: 1, pressure: 0.5 })).toBe(s);
    expect(run(s, { type: 'pointerUp', pointerId: 1 })).toBe(s);
    expect(run(s, { type: 'undo' })).toBe(s);
  });

  it('[ and ] walk the size ladder and clamp to 1…64', () => {
    let s = run(blank(), { type: 'setSize', size: 5 });
    expect(run(s, { type: 'sizeUp' }).size).toBe(6);
    expect(run(s, { type: 'sizeDown' }).size).toBe(4);
    s = run(s, { type: 'setSize', size: 1 });
    expect(run(s, { type: 'sizeDown' })).toBe(s);
    const ups: number[] = [];
    for (let i = 0; i < 14; i++) ups.push((s = run(s, { type: 'sizeUp' })).size);
    expect(ups).toEqual([2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 64, 64, 64]);
    expect(run(s, { type: 'setSize', size: 1000 }).size).toBe(MAX_BRUSH_SIZE);
    expect(run(s, { type: 'setSize', size: -3 }).size).toBe(MIN_BRUSH_SIZE);
    expect(run(s, { type: 'setSize', size: Number.NaN })).toBe(s);
  });

  it('is plain data: structuredClone keeps it whole', () => {
    const s = draw(blank(), [
      [10, 10],
      [40, 40],
    ]);
    expect(structuredClone(s)).toEqual(s);
  });
});

describe('sketch state: pointer lifecycle', () => {
  it('down → moves → up commits one stroke of the current tool and size', () => {
    const s = draw(run(blank(), { type: 'setSize', size: 4 }), [
      [10, 10],
      [50, 10],
      [50, 50],
    ]);
    expect(s.active).toBeNull();
    expect(s.doc.strokes).toHaveLength(1);
    const [stroke] = s.doc.strokes;
    expect(stroke.tool).toBe('brush');
    expect(stroke.size).toBe(4);
    // end points stay where the user put them; the corner is rounded off by the smoothing
    expect(stroke.points[0]).toEqual({ x: 10, y: 10, w: 4 });
    expect(stroke.points[stroke.points.length - 1]).toEqual({ x: 50, y: 50, w: 4 });
    const corner = Math.min(...stroke.points.map((p) => Math.hypot(p.x - 50, p.y - 10)));
    expect(corner).toBeGreaterThan(0.5);
  });

  it('drops samples closer than a fraction of the size, but the stroke still ends at the last one', () => {
    let s = run(blank(), { type: 'setSize', size: 20 }, { type: 'pointerDown', pointerId: 1, pointerType: 'mouse', x: 10, y: 10, pressure: 0.5 });
    for (let i = 1; i <= 10; i++) s = run(s, { type: 'pointerMove', pointerId: 1, x: 10 + i * 0.5, y: 10, pressure: 0.5 });
    expect(s.active?.points.map((p) => p.x)).toEqual([10, 13]); // spacing 3 px for size 20
    expect(s.active?.tail?.x).toBe(15);
    const ended = run(s, { type: 'pointerUp', pointerId: 1 });
    expect(ended.doc.strokes[0].points.at(-1)?.x).toBe(15);
    s = run(s, { type: 'pointerMove', pointerId: 1, x: 16, y: 10, pressure: 0.5 });
    expect(s.active?.points.map((p) => p.x)).toEqual([10, 13, 16]);
    expect(s.active?.tail).toBeNull();
  });

  it('a tap is a dot: one point', () => {
    const s = run(blank(), { type: 'pointerDown', pointerId: 1, pointerType: 'touch', x: 5, y: 6, pressure: 0.5 }, { type: 'pointerUp', pointerId: 1 });
    expect(s.doc.strokes[0].points).toEqual([{ x: 5, y: 6, w: 6 }]);
  });

  it('pointerUp coordinates end the stroke there', () => {
    const s = run(
      blank(),
      { type: 'pointerDown', pointerId: 1, pointerType: 'mouse', x: 5, y: 5, pressure: 0.5 },
      { type: 'pointerUp', pointerId: 1, x: 30, y: 5, pressure: 0 },
    );
    expect(s.doc.strokes[0].points.map((p) => [p.x, p.w])).toEqual([
      [5, 6],
      [30, 6],
    ]);
  });

  it('pointerCancel discards the stroke in progress and adds no history', () => {
    let s = run(blank(), { type: 'pointerDown', pointerId: 7, pointerType: 'touch', x: 5, y: 5, pressure: 0.5 });
    s = run(s, { type: 'pointerMove', pointerId: 7, x: 30, y: 30, pressure: 0.5 });
    expect(s.active).not.toBeNull();
    s = run(s, { type: 'pointerCancel', pointerId: 7 });
    expect(s.active).toBeNull();
    expect(s.doc.strokes).toHaveLength(0);
    expect(canUndo(s)).toBe(false);
  });

  it('ignores a second pointer while drawing (multi-touch)', () => {
    let s = run(blank(), { type: 'pointerDown', pointerId: 1, pointerType: 'touch', x: 5, y: 5, pressure: 0.5 });
    const drawing = s;
    s = run(s, { type: 'pointerDown', pointerId: 2, pointerType: 'touch', x: 60, y: 60, pressure: 0.5 });
    expect(s).toBe(drawing);
    s = run(
      s,
      { type: 'pointerMove', pointerId: 2, x: 50, y: 50, pressure: 0.5 },
      { type: 'pointerUp', pointerId: 2 },
      { type: 'pointerCancel', pointerId: 2 },
    );
    expect(s).toBe(drawing);
    s = run(s, { type: 'pointerMove', pointerId: 1, x: 20, y: 5, pressure: 0.5 }, { type: 'pointerUp', pointerId: 1 });
    expect(s.doc.strokes).toHaveLength(1);
    expect(s.doc.strokes[0].points.every((p) => p.y === 5)).toBe(true);
  });

  it('ignores non-finite coordinates', () => {
    const s = blank();
    expect(run(s, { type: 'pointerDown', pointerId: 1, pointerType: 'mouse', x: Number.NaN, y: 1, pressure: 0.5 })).toBe(s);
  });

  it('a pen eraser end overrides the tool for its stroke only', () => {
    let s = draw(blank(), [
      [5, 5],
      [20, 5],
    ]);
    s = run(s, { type: 'pointerDown', pointerId: 3, pointerType: 'pen', tool: 'eraser', x: 5, y: 5, pressure: 0.5 }, { type: 'pointerUp', pointerId: 3 });
    expect(s.doc.strokes.map((k) => k.tool)).toEqual(['brush', 'eraser']);
    expect(s.tool).toBe('brush');
  });

  it('an eraser stroke on an empty sketch adds no undo step', () => {
    const s = draw(run(blank(), { type: 'setTool', tool: 'eraser' }), [
      [5, 5],
      [20, 5],
    ]);
    expect(s.doc.strokes).toHaveLength(0);
    expect(canUndo(s)).toBe(false);
  });
});

describe('sketch state: pressure', () => {
  const widths = (pointerType: string, pressure: number) =>
    draw(
      run(blank(), { type: 'setSize', size: 8 }),
      [
        [5, 5],
        [40, 5],
      ],
      { pointerType, pressure },
    ).doc.strokes[0].points.map((p) => p.w);

  it('pen pressure 0.5 draws the nominal size, 1 and 0 the ends of the range', () => {
    expect(new Set(widths('pen', 0.5))).toEqual(new Set([8]));
    expect(new Set(widths('pen', 1))).toEqual(new Set([8 * PRESSURE_MAX_FACTOR]));
    expect(new Set(widths('pen', 0))).toEqual(new Set([8 * PRESSURE_MIN_FACTOR]));
    expect(new Set(widths('pen', 0.75))[Symbol.iterator]().next().value).toBeCloseTo(8 * (1 + (PRESSURE_MAX_FACTOR - 1) / 2));
  });

  it('mouse and touch draw the nominal size whatever they report', () => {
    expect(new Set(widths('mouse', 1))).toEqual(new Set([8]));
    expect(new Set(widths('touch', 0.1))).toEqual(new Set([8]));
  });

  it('widths follow the pressure along the stroke and are smoothed', () => {
    const pressure = Array.from({ length: 17 }, (_, i) => i / 16);
    const s = draw(
      run(blank(), { type: 'setSize', size: 8 }),
      [
        [5, 5],
        [35, 5],
        [60, 5],
      ],
      { pointerType: 'pen', pressure },
    );
    const w = s.doc.strokes[0].points.map((p) => p.w);
    for (let i = 1; i < w.length; i++) expect(w[i]).toBeGreaterThanOrEqual(w[i - 1] - 1e-9);
    expect(w[0]).toBe(2);
    expect(w.at(-1)).toBe(14);
  });

  it("a pen's pointerUp with pressure 0 keeps the last width", () => {
    const s = run(
      run(blank(), { type: 'setSize', size: 8 }),
      { type: 'pointerDown', pointerId: 1, pointerType: 'pen', x: 5, y: 5, pressure: 1 },
      { type: 'pointerUp', pointerId: 1, x: 30, y: 5, pressure: 0 },
    );
    expect(s.doc.strokes[0].points.map((p) => p.w)).toEqual([14, 14]);
  });
});

describe('sketch state: undo, redo, clear', () => {
  const a: [number, number][] = [
    [5, 5],
    [20, 5],
  ];
  const b: [number, number][] = [
    [5, 30],
    [20, 30],
  ];
  const c: [number, number][] = [
    [5, 50],
    [20, 50],
  ];

  it('undo and redo step through strokes', () => {
    const two = draw(draw(blank(), a), b);
    const one = run(two, { type: 'undo' });
    expect(one.doc.strokes).toEqual(two.doc.strokes.slice(0, 1));
    expect(canRedo(one)).toBe(true);
    const again = run(one, { type: 'redo' });
    expect(again.doc).toBe(two.doc);
    expect(canRedo(again)).toBe(false);
    expect(run(again, { type: 'redo' })).toBe(again);
  });

  it('a new stroke clears the redo stack', () => {
    const s = draw(run(draw(draw(blank(), a), b), { type: 'undo' }), c);
    expect(canRedo(s)).toBe(false);
    expect(s.doc.strokes.map((k) => k.points[0].y)).toEqual([5, 50]);
  });

  it('clear is one undoable step; clearing an empty sketch is not a step', () => {
    const drawn = draw(draw(blank(), a), b);
    const cleared = run(drawn, { type: 'clear' });
    expect(cleared.doc.strokes).toHaveLength(0);
    expect(cleared.past).toHaveLength(3);
    expect(run(cleared, { type: 'clear' })).toBe(cleared);
    expect(run(cleared, { type: 'undo' }).doc).toBe(drawn.doc);
    expect(run(cleared, { type: 'undo' }, { type: 'redo' }).doc).toBe(cleared.doc);
  });

  it('undo while drawing drops the unfinished stroke', () => {
    let s = draw(blank(), a);
    s = run(s, { type: 'pointerDown', pointerId: 1, pointerType: 'mouse', x: 1, y: 1, pressure: 0.5 }, { type: 'undo' });
    expect(s.active).toBeNull();
    expect(s.doc.strokes).toHaveLength(0);
    expect(run(s, { type: 'pointerUp', pointerId: 1 })).toBe(s);
  });

  it('keeps at most historyLimit steps: 51 strokes with a bound of 50 allow 50 undos', () => {
    let s = blank(64, 64, 50);
    for (let i = 0; i < 51; i++)
      s = draw(
        s,
        [
          [i, 1],
          [i, 60],
        ],
        { steps: 1 },
      );
    expect(s.past).toHaveLength(50);
    let undos = 0;
    while (canUndo(s)) {
      s = sketchReducer(s, { type: 'undo' });
      undos++;
    }
    expect(undos).toBe(50);
    expect(s.doc.strokes).toHaveLength(1);
    expect(s.doc.strokes[0].points[0].x).toBe(0);
    expect(s.future).toHaveLength(50);
  });

  it('a limit of 0 keeps no history', () => {
    const s = draw(blank(64, 64, 0), a);
    expect(s.doc.strokes).toHaveLength(1);
    expect(canUndo(s)).toBe(false);
  });
});

describe('sketch state: resize', () => {
  it('stretches strokes proportionally; widths by the geometric mean of the factors', () => {
    const s = draw(run(blank(64, 64), { type: 'setSize', size: 4 }), [
      [8, 16],
      [32, 16],
    ]);
    const r = run(s, { type: 'resize', width: 128, height: 32 });
    expect([r.doc.width, r.doc.height]).toEqual([128, 32]);
    const before = s.doc.strokes[0];
    const after = r.doc.strokes[0];
    expect(after.size).toBeCloseTo(4); // √(2 · 0.5) = 1
    after.points.forEach((p, i) => {
      expect(p.x).toBeCloseTo(before.points[i].x * 2);
      expect(p.y).toBeCloseTo(before.points[i].y / 2);
    });
    expect(r.size).toBe(4); // the brush setting is the user's, not the document's
  });

  it('resizes the history too, so undo stays at the new size; it is not an undo step', () => {
    const s = draw(
      draw(blank(64, 64), [
        [8, 8],
        [16, 8],
      ]),
      [
        [8, 40],
        [16, 40],
      ],
    );
    const r = run(s, { type: 'resize', width: 32, height: 32 });
    expect(r.past).toHaveLength(2);
    const u = run(r, { type: 'undo' });
    expect([u.doc.width, u.doc.height]).toEqual([32, 32]);
    expect(u.doc.strokes[0].points[0]).toEqual({ x: 4, y: 4, w: 3 });
    // history entries still share stroke objects after a resize
    expect(u.doc.strokes[0]).toBe(r.doc.strokes[0]);
    expect(run(r, { type: 'resize', width: 32, height: 32 })).toBe(r);
  });

  it('rejects non-integer or empty sizes', () => {
    expect(() => run(blank(), { type: 'resize', width: 0, height: 10 })).toThrow(/resize: width/);
  });
});

describe('sketch state: background layer and emptiness', () => {
  const mask = (fill: number) => ({ width: 64, height: 64, data: new Uint8Array(64 * 64).fill(fill) });

  it('importing replaces the sketch and is undoable', () => {
    const drawn = draw(blank(), [
      [5, 5],
      [20, 5],
    ]);
    const m = mask(255);
    const imported = run(drawn, { type: 'importBackground', mask: m });
    expect(imported.doc.background).toBe(m);
    expect(imported.doc.strokes).toHaveLength(0);
    expect(run(imported, { type: 'undo' }).doc).toBe(drawn.doc);
    expect(isEmpty(imported)).toBe(false);
    expect(isEmpty(run(imported, { type: 'importBackground', mask: mask(0) }))).toBe(true);
  });

  it('rejects a mask whose data does not match its size', () => {
    expect(() => run(blank(), { type: 'importBackground', mask: { width: 4, height: 4, data: new Uint8Array(15) } })).toThrow(/4×4 needs 16 bytes \(got 15\)/);
  });

  it('is empty after clear and after undoing the only stroke', () => {
    const one = draw(blank(), [
      [5, 5],
      [20, 5],
    ]);
    expect(isEmpty(one)).toBe(false);
    expect(isEmpty(run(one, { type: 'clear' }))).toBe(true);
    expect(isEmpty(run(one, { type: 'undo' }))).toBe(true);
  });

  it('a stroke in progress is not ink yet', () => {
    const s = run(blank(), { type: 'pointerDown', pointerId: 1, pointerType: 'mouse', x: 5, y: 5, pressure: 0.5 });
    expect(isEmpty(s)).toBe(true);
  });

  it('is empty when the eraser removed every bit of ink, not when it removed part', () => {
    const one = draw(blank(), [
      [10, 10],
      [30, 10],
    ]);
    const wide = run(one, { type: 'setTool', tool: 'eraser' }, { type: 'setSize', size: 24 });
    expect(
      isEmpty(
        draw(wide, [
          [4, 10],
          [36, 10],
        ]),
      ),
    ).toBe(true);
    expect(
      isEmpty(
        draw(wide, [
          [30, 10],
          [36, 10],
        ]),
      ),
    ).toBe(false);
  });
});
