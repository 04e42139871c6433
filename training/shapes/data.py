"""Procedural "shapes" data set for Lantern's own model family.

Every sample is a pure function of (seed, index): `make_sample(index, seed)` draws a
structured scene, renders it (64×64 RGB, anti-aliased by 4× supersampling + box filter),
writes a caption from a small grammar with paraphrases, and draws the scene's outlines
as a hand-scribble sketch (white lines on black, jittered width and wobble).

A *scene* is plain JSON, which the TypeScript evaluator reads as well:

    {"kind": "single" | "count" | "pair",
     "background": "white",
     "relation": null | "left_of" | "above",         # pair scenes: objects[0] REL objects[1]
     "objects": [{"shape": "circle", "colour": "red", "size": "big",
                  "position": "left" | null,          # canonical slot name, single scenes
                  "cx": 18.0, "cy": 32.0, "r": 12.0, "rot": 0.0}]}

`render_scene(scene)` is the exact ground truth for a scene (what the evaluator's tests
compare against); `canonical_scene(...)` builds a scene with the canonical (un-jittered)
geometry from attributes only. Geometry units are pixels of the 64×64 image, rot in
degrees. Captions never mention geometry beyond the slot/relation, so the model learns a
distribution around the canonical slot (jitter ±POS_JITTER px, ±RADIUS_JITTER px).

Run `python3 data.py` to (re)write spec.json and heldout.json next to this file.
"""
from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))

IMAGE_SIZE = 64
SUPERSAMPLE = 4

# Shape colours (also used as background colours where the names match).
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "orange": (250, 140, 0),
    "yellow": (245, 215, 0),
    "green": (30, 160, 50),
    "blue": (30, 70, 220),
    "purple": (130, 40, 180),
    "white": (250, 250, 250),
    "black": (15, 15, 15),
}
BACKGROUNDS: dict[str, tuple[int, int, int]] = {
    "white": COLOURS["white"],
    "black": COLOURS["black"],
    "grey": (128, 128, 128),
    "blue": COLOURS["blue"],
    "green": COLOURS["green"],
    "yellow": COLOURS["yellow"],
    "purple": COLOURS["purple"],
}
SHAPES = ["circle", "square", "triangle", "star"]
PLURALS = {"circle": "circles", "square": "squares", "triangle": "triangles", "star": "stars"}
SIZES = {"small": 7.0, "big": 12.0}          # "radius" r in px
POSITIONS = {                                 # canonical centres of single-object slots
    "left": (18.0, 32.0),
    "right": (46.0, 32.0),
    "top": (32.0, 18.0),
    "bottom": (32.0, 46.0),
    "centre": (32.0, 32.0),
}
COUNTS = [1, 2, 3]
COUNT_SIZE = "small"                          # multi-object "count" scenes use small shapes
COUNT_LAYOUTS = {                             # canonical centres for count scenes
    "row2": [(20.0, 32.0), (44.0, 32.0)],
    "column2": [(32.0, 20.0), (32.0, 44.0)],
    "row3": [(14.0, 32.0), (32.0, 32.0), (50.0, 32.0)],
    "column3": [(32.0, 14.0), (32.0, 32.0), (32.0, 50.0)],
    "triangle3": [(32.0, 18.0), (18.0, 44.0), (46.0, 44.0)],
}
RELATIONS = {"left_of": ("left", "right"), "above": ("top", "bottom")}
KINDS = {"single": 0.45, "count": 0.25, "pair": 0.30}
POS_JITTER = 3.0
COUNT_JITTER = 2.0
RADIUS_JITTER = 1.0
ROT_JITTER = 8.0

# Attribute combinations never shown in training (measure composition on them).
HELDOUT = {
    "colour_shape": [["red", "triangle"], ["blue", "star"], ["yellow", "square"], ["green", "circle"]],
    "background": ["purple"],
    "count_shape": [[3, "star"]],
}

