/** A tiny seeded PRNG (mulberry32) for the evaluator's prompt set and sketches: never the unseeded global generator. */

export class SeededRandom {
  private state: number;
  private spare: number | null = null;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`SeededRandom: seed must be an integer (got ${seed})`);
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1), 32 bits. */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('SeededRandom.pick: empty list');
    return items[this.int(items.length)];
  }

  /** Standard normal (Box–Muller, the second value kept for the next call). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return mean + std * v;
    }
    const u = 1 - this.next();
    const v = this.next();
    const rad = Math.sqrt(-2 * Math.log(u));
    this.spare = rad * Math.sin(2 * Math.PI * v);
    return mean + std * rad * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

/**
 * Draws from `items` like dealing a shuffled deck, reshuffling when it runs out: every item
 * comes up equally often (±1) over any run of draws, which keeps a small prompt set balanced.
 */
export class Deck<T> {
  private pile: T[] = [];

  constructor(
    private readonly items: readonly T[],
    private readonly rng: SeededRandom,
  ) {
    if (items.length === 0) throw new RangeError('Deck: empty list');
  }

  /** The next card that passes `ok` (cards skipped stay in the pile); falls back to any allowed item. */
  draw(ok: (item: T) => boolean = () => true): T {
    if (!this.items.some(ok)) throw new RangeError('Deck.draw: no item is allowed');
    if (!this.pile.some(ok)) this.pile.push(...this.rng.shuffle([...this.items]));
    const i = this.pile.findIndex(ok);
    return this.pile.splice(i, 1)[0];
  }
}
