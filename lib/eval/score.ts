/**
 * One analysed image vs what its caption promises: per-attribute correctness, and the
 * aggregation of many images into accuracies.
 *
 * Attributes (null where the caption doesn't ask):
 *  - background: the detected background is the caption's.
 *  - colour, shape, size: per expected object, its matched detected object has it; the
 *    image scores the share of expected objects right (a missing object is wrong in all).
 *  - count: as many objects detected as the caption has (all kinds: a single-object caption
 *    asks for exactly one).
 *  - position: single → the object sits in the named slot (nearest slot centre); pair → the
 *    relation holds between the two matched objects (centres ≥ `relationMargin` px apart
 *    along its axis); count → not scored.
 * Expected objects are matched to detected ones by brute force (n ≤ 3 expected among the
 * n + 2 largest detected), maximising the attributes that come out right, so a stray blob
 * doesn't steal a match (it still costs `count`). Object attributes are thereby scored
 * under the most favourable matching; `count` and `all` are the strict measures.
 * Matching is among the largest blobs only, so noise images score near chance.
 */
import type { ImageAnalysis } from './analyze';
import type { ExpectedObject, ExpectedScene } from './caption';
import type { Scene } from './spec';

export const ATTRIBUTES = ['background', 'colour', 'shape', 'size', 'count', 'position'] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

export interface ScoreOptions {
  /** Pair relations need the centres this many px apart along the relation's axis. Default 4. */
  relationMargin?: number;
  /**
   * Expected objects are matched among the n + this many largest detected objects (n = the
   * caption's count), so a blotchy image with dozens of blobs can't pick the lucky ones. Default 2.
   */
  extraCandidates?: number;
}

export interface ObjectMatch {
  expected: ExpectedObject;
  /** Index into the analysis' objects, or null when nothing was matched. */
  detected: number | null;
  colour: boolean;
  shape: boolean;
  /** null when the caption gives no size. */
  size: boolean | null;
}

export interface ImageScore {
  /** Share correct in [0,1] per attribute; null when the caption doesn't ask. */
  attributes: Record<Attribute, number | null>;
  /** Every attribute the caption asks is fully right. */
  all: boolean;
  matches: ObjectMatch[];
  detectedCount: number;
}

/** What a scene's canonical caption promises (same as parseCaption(canonicalCaption(scene)), no string round trip). */
export function expectFromScene(scene: Scene): ExpectedScene {
  return {
    kind: scene.kind,
    background: scene.background,
    relation: scene.kind === 'pair' ? scene.relation : null,
    objects: scene.objects.map((o) => ({
      shape: o.shape,
      colour: o.colour,
      size: scene.kind === 'count' ? null : o.size,
      position: scene.kind === 'single' ? o.position : null,
    })),
  };
}

const MAX_DETECTED = 8;

export function scoreImage(analysis: ImageAnalysis, expected: ExpectedScene, opts: ScoreOptions = {}): ImageScore {
  const margin = opts.relationMargin ?? 4;
  const exp = expected.objects;
  const det = analysis.objects.slice(0, Math.min(MAX_DETECTED, exp.length + (opts.extraCandidates ?? 2)));

  const objectRight = (e: ExpectedObject, d: number | null) => {
    const o = d === null ? null : det[d];
    return {
      colour: o !== null && o.colour === e.colour,
      shape: o !== null && o.shape === e.shape,
      size: e.size === null ? null : o !== null && o.size === e.size,
      position: e.position === null ? null : o !== null && o.position === e.position,
    };
  };
  const relationHolds = (a: number | null, b: number | null): boolean | null => {
    if (expected.kind !== 'pair' || !expected.relation) return null;
    if (a === null || b === null) return false;
    const [ax, ay] = det[a].centre;
    const [bx, by] = det[b].centre;
    return expected.relation === 'left_of' ? bx - ax >= margin : by - ay >= margin;
  };

  // Brute-force assignment: each expected object → a distinct detected one or none.
  let best: (number | null)[] = exp.map(() => null);
  let bestValue = -Infinity;
  const assign: (number | null)[] = [];
  const used = new Set<number>();
  const visit = (i: number) => {
    if (i === exp.length) {
      let value = 0;
      assign.forEach((d, k) => {
        const r = objectRight(exp[k], d);
        value += 3 * +r.colour + 2 * +r.shape + +(r.size ?? 0) + +(r.position ?? 0);
        if (d !== null) value += 1e-3 + 1e-6 * det[d].area; // prefer matching, then larger objects
      });
      if (exp.length === 2) value += 2 * +(relationHolds(assign[0], assign[1]) ?? 0);
      if (value > bestValue) {
        bestValue = value;
        best = [...assign];
      }
      return;
    }
    for (let d = 0; d < det.length; d++) {
      if (used.has(d)) continue;
      used.add(d);
      assign.push(d);
      visit(i + 1);
      assign.pop();
      used.delete(d);
    }
    assign.push(null);
    visit(i + 1);
    assign.pop();
  };
  visit(0);

  const rights = exp.map((e, k) => objectRight(e, best[k]));
  const share = (xs: (boolean | null)[]): number | null => {
    const asked = xs.filter((x): x is boolean => x !== null);
    return asked.length ? asked.filter(Boolean).length / asked.length : null;
  };
  let position: number | null;
  if (expected.kind === 'pair') position = exp.length === 2 ? +(relationHolds(best[0], best[1]) ?? 0) : null;
  else position = share(rights.map((r) => r.position));
  const attributes: Record<Attribute, number | null> = {
    background: expected.background === null ? null : +(analysis.background === expected.background),
    colour: share(rights.map((r) => r.colour)),
    shape: share(rights.map((r) => r.shape)),
    size: share(rights.map((r) => r.size)),
    count: +(analysis.objects.length === exp.length),
    position,
  };
  return {
    attributes,
    all: Object.values(attributes).every((v) => v === null || v === 1),
    matches: exp.map((e, k) => ({ expected: e, detected: best[k], colour: rights[k].colour, shape: rights[k].shape, size: rights[k].size })),
    detectedCount: analysis.objects.length,
  };
}

export interface AttributeAccuracy {
  /** Mean of the images' shares, over the images where the attribute is asked; null if none. */
  mean: number | null;
  /** Images that ask for it. */
  n: number;
}

export interface AccuracySummary {
  images: number;
  attributes: Record<Attribute, AttributeAccuracy>;
  /** Share of images with everything right. */
  all: AttributeAccuracy;
}

export function summarize(scores: ImageScore[]): AccuracySummary {
  const acc = (values: (number | null)[]): AttributeAccuracy => {
    const asked = values.filter((v): v is number => v !== null);
    return { mean: asked.length ? asked.reduce((a, b) => a + b, 0) / asked.length : null, n: asked.length };
  };
  const attributes = Object.fromEntries(ATTRIBUTES.map((a) => [a, acc(scores.map((s) => s.attributes[a]))])) as Record<Attribute, AttributeAccuracy>;
  return { images: scores.length, attributes, all: acc(scores.map((s) => +s.all)) };
}
