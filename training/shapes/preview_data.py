"""Save a grid of samples (image | sketch | caption) to a PNG for eyeballing.

    /usr/bin/python3 training/shapes/preview_data.py [--out /tmp/shapes_preview.png] [--n 24]
        [--split train|heldout] [--seed 0] [--scale 2]
"""
from __future__ import annotations

import argparse
import os
import sys
import textwrap

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/tmp/shapes_preview.png")
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--cols", type=int, default=4)
    ap.add_argument("--split", default="train")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scale", type=int, default=2)
    args = ap.parse_args()

    s = data.IMAGE_SIZE * args.scale
    cell_w, cell_h = 2 * s + 12, s + 40
    rows = (args.n + args.cols - 1) // args.cols
    grid = Image.new("RGB", (args.cols * cell_w, rows * cell_h), (230, 230, 230))
    draw = ImageDraw.Draw(grid)
    for i in range(args.n):
        smp = data.make_sample(i, args.seed, args.split)
        x0, y0 = (i % args.cols) * cell_w + 4, (i // args.cols) * cell_h + 4
        img = Image.fromarray(smp["image"]).resize((s, s), Image.NEAREST)
        sk = Image.fromarray(smp["sketch"]).convert("RGB").resize((s, s), Image.NEAREST)
        grid.paste(img, (x0, y0))
        grid.paste(sk, (x0 + s + 4, y0))
        lines = textwrap.wrap(smp["caption"], width=cell_w // 6)[:3]
        for j, line in enumerate(lines):
            draw.text((x0, y0 + s + 2 + 11 * j), line, fill=(0, 0, 0))
    grid.save(args.out)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
