/**
 * The evaluator's fixed prompt set: deterministic scenes drawn from the spec with a seeded
 * RNG, each with its canonical caption (the grammar's first paraphrase, as data.py's
 * `canonical_caption`), its canonical geometry (for sketches and reference renders) and
 * what the caption promises.
 *
 * Default: 240 scenes. 120 use only combinations seen in training (kinds in the training
 * mix: 54 single, 30 count, 36 pair); 20 per held-out combination (4 colour–shape pairs,
 * the purple background, three stars) contain exactly that one. Attributes are dealt from
 * shuffled decks so every shape, colour, background, size, slot and layout comes up about
 * equally often. The list is interleaved (train, then one of each held-out combination,
 * round robin), so any prefix (`--limit`) is a balanced sample.
 */
import type { ExpectedScene } from './caption';
import { Deck, SeededRandom } from './random';
import { scribbleSketch } from './render';
import { expectFromScene } from './score';
import {
  canonicalCaption,
  canonicalScene,
  heldoutTags,
  objectColours,
  RELATIONS,
  type CanonicalObjectInput,
  type PlacedObject,
  type Scene,
  type SceneKind,
  type ShapeName,
  type ShapesSpec,
} from './spec';

export interface EvalPrompt {
  /** "p000"… in list order. */
  id: string;
  caption: string;
  scene: Scene & { objects: PlacedObject[] };
  expected: ExpectedScene;
  /** Held-out tags the scene contains (see heldoutTags); empty for training combinations. */
  heldout: string[];
  /** 'train' or the one held-out tag it tests. */
  group: string;
}

export interface PromptSetOptions {
  seed?: number;
  /** Scenes with training combinations only. Default 120. */
  train?: number;
  /** Scenes per held-out combination. Default 20. */
  perHeldout?: number;
}

export const PROMPT_SET_DEFAULTS = { seed: 2024, train: 120, perHeldout: 20 } as const;

type Kind = SceneKind;

/** Kind quotas in the training mix (largest remainder). */
function kindQuota(spec: ShapesSpec, n: number): Kind[] {
  const kinds = Object.keys(spec.kinds) as Kind[];
  const raw = kinds.map((k) => spec.kinds[k] * n);
  const counts = raw.map(Math.floor);
  const order = kinds.map((_, i) => i).sort((a, b) => raw[b] - counts[b] - (raw[a] - counts[a]));
  for (let i = 0; counts.reduce((a, b) => a + b, 0) < n; i++) counts[order[i % kinds.length]]++;
  return kinds.flatMap((k, i) => Array<Kind>(counts[i]).fill(k));
}

interface Forced {
  kind?: Kind;
  background?: string;
  object?: { shape: ShapeName; colour?: string };
  count?: number;
}

