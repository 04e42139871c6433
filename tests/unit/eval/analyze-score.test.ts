import { describe, expect, it } from 'vitest';
import { analyzeImage, classifyShape } from '@/lib/eval/analyze';
import { SHAPES_SPEC as spec } from '@/lib/eval/default-spec';
import { accuracyTable } from '@/lib/eval/report';
import { ATTRIBUTES, expectFromScene, scoreImage, summarize, type ImageScore } from '@/lib/eval/score';
import { SeededRandom } from '@/lib/eval/random';
import { renderScene } from '@/lib/eval/render';
import type { Scene } from '@/lib/eval/spec';
import type { RgbaImage } from '@/lib/tensor/image';
import { byGroup, item, tile } from './fixtures';

const truth = byGroup('truth');
const tileOf = (scene: Scene) => renderScene(scene, spec);
const wrong = byGroup('wrong');

function scoreTile(id: number, sceneOf = id): ImageScore {
  return scoreImage(analyzeImage(tile(id), spec), expectFromScene(item(sceneOf).scene!));
}

/** 3×3 binomial blur and Gaussian noise, a stand-in for a VAE decoder's softness and grain. */
function degrade(img: RgbaImage, sigma: number, rng: SeededRandom): RgbaImage {
  const { width: w, height: h } = img;
  const data = new Uint8ClampedArray(img.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const xx = Math.min(w - 1, Math.max(0, x + dx));
            const yy = Math.min(h - 1, Math.max(0, y + dy));
            v += (dx ? 1 : 2) * (dy ? 1 : 2) * img.data[(yy * w + xx) * 4 + c];
          }
        }
        data[(y * w + x) * 4 + c] = v / 16 + rng.normal(0, sigma);
      }
      data[(y * w + x) * 4 + 3] = 255;
    }
  }
  return { width: w, height: h, data };
}

describe('evaluator on ground truth (data.py renders)', () => {
  it('scores every attribute of all 56 ground-truth images 100 %', () => {
    const scores = truth.map((t) => scoreTile(t.id));
    const failures = scores.flatMap((s, i) => (s.all ? [] : [`${truth[i].caption}: ${JSON.stringify(s.attributes)}`]));
    expect(failures).toEqual([]);
    const summary = summarize(scores);
    expect(summary.images).toBe(56);
    for (const a of ATTRIBUTES) expect(summary.attributes[a].mean, a).toBe(1);
    // every attribute was actually asked somewhere
    expect(summary.attributes.size.n).toBeGreaterThan(30);
    expect(summary.attributes.position.n).toBeGreaterThan(30);
  });

  it('finds each object where the generator put it, with its size', () => {
    for (const t of truth) {
      const a = analyzeImage(tile(t.id), spec);
      expect(a.background).toBe(t.scene!.background);
      expect(a.objects).toHaveLength(t.scene!.objects.length);
      for (const o of t.scene!.objects) {
        const d = a.objects.find((x) => Math.hypot(x.centre[0] - o.cx, x.centre[1] - o.cy) < 1);
        expect(d, `${t.caption}: ${o.colour} ${o.shape} at ${o.cx},${o.cy}`).toBeDefined();
        expect(d!.shape).toBe(o.shape);
        expect(d!.colour).toBe(o.colour);
        expect(Math.abs(d!.radius - o.r)).toBeLessThan(0.4);
        expect(d!.colourDistance).toBeLessThan(3);
      }
    }
  });

  it('takes float HWC images as well as RGBA bytes', () => {
    const rgba = tile(3);
    const f = Float32Array.from({ length: 64 * 64 * 3 }, (_, i) => rgba.data[Math.floor(i / 3) * 4 + (i % 3)] / 255);
    const a = analyzeImage({ width: 64, height: 64, data: f }, spec);
    const b = analyzeImage(rgba, spec);
    expect(a.objects.map((o) => [o.colour, o.shape, o.position])).toEqual(b.objects.map((o) => [o.colour, o.shape, o.position]));
    expect(a.objects[0].area).toBeCloseTo(b.objects[0].area, 3);
  });

  it('stays right under blur and noise (σ = 6 levels)', () => {
    const rng = new SeededRandom(11);
    const scores = truth.map((t) => scoreImage(analyzeImage(degrade(tile(t.id), 6, rng), spec), expectFromScene(t.scene!)));
    expect(scores.filter((s) => s.all).length).toBe(56);
  });

  it('splits same-colour objects that touch', () => {
    // Three small circles in a row, close enough to merge into one blob.
    const scene = {
      kind: 'count' as const,
      background: 'white',
      relation: null,
      objects: [14, 27, 40].map((cx) => ({ shape: 'circle' as const, colour: 'red', size: 'small', position: null, cx, cy: 32, r: 7, rot: 0 })),
    };
    const a = analyzeImage(tileOf(scene), spec);
    expect(a.objects.map((o) => o.shape)).toEqual(['circle', 'circle', 'circle']);
    expect(analyzeImage(tileOf(scene), spec, { splitTouching: false }).objects).toHaveLength(1);
  });

  it('classifies by the dominant harmonic; a flat signature is a circle', () => {
    expect(classifyShape([0, 0, 0, 0.01, 0.02, 0.01])).toBe('circle');
    expect(classifyShape([0, 0, 0, 0.27, 0.01, 0.01])).toBe('triangle');
    expect(classifyShape([0, 0, 0, 0.01, 0.13, 0.01])).toBe('square');
    expect(classifyShape([0, 0, 0, 0.03, 0.01, 0.3])).toBe('star');
  });
});

