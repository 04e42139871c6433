/**
 * The "shapes" data set's vocabulary (training/shapes/spec.json, written by data.py) and its
 * scenes, mirrored from data.py: `canonicalScene`, `canonicalCaption`, `isHeldout`.
 * A scene is the generator's plain JSON; geometry (cx, cy, r, rot) is optional here, since
 * what a caption promises is only the attributes.
 */

export type Rgb = readonly [number, number, number];
export type ShapeName = 'circle' | 'square' | 'triangle' | 'star';
export type SceneKind = 'single' | 'count' | 'pair';
/** How pair scenes are stored: objects[0] REL objects[1]. */
export type Relation = 'left_of' | 'above';

export const SHAPE_NAMES: readonly ShapeName[] = ['circle', 'square', 'triangle', 'star'];
export const SCENE_KINDS: readonly SceneKind[] = ['single', 'count', 'pair'];
export const RELATIONS: readonly Relation[] = ['left_of', 'above'];

export interface HeldoutSpec {
  /** [colour, shape] pairs never shown in training. */
  colour_shape: [string, ShapeName][];
  background: string[];
  /** [count, shape] combinations never shown in training. */
  count_shape: [number, ShapeName][];
}

export interface SpecWords {
  numbers: Record<string, string[]>;
  sizes: Record<string, string[]>;
  colours: Record<string, string[]>;
  backgrounds: Record<string, string[]>;
  positions: Record<string, string[]>;
  relations: Record<string, string[]>;
  backgroundTemplates: string[];
  prefixes: string[];
}

export interface ShapesSpec {
  version: number;
  imageSize: number;
  /** Object colours, exact RGB. */
  colours: Record<string, Rgb>;
  /** Background colours, exact RGB (names shared with `colours` have the same RGB). */
  backgrounds: Record<string, Rgb>;
  shapes: ShapeName[];
  plurals: Record<ShapeName, string>;
  /** size name → "radius" r in px. */
  sizes: Record<string, number>;
  /** Slot name → canonical centre [x, y] of single-object scenes. */
  positions: Record<string, [number, number]>;
  counts: number[];
  countSize: string;
  countLayouts: Record<string, [number, number][]>;
  /** left_of → ['left', 'right'], above → ['top', 'bottom']: the slots of objects[0], objects[1]. */
  relations: Record<Relation, [string, string]>;
  kinds: Record<SceneKind, number>;
  jitter: { position: number; countPosition: number; radius: number; rotationDeg: number };
  words: SpecWords;
  heldout: HeldoutSpec;
}

export interface SceneObject {
  shape: ShapeName;
  colour: string;
  size: string;
  /** Canonical slot of single scenes; null for count and pair objects. */
  position: string | null;
  /** Geometry in pixels of the 64×64 image (y down), rotation in degrees. */
  cx?: number;
  cy?: number;
  r?: number;
  rot?: number;
}

export interface Scene {
  kind: SceneKind;
  background: string;
  relation: Relation | null;
  layout?: string | null;
  objects: SceneObject[];
}

/** A scene object with its geometry filled in. */
export type PlacedObject = Required<Omit<SceneObject, 'position'>> & { position: string | null };

