import { describe, expect, it } from 'vitest';
import { parseCaption } from '@/lib/eval/caption';
import { SHAPES_SPEC as spec } from '@/lib/eval/default-spec';
import { buildPromptSet, promptSketch } from '@/lib/eval/prompts';
import { Deck, SeededRandom } from '@/lib/eval/random';
import { heldoutTags } from '@/lib/eval/spec';

describe('prompt set', () => {
  const prompts = buildPromptSet(spec);

  it('is fixed: same seed, same list; another seed, another list', () => {
    expect(buildPromptSet(spec)).toEqual(prompts);
    expect(buildPromptSet(spec, { seed: 7 }).map((p) => p.caption)).not.toEqual(prompts.map((p) => p.caption));
    // pin a few so an accidental change to the draw order shows up
    expect(prompts.slice(0, 3).map((p) => p.caption)).toEqual([
      'a small purple triangle at the top on a green background',
      'two red triangles on a yellow background',
      'a big red circle above a small blue star on a yellow background',
    ]);
  });

  it('has 240 distinct captions: 120 training combinations and 20 per held-out combination', () => {
    expect(prompts).toHaveLength(240);
    expect(new Set(prompts.map((p) => p.caption)).size).toBe(240);
    expect(prompts.map((p) => p.id).slice(0, 2)).toEqual(['p000', 'p001']);
    const groups = new Map<string, number>();
    for (const p of prompts) groups.set(p.group, (groups.get(p.group) ?? 0) + 1);
    expect(Object.fromEntries(groups)).toEqual({
      train: 120,
      'colour_shape:red triangle': 20,
      'colour_shape:blue star': 20,
      'colour_shape:yellow square': 20,
      'colour_shape:green circle': 20,
      'background:purple': 20,
      'count_shape:3 star': 20,
    });
    for (const p of prompts) {
      expect(heldoutTags(p.scene, spec)).toEqual(p.heldout);
      expect(p.heldout).toEqual(p.group === 'train' ? [] : [p.group]);
    }
  });

  it('covers every shape, colour, background, size, slot, count and relation', () => {
    const seen = (f: (p: (typeof prompts)[number]) => (string | number | null | undefined)[]) => new Set(prompts.flatMap(f));
    expect(seen((p) => p.scene.objects.map((o) => o.shape)).size).toBe(4);
    expect(seen((p) => p.scene.objects.map((o) => o.colour)).size).toBe(8);
    expect(seen((p) => [p.scene.background]).size).toBe(7);
    expect(seen((p) => p.expected.objects.map((o) => o.size)).size).toBe(3); // small, big, null (count)
    expect(seen((p) => p.expected.objects.map((o) => o.position))).toEqual(new Set([null, 'left', 'right', 'top', 'bottom', 'centre']));
    expect(seen((p) => [p.expected.objects.length])).toEqual(new Set([1, 2, 3]));
    expect(seen((p) => [p.scene.relation])).toEqual(new Set([null, 'left_of', 'above']));
    const train = prompts.filter((p) => p.group === 'train');
    expect(train.filter((p) => p.scene.kind === 'single')).toHaveLength(54);
    expect(train.filter((p) => p.scene.kind === 'count')).toHaveLength(30);
    expect(train.filter((p) => p.scene.kind === 'pair')).toHaveLength(36);
  });

  it("each caption is canonical and parses back to the prompt's expectation", () => {
    for (const p of prompts) expect(parseCaption(p.caption, spec)).toEqual(p.expected);
  });

  it('any prefix is balanced: the first 7 cover training and every held-out combination', () => {
    expect(new Set(prompts.slice(0, 7).map((p) => p.group)).size).toBe(7);
  });

  it('gives each prompt a seeded scribble', () => {
    const a = promptSketch(prompts[0], 1);
    expect(a).toHaveLength(64 * 64);
    expect(a.some((v) => v > 200)).toBe(true);
    expect(promptSketch(prompts[0], 1)).toEqual(a);
  });
});

describe('seeded random', () => {
  it('is reproducible and uniform enough', () => {
    const a = new SeededRandom(3);
    const b = new SeededRandom(3);
    const xs = Array.from({ length: 2000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 2000 }, () => b.next()));
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / xs.length - 0.5)).toBeLessThan(0.03);
    const ns = Array.from({ length: 2000 }, () => a.normal());
    const m = ns.reduce((s, x) => s + x, 0) / ns.length;
    expect(Math.abs(m)).toBeLessThan(0.08);
    expect(Math.abs(ns.reduce((s, x) => s + (x - m) ** 2, 0) / ns.length - 1)).toBeLessThan(0.1);
  });

  it('deals every card of a deck before repeating one', () => {
    const deck = new Deck(['a', 'b', 'c'], new SeededRandom(1));
    const hand = Array.from({ length: 6 }, () => deck.draw());
    expect(hand.slice(0, 3).sort()).toEqual(['a', 'b', 'c']);
    expect(hand.slice(3).sort()).toEqual(['a', 'b', 'c']);
    expect(deck.draw((x) => x === 'b')).toBe('b');
    expect(() => deck.draw(() => false)).toThrow(/no item/);
  });
});
