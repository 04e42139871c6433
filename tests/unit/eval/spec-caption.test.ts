import { describe, expect, it } from 'vitest';
import { CaptionParseError, parseCaption } from '@/lib/eval/caption';
import { SHAPES_SPEC as spec } from '@/lib/eval/default-spec';
import { expectFromScene } from '@/lib/eval/score';
import { canonicalCaption, canonicalScene, heldoutTags, isHeldout, objectColours, parseSpec } from '@/lib/eval/spec';
import specJson from '@/training/shapes/spec.json';
import { byGroup, fixtures } from './fixtures';

describe('shapes spec', () => {
  it('loads spec.json: palette, shapes, slots, held-out list', () => {
    expect(spec.shapes).toEqual(['circle', 'square', 'triangle', 'star']);
    expect(spec.colours.red).toEqual([220, 30, 30]);
    expect(spec.backgrounds.grey).toEqual([128, 128, 128]);
    expect(spec.positions.left).toEqual([18, 32]);
    expect(spec.heldout.background).toEqual(['purple']);
    expect(objectColours(spec, 'white')).not.toContain('white');
    expect(objectColours(spec, 'grey')).toHaveLength(8);
  });

  it('rejects malformed specs', () => {
    expect(() => parseSpec(null)).toThrow(/not an object/);
    expect(() => parseSpec({ ...specJson, version: 2 })).toThrow(/version/);
    expect(() => parseSpec({ ...specJson, colours: { red: [300, 0, 0] } })).toThrow(/colours\.red/);
    expect(() => parseSpec({ ...specJson, shapes: ['hexagon'] })).toThrow(/shapes/);
  });

  const truth = byGroup('truth');

  it("canonicalCaption matches data.py's canonical_caption on every ground-truth scene", () => {
    for (const t of truth) expect(canonicalCaption(t.scene!, spec)).toBe(t.caption);
  });

  it("isHeldout matches data.py's is_heldout", () => {
    expect(truth.some((t) => t.heldout)).toBe(true);
    for (const t of truth) expect(isHeldout(t.scene!, spec), t.caption).toBe(t.heldout);
    expect(heldoutTags(truth.find((t) => t.caption === 'three black stars on a purple background')!.scene!, spec)).toEqual([
      'background:purple',
      'count_shape:3 star',
    ]);
  });

  it("canonicalScene reproduces data.py's canonical geometry", () => {
    for (const t of truth.filter((x) => x.canonical)) {
      const s = t.scene!;
      const objects = s.kind === 'count' ? [s.objects[0]] : s.objects;
      const mine = canonicalScene(
        spec,
        s.kind,
        s.background,
        objects.map((o) => ({ ...o, count: s.objects.length })),
        s.relation,
        s.layout ?? null,
      );
      expect(mine).toEqual(s);
    }
  });
});

describe('caption parser', () => {
  it('recovers every attribute a paraphrase mentions (300 captions from data.py)', () => {
    let sizes = 0;
    let positions = 0;
    for (const { text, scene } of fixtures.captions) {
      const got = parseCaption(text, spec);
      expect(got.kind, text).toBe(scene.kind);
      expect(got.background, text).toBe(text.includes('background') || / on \w+$/.test(text) ? scene.background : null);
      expect(got.relation, text).toBe(scene.relation);
      expect(
        got.objects.map((o) => [o.shape, o.colour]),
        text,
      ).toEqual(scene.objects.map((o) => [o.shape, o.colour]));
      got.objects.forEach((o, i) => {
        if (o.size !== null) {
          expect(o.size, text).toBe(scene.objects[i].size);
          sizes++;
        }
        if (o.position !== null) {
          expect(o.position, text).toBe(scene.objects[i].position);
          positions++;
        }
      });
    }
    expect(sizes).toBeGreaterThan(150);
    expect(positions).toBeGreaterThan(80);
  });

  it('parses a canonical caption into exactly what expectFromScene says', () => {
    for (const t of byGroup('truth')) expect(parseCaption(t.caption!, spec)).toEqual(expectFromScene(t.scene!));
  });

  it('normalises inverse relations to the stored order', () => {
    const p = parseCaption('an image of one little red square right of a big blue circle, gray background', spec);
    expect(p).toEqual({
      kind: 'pair',
      background: 'grey',
      relation: 'left_of',
      objects: [
        { shape: 'circle', colour: 'blue', size: 'big', position: null },
        { shape: 'square', colour: 'red', size: 'small', position: null },
      ],
    });
    expect(parseCaption('a red star under a blue circle', spec).objects.map((o) => o.shape)).toEqual(['circle', 'star']);
    expect(parseCaption('3 large green stars', spec)).toMatchObject({ kind: 'count', background: null });
  });

  it('rejects text outside the grammar', () => {
    expect(() => parseCaption('a red hexagon', spec)).toThrow(CaptionParseError);
    expect(() => parseCaption('a red circle wearing a hat', spec)).toThrow(/unexpected/);
    expect(() => parseCaption('red circle', spec)).toThrow(/a, an or one/);
  });
});
