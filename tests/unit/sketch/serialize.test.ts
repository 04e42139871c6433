import { describe, expect, it } from 'vitest';
import { sketchFromText, sketchToText } from '@/lib/sketch/serialize';
import type { SketchDoc } from '@/lib/sketch';

const doc: SketchDoc = {
  width: 64,
  height: 48,
  strokes: [
    {
      tool: 'brush',
      size: 2,
      points: [
        { x: 1.5, y: 2, w: 2 },
        { x: 10, y: 12.25, w: 1.75 },
      ],
    },
  ],
  background: { width: 3, height: 2, data: new Uint8Array([0, 255, 7, 128, 1, 2]) },
};

describe('sketch text', () => {
  it('round-trips strokes and the edge map bytes', () => {
    expect(sketchFromText(sketchToText(doc))).toEqual(doc);
    const plain = { ...doc, background: null };
    expect(sketchFromText(sketchToText(plain))).toEqual(plain);
  });
  it('a big edge map survives (base64 in slices)', () => {
    const data = new Uint8Array(512 * 512).map((_, i) => i % 251);
    const big = { ...doc, background: { width: 512, height: 512, data } };
    expect(sketchFromText(sketchToText(big))?.background?.data).toEqual(data);
  });
  it('anything else is null, never a throw', () => {
    for (const bad of [null, '', 'x', '{}', '[]', '{"format":"lantern-sketch/1","width":-1,"height":2,"strokes":[],"background":null}']) {
      expect(sketchFromText(bad)).toBeNull();
    }
    const text = sketchToText(doc).replace('"tool":"brush"', '"tool":"laser"');
    expect(sketchFromText(text)).toBeNull();
    expect(sketchFromText(sketchToText(doc).replace(/"data":"[^"]*"/, '"data":"AAA="'))).toBeNull();
  });
});