describe('evaluator on deliberately wrong images', () => {
  const cases = wrong.map((w) => ({ w, s: scoreTile(w.id, w.expect!) }));

  it('fails the changed attribute and keeps the others', () => {
    const check: Record<string, (s: ImageScore) => void> = {
      colour: (s) => expect(s.attributes).toMatchObject({ colour: 0, shape: 1, background: 1, count: 1 }),
      shape: (s) => expect(s.attributes).toMatchObject({ shape: 0, colour: 1, background: 1, count: 1 }),
      count: (s) => expect(s.attributes.count).toBe(0),
      position: (s) => expect(s.attributes).toMatchObject({ position: 0, colour: 1, shape: 1, background: 1, count: 1 }),
      background: (s) => expect(s.attributes).toMatchObject({ background: 0, colour: 1, shape: 1, count: 1 }),
    };
    for (const { w, s } of cases) {
      expect(s.all, `${item(w.expect!).caption} / ${w.corruption}`).toBe(false);
      check[w.corruption!](s);
    }
  });

  it('scores a low table on them: 0 % on every corrupted attribute, 0 % all-correct', () => {
    expect(cases).toHaveLength(57);
    const by = (c: string) => summarize(cases.filter((x) => x.w.corruption === c).map((x) => x.s));
    expect(by('colour').attributes.colour.mean).toBe(0);
    expect(by('shape').attributes.shape.mean).toBe(0);
    expect(by('count').attributes.count.mean).toBe(0);
    expect(by('position').attributes.position.mean).toBe(0);
    expect(by('background').attributes.background.mean).toBe(0);
    expect(summarize(cases.map((x) => x.s)).all.mean).toBe(0);
  });

  it('formats a markdown accuracy table', () => {
    const table = accuracyTable(
      [
        { label: 'truth', summary: summarize(truth.map((t) => scoreTile(t.id))) },
        { label: 'wrong', summary: summarize(cases.map((x) => x.s)) },
      ],
      'images',
    );
    expect(table.split('\n')[0]).toBe('| images | images | background | colour | shape | size | count | position | all |');
    expect(table).toContain('| truth | 56 | 100.0 % | 100.0 % | 100.0 % | 100.0 % | 100.0 % | 100.0 % | 100.0 % |');
    expect(table).toContain('| wrong | 57 |');
  });
});

describe('evaluator on images without the scene', () => {
  const prompts = truth.slice(0, 32);

  it('an empty background: background right, every object attribute and count wrong', () => {
    for (const t of prompts) {
      const empty = renderScene({ ...t.scene!, objects: [] }, spec);
      const s = scoreImage(analyzeImage(empty, spec), expectFromScene(t.scene!));
      expect(s.attributes).toMatchObject({ background: 1, colour: 0, shape: 0, count: 0 });
      expect(s.attributes.position === null || s.attributes.position === 0).toBe(true);
    }
  });

  it('blotchy colour noise scores near chance and never all-correct', () => {
    const rng = new SeededRandom(5);
    const scores = prompts.map((t) => {
      // 8×8 blocks of random palette-ish colours, blurred: blobs of every size
      const blocks = Array.from({ length: 64 }, () => [rng.int(256), rng.int(256), rng.int(256)]);
      const data = new Uint8ClampedArray(64 * 64 * 4);
      for (let p = 0; p < 4096; p++) {
        const b = blocks[Math.floor((p >> 6) / 8) * 8 + Math.floor((p & 63) / 8)];
        data.set([b[0], b[1], b[2], 255], p * 4);
      }
      return scoreImage(analyzeImage(degrade({ width: 64, height: 64, data }, 10, rng), spec), expectFromScene(t.scene!));
    });
    const summary = summarize(scores);
    expect(summary.all.mean).toBe(0);
    expect(summary.attributes.count.mean!).toBeLessThan(0.15);
    expect(summary.attributes.colour.mean!).toBeLessThan(0.4);
    expect(summary.attributes.shape.mean!).toBeLessThan(0.6); // 0.48: the best of n + 2 blobs vs 4 classes
  });
});

describe('evaluator at another resolution', () => {
  it('reads a 128×128 render in the spec’s 64-pixel units', () => {
    for (const t of truth.slice(0, 32)) {
      const s = scoreImage(analyzeImage(renderScene(t.scene!, spec, 128), spec), expectFromScene(t.scene!));
      expect(s.all, t.caption).toBe(true);
    }
  });
});