# ---------------------------------------------------------------------------------------
# Caption grammar
# ---------------------------------------------------------------------------------------
NUMBER_WORDS = {2: ["two", "2"], 3: ["three", "3"]}
SIZE_WORDS = {"small": ["small", "little"], "big": ["big", "large"]}
COLOUR_WORDS = {c: [c] for c in COLOURS}
BACKGROUND_WORDS = {b: [b] for b in BACKGROUNDS}
BACKGROUND_WORDS["grey"] = ["grey", "gray"]
POSITION_PHRASES = {
    "left": ["on the left", "at the left", "on the left side"],
    "right": ["on the right", "at the right", "on the right side"],
    "top": ["at the top", "on top"],
    "bottom": ["at the bottom", "on the bottom"],
    "centre": ["in the centre", "in the center", "in the middle"],
}
RELATION_PHRASES = {
    "left_of": ["to the left of", "left of"],
    "right_of": ["to the right of", "right of"],
    "above": ["above", "over"],
    "below": ["below", "under"],
}
BACKGROUND_TEMPLATES = ["on a {} background", ", {} background", "with a {} background", "on {}"]
PREFIXES = ["a picture of", "an image of", "a drawing of"]
P_SIZE = 0.85          # mention the size (single / pair)
P_COUNT_SIZE = 0.3     # mention "small" in count scenes
P_POSITION = 0.85      # mention the slot (single)
P_BACKGROUND = 0.9
P_PREFIX = 0.15
P_DIGITS = 0.15        # "2" instead of "two"
P_ONE = 0.1            # "one" instead of "a"
P_SWAP = 0.35          # pair: describe B first with the inverse relation


def grammar_words() -> list[str]:
    """Every word and punctuation token the grammar can emit (the tokenizer's vocabulary)."""
    words: set[str] = {"a", "an", "one", ","}
    for group in (NUMBER_WORDS, SIZE_WORDS, COLOUR_WORDS, BACKGROUND_WORDS):
        for forms in group.values():
            words.update(forms)
    words.update(SHAPES)
    words.update(PLURALS.values())
    phrases = [p for ps in POSITION_PHRASES.values() for p in ps]
    phrases += [p for ps in RELATION_PHRASES.values() for p in ps]
    phrases += [t.format("x") for t in BACKGROUND_TEMPLATES] + PREFIXES
    for p in phrases:
        words.update(w for w in p.replace(",", " , ").split() if w != "x")
    return sorted(words)


def _article(next_word: str) -> str:
    return "an" if next_word[0] in "aeiou" else "a"


