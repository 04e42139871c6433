/**
 * Caption → what it promises. Parses every paraphrase data.py's grammar can write (sizes,
 * "one", digits, the position and relation phrases, the four background templates and the
 * prefixes), not just the canonical form. Pair captions are normalised to the scene's
 * storage order: "A right of B" → objects [B, A], relation left_of.
 */
import type { Relation, SceneKind, ShapeName, ShapesSpec } from './spec';

export interface ExpectedObject {
  shape: ShapeName;
  colour: string;
  /** null when the caption doesn't say (count captions, some paraphrases). */
  size: string | null;
  /** Slot of a single object; null when not said (and for count and pair objects). */
  position: string | null;
}

/** What a caption says about an image: the attributes the evaluator checks. */
export interface ExpectedScene {
  kind: SceneKind;
  /** null when the caption names no background. */
  background: string | null;
  relation: Relation | null;
  objects: ExpectedObject[];
}

export class CaptionParseError extends Error {
  constructor(caption: string, reason: string) {
    super(`cannot parse caption "${caption}": ${reason}`);
    this.name = 'CaptionParseError';
  }
}

const tokenize = (s: string) => s.toLowerCase().replace(/,/g, ' , ').split(/\s+/).filter(Boolean);

function invert(words: Record<string, string[]>): Map<string, string> {
  const m = new Map<string, string>();
  for (const [name, forms] of Object.entries(words)) for (const f of forms) m.set(f, name);
  return m;
}

/** Phrase list → [name, tokens], longest first so "on the left side" wins over "on the left". */
function phrases(words: Record<string, string[]>): [string, string[]][] {
  const out: [string, string[]][] = [];
  for (const [name, forms] of Object.entries(words)) for (const f of forms) out.push([name, tokenize(f)]);
  return out.sort((a, b) => b[1].length - a[1].length);
}

const startsWith = (tokens: string[], at: number, phrase: string[]) => phrase.every((w, i) => tokens[at + i] === w);

export function parseCaption(caption: string, spec: ShapesSpec): ExpectedScene {
  const bad = (reason: string): never => {
    throw new CaptionParseError(caption, reason);
  };
  const w = spec.words;
  const colourOf = invert(w.colours);
  const backgroundOf = invert(w.backgrounds);
  const sizeOf = invert(w.sizes);
  const numberOf = invert(w.numbers);
  const shapeOf = new Map<string, ShapeName>(spec.shapes.map((s) => [s, s]));
  const pluralOf = new Map<string, ShapeName>(spec.shapes.map((s) => [spec.plurals[s], s]));
  const positionPhrases = phrases(w.positions);
  const relationPhrases = phrases(w.relations);

  let tokens = tokenize(caption);
  for (const p of w.prefixes.map(tokenize).sort((a, b) => b.length - a.length)) {
    if (startsWith(tokens, 0, p)) {
      tokens = tokens.slice(p.length);
      break;
    }
  }

  // Background: "on a X background" | ", X background" | "with a X background" | "on X" at the end.
  let background: string | null = null;
  const n = tokens.length;
  if (n >= 2 && tokens[n - 1] === 'background' && backgroundOf.has(tokens[n - 2])) {
    background = backgroundOf.get(tokens[n - 2])!;
    const before = tokens.slice(0, n - 2);
    const m = before.length;
    if (before[m - 1] === ',') tokens = before.slice(0, m - 1);
    else if (m >= 2 && before[m - 1] === 'a' && (before[m - 2] === 'on' || before[m - 2] === 'with')) tokens = before.slice(0, m - 2);
    else bad('unexpected words before the background');
  } else if (n >= 2 && tokens[n - 2] === 'on' && backgroundOf.has(tokens[n - 1])) {
    background = backgroundOf.get(tokens[n - 1])!;
    tokens = tokens.slice(0, n - 2);
  }

  let at = 0;
  const objectPhrase = (): ExpectedObject & { det: boolean } => {
    const det = ['a', 'an', 'one'].includes(tokens[at]);
    if (det) at++;
    let size: string | null = null;
    if (sizeOf.has(tokens[at])) size = sizeOf.get(tokens[at++])!;
    const colour = colourOf.get(tokens[at]) ?? bad(`expected a colour at "${tokens[at] ?? '(end)'}"`);
    at++;
    const shape = shapeOf.get(tokens[at]) ?? bad(`expected a shape at "${tokens[at] ?? '(end)'}"`);
    at++;
    return { shape, colour, size, position: null, det };
  };

  let result: ExpectedScene;
  if (numberOf.has(tokens[0])) {
    const count = Number(numberOf.get(tokens[0]));
    at = 1;
    let size: string | null = null;
    if (sizeOf.has(tokens[at])) size = sizeOf.get(tokens[at++])!;
    const colour = colourOf.get(tokens[at]) ?? bad(`expected a colour at "${tokens[at] ?? '(end)'}"`);
    at++;
    const shape = pluralOf.get(tokens[at]) ?? bad(`expected a plural shape at "${tokens[at] ?? '(end)'}"`);
    at++;
    result = { kind: 'count', background, relation: null, objects: Array.from({ length: count }, () => ({ shape, colour, size, position: null })) };
  } else {
    const { det, ...a } = objectPhrase();
    if (!det) bad('an object phrase starts with a, an or one');
    if (at === tokens.length) {
      result = { kind: 'single', background, relation: null, objects: [a] };
    } else {
      const pos = positionPhrases.find(([, p]) => startsWith(tokens, at, p));
      const rel = relationPhrases.find(([, p]) => startsWith(tokens, at, p));
      if (pos && (!rel || pos[1].length >= rel[1].length)) {
        at += pos[1].length;
        result = { kind: 'single', background, relation: null, objects: [{ ...a, position: pos[0] }] };
      } else if (rel) {
        at += rel[1].length;
        const { det: det2, ...b } = objectPhrase();
        if (!det2) bad('an object phrase starts with a, an or one');
        const name = rel[0];
        const objects = name === 'right_of' || name === 'below' ? [b, a] : [a, b];
        const relation: Relation = name === 'right_of' || name === 'left_of' ? 'left_of' : 'above';
        result = { kind: 'pair', background, relation, objects };
      } else {
        return bad(`unexpected "${tokens.slice(at).join(' ')}"`);
      }
    }
  }
  if (at !== tokens.length) bad(`unexpected "${tokens.slice(at).join(' ')}"`);
  return result;
}