function fail(msg: string): never {
  throw new Error(`shapes spec: ${msg}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function rgbRecord(v: unknown, key: string): Record<string, Rgb> {
  if (!isRecord(v)) fail(`${key} must be an object`);
  const out: Record<string, Rgb> = {};
  for (const [name, c] of Object.entries(v)) {
    if (!Array.isArray(c) || c.length !== 3 || !c.every((x) => typeof x === 'number' && x >= 0 && x <= 255)) {
      fail(`${key}.${name} must be [r, g, b] in 0…255`);
    }
    out[name] = [c[0], c[1], c[2]];
  }
  if (Object.keys(out).length === 0) fail(`${key} is empty`);
  return out;
}

/** Validates spec.json's structure (what the evaluator relies on) and returns it typed. */
export function parseSpec(json: unknown): ShapesSpec {
  if (!isRecord(json)) fail('not an object');
  const s = json as Record<string, unknown>;
  if (s.version !== 1) fail(`unsupported version ${String(s.version)}`);
  if (typeof s.imageSize !== 'number') fail('imageSize must be a number');
  const colours = rgbRecord(s.colours, 'colours');
  const backgrounds = rgbRecord(s.backgrounds, 'backgrounds');
  if (!Array.isArray(s.shapes) || s.shapes.some((x) => !SHAPE_NAMES.includes(x as ShapeName))) {
    fail(`shapes must be a subset of ${SHAPE_NAMES.join(', ')}`);
  }
  for (const key of ['plurals', 'sizes', 'positions', 'countLayouts', 'relations', 'kinds', 'jitter', 'words', 'heldout'] as const) {
    if (!isRecord(s[key])) fail(`${key} must be an object`);
  }
  const sizes = s.sizes as Record<string, unknown>;
  if (Object.values(sizes).some((v) => typeof v !== 'number' || !(v > 0))) fail('sizes must map names to radii > 0');
  if (typeof s.countSize !== 'string' || !(s.countSize in sizes)) fail('countSize must name a size');
  const positions = s.positions as Record<string, unknown>;
  for (const [k, p] of Object.entries(positions)) {
    if (!Array.isArray(p) || p.length !== 2) fail(`positions.${k} must be [x, y]`);
  }
  const heldout = s.heldout as Record<string, unknown>;
  for (const key of ['colour_shape', 'background', 'count_shape']) if (!Array.isArray(heldout[key])) fail(`heldout.${key} must be a list`);
  const words = s.words as Record<string, unknown>;
  for (const key of ['numbers', 'sizes', 'colours', 'backgrounds', 'positions', 'relations']) if (!isRecord(words[key])) fail(`words.${key} must be an object`);
  return { ...(s as unknown as ShapesSpec), colours, backgrounds };
}

/** Colours an object may have on `background` (data.py: not the background's name or RGB). */
export function objectColours(spec: ShapesSpec, background: string): string[] {
  const bg = spec.backgrounds[background];
  return Object.keys(spec.colours).filter((c) => c !== background && !(bg && sameRgb(spec.colours[c], bg)));
}

export function sameRgb(a: Rgb, b: Rgb): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

export interface CanonicalObjectInput {
  shape: ShapeName;
  colour: string;
  size?: string;
  position?: string | null;
  /** count scenes given one object: how many. */
  count?: number;
}

function place(spec: ShapesSpec, shape: ShapeName, colour: string, size: string, cx: number, cy: number, position: string | null = null): PlacedObject {
  const r = spec.sizes[size];
  if (r === undefined) fail(`unknown size "${size}"`);
  return { shape, colour, size, position, cx, cy, r, rot: 0 };
}

/**
 * data.py's `canonical_scene`: a scene with the canonical geometry. single: objects[0].position
 * (default centre, size default big); count: n copies of objects[0] in `layout` (default
 * row2/row3); pair: `relation` left_of/above, objects [A, B] (size default small).
 */
export function canonicalScene(
  spec: ShapesSpec,
  kind: SceneKind,
  background: string,
  objects: CanonicalObjectInput[],
  relation: Relation | null = null,
  layout: string | null = null,
): Scene & { objects: PlacedObject[] } {
  let objs: PlacedObject[];
  if (kind === 'single') {
    const o = objects[0];
    const pos = o.position ?? 'centre';
    const [cx, cy] = spec.positions[pos] ?? fail(`unknown position "${pos}"`);
    objs = [place(spec, o.shape, o.colour, o.size ?? 'big', cx, cy, pos)];
  } else if (kind === 'count') {
    const o = objects[0];
    const n = objects.length > 1 ? objects.length : (o.count ?? 2);
    layout = layout ?? (n === 2 ? 'row2' : 'row3');
    const centres = spec.countLayouts[layout] ?? fail(`unknown layout "${layout}"`);
    if (centres.length !== n) fail(`layout ${layout} holds ${centres.length} objects, not ${n}`);
    objs = centres.map(([cx, cy]) => place(spec, o.shape, o.colour, spec.countSize, cx, cy));
  } else {
    if (!relation) fail('pair scenes need a relation');
    const slots = spec.relations[relation];
    objs = objects.slice(0, 2).map((o, i) => {
      const [cx, cy] = spec.positions[slots[i]];
      return place(spec, o.shape, o.colour, o.size ?? 'small', cx, cy);
    });
  }
  return { kind, background, relation: kind === 'pair' ? relation : null, layout: kind === 'count' ? layout : null, objects: objs };
}

function article(nextWord: string): string {
  return 'aeiou'.includes(nextWord[0]) ? 'an' : 'a';
}

/** data.py's `canonical_caption`: the first paraphrase of everything (what the evaluator prompts with). */
export function canonicalCaption(scene: Scene, spec: ShapesSpec): string {
  const w = spec.words;
  const obj = (o: SceneObject) => {
    const words = [w.sizes[o.size][0], o.colour, o.shape];
    return [article(words[0]), ...words].join(' ');
  };
  const objs = scene.objects;
  let text: string;
  if (scene.kind === 'single') {
    text = obj(objs[0]);
    if (objs[0].position) text += ` ${w.positions[objs[0].position][0]}`;
  } else if (scene.kind === 'count') {
    const o = objs[0];
    text = `${w.numbers[String(objs.length)][0]} ${o.colour} ${spec.plurals[o.shape]}`;
  } else {
    text = `${obj(objs[0])} ${w.relations[scene.relation ?? 'left_of'][0]} ${obj(objs[1])}`;
  }
  return `${text} on a ${scene.background} background`;
}

/**
 * The held-out combinations a scene contains, as tags: `colour_shape:red triangle`,
 * `background:purple`, `count_shape:3 star`. Empty for scenes seen in training.
 */
export function heldoutTags(scene: Pick<Scene, 'kind' | 'background' | 'objects'>, spec: ShapesSpec): string[] {
  const tags: string[] = [];
  if (spec.heldout.background.includes(scene.background)) tags.push(`background:${scene.background}`);
  for (const [c, s] of spec.heldout.colour_shape) {
    if (scene.objects.some((o) => o.colour === c && o.shape === s)) tags.push(`colour_shape:${c} ${s}`);
  }
  if (scene.kind === 'count') {
    for (const [n, s] of spec.heldout.count_shape) {
      if (scene.objects.length === n && scene.objects[0].shape === s) tags.push(`count_shape:${n} ${s}`);
    }
  }
  return tags;
}

/** data.py's `is_heldout`. */
export function isHeldout(scene: Pick<Scene, 'kind' | 'background' | 'objects'>, spec: ShapesSpec): boolean {
  return heldoutTags(scene, spec).length > 0;
}