def _choice(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def _object_phrase(obj: dict, rng: np.random.Generator, with_size: bool) -> str:
    words = []
    if with_size:
        words.append(_choice(rng, SIZE_WORDS[obj["size"]]))
    words.append(_choice(rng, COLOUR_WORDS[obj["colour"]]))
    words.append(obj["shape"])
    det = "one" if rng.random() < P_ONE else _article(words[0])
    return " ".join([det] + words)


def _background_phrase(bg: str, rng: np.random.Generator) -> str:
    return _choice(rng, BACKGROUND_TEMPLATES).format(_choice(rng, BACKGROUND_WORDS[bg]))


def caption(scene: dict, rng: np.random.Generator) -> str:
    """One paraphrase of a scene (random choices from rng)."""
    kind, objs = scene["kind"], scene["objects"]
    if kind == "single":
        text = _object_phrase(objs[0], rng, rng.random() < P_SIZE)
        if objs[0].get("position") and rng.random() < P_POSITION:
            text += " " + _choice(rng, POSITION_PHRASES[objs[0]["position"]])
    elif kind == "count":
        o = objs[0]
        n = len(objs)
        words = [NUMBER_WORDS[n][1] if rng.random() < P_DIGITS else NUMBER_WORDS[n][0]]
        if rng.random() < P_COUNT_SIZE:
            words.append(_choice(rng, SIZE_WORDS[o["size"]]))
        words += [_choice(rng, COLOUR_WORDS[o["colour"]]), PLURALS[o["shape"]]]
        text = " ".join(words)
    elif kind == "pair":
        a, b = objs
        rel = scene["relation"]
        if rng.random() < P_SWAP:
            a, b = b, a
            rel = {"left_of": "right_of", "above": "below"}[rel]
        with_size = rng.random() < P_SIZE
        text = " ".join([_object_phrase(a, rng, with_size), _choice(rng, RELATION_PHRASES[rel]),
                         _object_phrase(b, rng, with_size)])
    else:
        raise ValueError(f"unknown scene kind {kind!r}")
    if rng.random() < P_BACKGROUND:
        bgp = _background_phrase(scene["background"], rng)
        text = text + bgp if bgp.startswith(",") else text + " " + bgp
    if rng.random() < P_PREFIX:
        text = _choice(rng, PREFIXES) + " " + text
    return text


def canonical_caption(scene: dict) -> str:
    """The first paraphrase of everything (what an evaluator would prompt with)."""
    kind, objs = scene["kind"], scene["objects"]

    def obj(o):
        w = [SIZE_WORDS[o["size"]][0], o["colour"], o["shape"]]
        return " ".join([_article(w[0])] + w)

    if kind == "single":
        text = obj(objs[0])
        if objs[0].get("position"):
            text += " " + POSITION_PHRASES[objs[0]["position"]][0]
    elif kind == "count":
        o = objs[0]
        text = f"{NUMBER_WORDS[len(objs)][0]} {o['colour']} {PLURALS[o['shape']]}"
    else:
        text = f"{obj(objs[0])} {RELATION_PHRASES[scene['relation']][0]} {obj(objs[1])}"
    return f"{text} on a {scene['background']} background"


# ---------------------------------------------------------------------------------------
# Scenes
# ---------------------------------------------------------------------------------------

def _obj(shape, colour, size, cx, cy, r=None, rot=0.0, position=None) -> dict:
    return {"shape": shape, "colour": colour, "size": size, "position": position,
            "cx": float(cx), "cy": float(cy), "r": float(SIZES[size] if r is None else r),
            "rot": float(rot)}


def canonical_scene(kind: str, background: str, objects: list[dict], relation: str | None = None,
                    layout: str | None = None) -> dict:
    """A scene with canonical geometry. objects: [{shape, colour, size?, position?}].

    single: objects[0].position (default centre); count: n copies of objects[0] in `layout`
    (default row2/row3), pass the object once and `layout`, or n identical objects; pair:
    relation left_of/above, objects [A, B].
    """
    if kind == "single":
        o = objects[0]
        pos = o.get("position") or "centre"
        cx, cy = POSITIONS[pos]
        objs = [_obj(o["shape"], o["colour"], o.get("size", "big"), cx, cy, position=pos)]
    elif kind == "count":
        o = objects[0]
        n = len(objects) if len(objects) > 1 else int(o.get("count", 2))
        layout = layout or ("row2" if n == 2 else "row3")
        objs = [_obj(o["shape"], o["colour"], COUNT_SIZE, cx, cy) for cx, cy in COUNT_LAYOUTS[layout]]
        assert len(objs) == n, (layout, n)
    elif kind == "pair":
        slots = RELATIONS[relation]
        objs = [_obj(o["shape"], o["colour"], o.get("size", "small"), *POSITIONS[s])
                for o, s in zip(objects, slots)]
    else:
        raise ValueError(kind)
    return {"kind": kind, "background": background, "relation": relation if kind == "pair" else None,
            "layout": layout if kind == "count" else None, "objects": objs}


def is_heldout(scene: dict) -> bool:
    """True when the scene contains any held-out combination."""
    if scene["background"] in HELDOUT["background"]:
        return True
    pairs = {(c, s) for c, s in HELDOUT["colour_shape"]}
    if any((o["colour"], o["shape"]) in pairs for o in scene["objects"]):
        return True
    if scene["kind"] == "count":
        cs = {(n, s) for n, s in HELDOUT["count_shape"]}
        if (len(scene["objects"]), scene["objects"][0]["shape"]) in cs:
            return True
    return False


def _sample_scene_any(rng: np.random.Generator) -> dict:
    kinds = list(KINDS)
    kind = kinds[int(rng.choice(len(kinds), p=np.array(list(KINDS.values()))))]
    bg = _choice(rng, list(BACKGROUNDS))
    colours = [c for c in COLOURS if c != bg and COLOURS[c] != BACKGROUNDS[bg]]

    def jit(v, a):
        return float(v + rng.uniform(-a, a))

    def rot():
        return float(rng.uniform(-ROT_JITTER, ROT_JITTER))

    if kind == "single":
        shape, colour = _choice(rng, SHAPES), _choice(rng, colours)
        size, pos = _choice(rng, list(SIZES)), _choice(rng, list(POSITIONS))
        cx, cy = POSITIONS[pos]
        objs = [_obj(shape, colour, size, jit(cx, POS_JITTER), jit(cy, POS_JITTER),
                     jit(SIZES[size], RADIUS_JITTER), rot(), position=pos)]
        return {"kind": kind, "background": bg, "relation": None, "layout": None, "objects": objs}
    if kind == "count":
        shape, colour = _choice(rng, SHAPES), _choice(rng, colours)
        n = int(rng.integers(2, 4))
        layout = _choice(rng, [k for k, v in COUNT_LAYOUTS.items() if len(v) == n])
        objs = [_obj(shape, colour, COUNT_SIZE, jit(cx, COUNT_JITTER), jit(cy, COUNT_JITTER),
                     jit(SIZES[COUNT_SIZE], RADIUS_JITTER), rot())
                for cx, cy in COUNT_LAYOUTS[layout]]
        return {"kind": kind, "background": bg, "relation": None, "layout": layout, "objects": objs}
    relation = _choice(rng, list(RELATIONS))
    while True:
        a = (_choice(rng, SHAPES), _choice(rng, colours))
        b = (_choice(rng, SHAPES), _choice(rng, colours))
        if a != b:
            break
    objs = []
    for (shape, colour), slot in zip((a, b), RELATIONS[relation]):
        size = _choice(rng, list(SIZES))
        cx, cy = POSITIONS[slot]
        objs.append(_obj(shape, colour, size, jit(cx, POS_JITTER * 0.6), jit(cy, POS_JITTER * 0.6),
                         jit(SIZES[size], RADIUS_JITTER), rot()))
    return {"kind": kind, "background": bg, "relation": relation, "layout": None, "objects": objs}


def sample_scene(rng: np.random.Generator, split: str = "train") -> dict:
    """split: 'train' (no held-out combination), 'heldout' (at least one), 'any'."""
    while True:
        scene = _sample_scene_any(rng)
        if split == "any" or (split == "train") != is_heldout(scene):
            return scene


# ---------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------

def shape_outline(shape: str, cx: float, cy: float, r: float, rot: float = 0.0,
                  circle_points: int = 64) -> list[tuple[float, float]]:
    """Closed outline polygon (not repeating the first point), pixel units, y down."""
    if shape == "circle":
        angles = [2 * math.pi * i / circle_points for i in range(circle_points)]
        pts = [(r * math.cos(a), r * math.sin(a)) for a in angles]
    elif shape == "square":
        s = 0.85 * r
        pts = [(-s, -s), (s, -s), (s, s), (-s, s)]
    elif shape == "triangle":
        R = 1.15 * r          # circumradius; centroid shifted down so it sits in the slot
        pts = [(R * math.cos(a), R * math.sin(a) + 0.12 * r)
               for a in (-math.pi / 2, -math.pi / 2 + 2 * math.pi / 3, -math.pi / 2 + 4 * math.pi / 3)]
    elif shape == "star":
        R, rr = 1.15 * r, 0.5 * r
        pts = []
        for i in range(10):
            a = -math.pi / 2 + i * math.pi / 5
            rad = R if i % 2 == 0 else rr
            pts.append((rad * math.cos(a), rad * math.sin(a) + 0.05 * r))
    else:
        raise ValueError(f"unknown shape {shape!r}")
    c, s = math.cos(math.radians(rot)), math.sin(math.radians(rot))
    return [(cx + x * c - y * s, cy + x * s + y * c) for x, y in pts]


def render_scene(scene: dict, size: int = IMAGE_SIZE) -> np.ndarray:
    """Exact ground-truth image of a scene: uint8 [size, size, 3]."""
    ss = SUPERSAMPLE
    k = size / IMAGE_SIZE * ss
    img = Image.new("RGB", (size * ss, size * ss), BACKGROUNDS[scene["background"]])
    draw = ImageDraw.Draw(img)
    for o in scene["objects"]:
        fill = COLOURS[o["colour"]]
        if o["shape"] == "circle":
            cx, cy, r = o["cx"] * k, o["cy"] * k, o["r"] * k
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
        else:
            pts = shape_outline(o["shape"], o["cx"], o["cy"], o["r"], o["rot"])
            draw.polygon([(x * k, y * k) for x, y in pts], fill=fill)
    return np.asarray(img.resize((size, size), Image.BOX), dtype=np.uint8)


def _wobble(n: int, rng: np.random.Generator, amp: float) -> np.ndarray:
    """Smooth 1-D noise over a closed loop of n points (sum of low-frequency sinusoids)."""
    t = np.arange(n) / n * 2 * np.pi
    out = np.zeros(n)
    for f in (1, 2, 3, 5):
        out += rng.normal(0, amp / f) * np.sin(f * t + rng.uniform(0, 2 * np.pi))
    return out


def render_sketch(scene: dict, rng: np.random.Generator, size: int = IMAGE_SIZE) -> np.ndarray:
    """Hand-scribble outlines of the scene's shapes, white on black: uint8 [size, size]."""
    ss = SUPERSAMPLE
    k = size / IMAGE_SIZE * ss
    img = Image.new("L", (size * ss, size * ss), 0)
    draw = ImageDraw.Draw(img)
    width = rng.uniform(1.0, 2.4)          # px at 64×64, shared by the image's strokes
    for o in scene["objects"]:
        dx, dy = rng.normal(0, 0.8, 2)
        r = o["r"] * rng.uniform(0.92, 1.08)
        pts = shape_outline(o["shape"], o["cx"] + dx, o["cy"] + dy, r, o["rot"] + rng.normal(0, 4))
        # Densify the polygon so the wobble bends edges, not just corners.
        dense = []
        for i, (x0, y0) in enumerate(pts):
            x1, y1 = pts[(i + 1) % len(pts)]
            steps = max(1, int(math.hypot(x1 - x0, y1 - y0) / 1.5))
            dense += [(x0 + (x1 - x0) * j / steps, y0 + (y1 - y0) * j / steps) for j in range(steps)]
        n = len(dense)
        arr = np.array(dense)
        centre = np.array([o["cx"] + dx, o["cy"] + dy])
        radial = arr - centre
        radial /= np.maximum(np.linalg.norm(radial, axis=1, keepdims=True), 1e-6)
        arr = arr + radial * _wobble(n, rng, rng.uniform(0.3, 1.0))[:, None]
        arr = arr + rng.normal(0, 0.15, arr.shape)
        # Start anywhere; a scribble overshoots or stops a little short of closing.
        start = int(rng.integers(n))
        extra = int(rng.integers(-n // 12, n // 8 + 1))
        idx = [(start + i) % n for i in range(n + 1 + extra)]
        line = [(float(arr[i, 0] * k), float(arr[i, 1] * k)) for i in idx]
        w = max(1, int(round(width * rng.uniform(0.85, 1.15) * k)))
        draw.line(line, fill=255, width=w, joint="curve")
    return np.asarray(img.resize((size, size), Image.BOX), dtype=np.uint8)


# ---------------------------------------------------------------------------------------
# Samples
# ---------------------------------------------------------------------------------------

def sample_rng(index: int, seed: int, stream: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, stream, index])


def make_sample(index: int, seed: int = 0, split: str = "train", sketch: bool = True) -> dict[str, Any]:
    """Sample `index` of the infinite data set `seed`: scene, caption, image, sketch."""
    rng = sample_rng(index, seed, {"train": 0, "heldout": 1, "any": 2}[split])
    scene = sample_scene(rng, split)
    out = {"scene": scene, "caption": caption(scene, rng), "image": render_scene(scene)}
    if sketch:
        out["sketch"] = render_sketch(scene, rng)
    return out


def make_batch(indices, seed: int = 0, split: str = "train", sketch: bool = False):
    """(images float32 [B,3,64,64] in [-1,1], captions list[str], sketches [B,3,64,64] in [0,1] | None)."""
    samples = [make_sample(int(i), seed, split, sketch) for i in indices]
    images = np.stack([s["image"] for s in samples]).astype(np.float32).transpose(0, 3, 1, 2) / 127.5 - 1.0
    sketches = None
    if sketch:
        sk = np.stack([s["sketch"] for s in samples]).astype(np.float32) / 255.0
        sketches = np.repeat(sk[:, None], 3, axis=1)
    return images, [s["caption"] for s in samples], sketches


def spec() -> dict:
    return {
        "version": 1,
        "imageSize": IMAGE_SIZE,
        "colours": {k: list(v) for k, v in COLOURS.items()},
        "backgrounds": {k: list(v) for k, v in BACKGROUNDS.items()},
        "shapes": SHAPES,
        "plurals": PLURALS,
        "sizes": SIZES,
        "positions": {k: list(v) for k, v in POSITIONS.items()},
        "counts": COUNTS,
        "countSize": COUNT_SIZE,
        "countLayouts": {k: [list(p) for p in v] for k, v in COUNT_LAYOUTS.items()},
        "relations": {k: list(v) for k, v in RELATIONS.items()},
        "kinds": KINDS,
        "jitter": {"position": POS_JITTER, "countPosition": COUNT_JITTER, "radius": RADIUS_JITTER,
                   "rotationDeg": ROT_JITTER},
        "geometry": {
            "circle": "disc of radius r",
            "square": "axis-aligned square, half side 0.85 r",
            "triangle": "equilateral, pointing up, circumradius 1.15 r, centre shifted down 0.12 r",
            "star": "5 points up, outer radius 1.15 r, inner 0.5 r, centre shifted down 0.05 r",
            "rendering": "drawn at 4x with PIL then box-filtered to 64x64",
        },
        "words": {
            "numbers": {str(k): v for k, v in NUMBER_WORDS.items()},
            "sizes": SIZE_WORDS,
            "colours": COLOUR_WORDS,
            "backgrounds": BACKGROUND_WORDS,
            "positions": POSITION_PHRASES,
            "relations": RELATION_PHRASES,
            "backgroundTemplates": BACKGROUND_TEMPLATES,
            "prefixes": PREFIXES,
        },
        "captionExamples": [canonical_caption(canonical_scene("single", "blue", [
            {"shape": "circle", "colour": "red", "size": "big", "position": "left"}])),
            canonical_caption(canonical_scene("count", "white", [{"shape": "triangle", "colour": "green", "count": 2}])),
            canonical_caption(canonical_scene("pair", "black", [
                {"shape": "square", "colour": "yellow", "size": "small"},
                {"shape": "star", "colour": "orange", "size": "big"}], relation="left_of"))],
        "heldout": HELDOUT,
    }


def write_json_files(directory: str = HERE) -> None:
    with open(os.path.join(directory, "spec.json"), "w") as f:
        json.dump(spec(), f, indent=2)
        f.write("\n")
    with open(os.path.join(directory, "heldout.json"), "w") as f:
        json.dump(HELDOUT, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    write_json_files()
    for i in range(8):
        s = make_sample(i)
        print(s["caption"])
    print("held-out:", make_sample(0, split="heldout")["caption"])
    print(len(grammar_words()), "words:", " ".join(grammar_words()))