export function buildPromptSet(spec: ShapesSpec, opts: PromptSetOptions = {}): EvalPrompt[] {
  const o = { ...PROMPT_SET_DEFAULTS, ...opts };
  const rng = new SeededRandom(o.seed);
  const decks = {
    shape: new Deck(spec.shapes, rng),
    colour: new Deck(Object.keys(spec.colours), rng),
    background: new Deck(Object.keys(spec.backgrounds), rng),
    size: new Deck(Object.keys(spec.sizes), rng),
    position: new Deck(Object.keys(spec.positions), rng),
    relation: new Deck(RELATIONS, rng),
    count: new Deck(
      spec.counts.filter((c) => c > 1),
      rng,
    ),
    layout: new Deck(Object.keys(spec.countLayouts), rng),
    slot: new Deck([0, 1], rng),
  };
  const captions = new Set<string>();

  /** One scene of `kind` with the forced parts; null when it came out with other held-out tags or a caption already used. */
  const draw = (kind: Kind, forced: Forced, allowedTags: string[]): EvalPrompt | null => {
    const background = forced.background ?? decks.background.draw((b) => !spec.heldout.background.includes(b));
    const colours = objectColours(spec, background);
    const free = (): CanonicalObjectInput => ({ shape: decks.shape.draw(), colour: decks.colour.draw((c) => colours.includes(c)) });
    const pinned = (): CanonicalObjectInput => {
      const shape = forced.object?.shape ?? decks.shape.draw();
      const colour = forced.object?.colour ?? decks.colour.draw((c) => colours.includes(c));
      return { shape, colour };
    };
    if (forced.object?.colour && !colours.includes(forced.object.colour)) return null;
    let scene: Scene & { objects: PlacedObject[] };
    if (kind === 'single') {
      scene = canonicalScene(spec, 'single', background, [{ ...pinned(), size: decks.size.draw(), position: decks.position.draw() }]);
    } else if (kind === 'count') {
      const n = forced.count ?? decks.count.draw();
      const layout = decks.layout.draw((l) => spec.countLayouts[l].length === n);
      scene = canonicalScene(spec, 'count', background, [{ ...pinned(), count: n }], null, layout);
    } else {
      const a = { ...pinned(), size: decks.size.draw() };
      let b = { ...free(), size: decks.size.draw() };
      for (let k = 0; k < 8 && b.shape === a.shape && b.colour === a.colour; k++) b = { ...free(), size: b.size };
      if (b.shape === a.shape && b.colour === a.colour) return null;
      const pair = decks.slot.draw() === 0 ? [a, b] : [b, a];
      scene = canonicalScene(spec, 'pair', background, pair, decks.relation.draw());
    }
    const tags = heldoutTags(scene, spec);
    if (tags.length !== allowedTags.length || !allowedTags.every((t) => tags.includes(t))) return null;
    const caption = canonicalCaption(scene, spec);
    if (captions.has(caption)) return null;
    captions.add(caption);
    return { id: '', caption, scene, expected: expectFromScene(scene), heldout: tags, group: tags[0] ?? 'train' };
  };

  const fill = (n: number, kinds: Kind[], forced: Forced, tags: string[]): EvalPrompt[] => {
    const out: EvalPrompt[] = [];
    const kindDeck = new Deck(
      kinds.map((_, i) => i),
      rng,
    );
    for (let i = 0; i < n; i++) {
      const kind = kinds[kindDeck.draw()];
      let p: EvalPrompt | null = null;
      for (let attempt = 0; attempt < 500 && !p; attempt++) p = draw(forced.kind ?? kind, forced, tags);
      if (!p) throw new Error(`buildPromptSet: could not draw a ${kind} scene for ${tags[0] ?? 'train'} (too many prompts asked?)`);
      out.push(p);
    }
    return out;
  };

  const lists: EvalPrompt[][] = [fill(o.train, kindQuota(spec, o.train), {}, [])];
  const heldKinds = kindQuota(spec, o.perHeldout);
  for (const [colour, shape] of spec.heldout.colour_shape) {
    lists.push(fill(o.perHeldout, heldKinds, { object: { shape, colour } }, [`colour_shape:${colour} ${shape}`]));
  }
  for (const background of spec.heldout.background) {
    lists.push(fill(o.perHeldout, heldKinds, { background }, [`background:${background}`]));
  }
  for (const [count, shape] of spec.heldout.count_shape) {
    lists.push(fill(o.perHeldout, ['count'], { kind: 'count', count, object: { shape } }, [`count_shape:${count} ${shape}`]));
  }
  const out: EvalPrompt[] = [];
  for (let i = 0; out.length < lists.reduce((a, l) => a + l.length, 0); i++) for (const l of lists) if (i < l.length) out.push(l[i]);
  return out.map((p, i) => ({ ...p, id: `p${String(i).padStart(3, '0')}` }));
}

/** The ControlNet condition for a prompt: a scribble of its scene (seeded by `seed`), white on black. */
export function promptSketch(prompt: EvalPrompt, seed: number, size = 64): Uint8Array {
  return scribbleSketch(prompt.scene, new SeededRandom(seed), size);
}
