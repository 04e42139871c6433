"""Export a training run to a diffusers-layout ONNX model folder (DESIGN.md §2).

    /usr/bin/python3 training/shapes/export.py --run training/shapes/runs/main \
        --out models/lantern-shapes [--steps 25] [--guidance 5.0] [--no-verify]

Writes model_index.json, scheduler/scheduler_config.json (DDIMScheduler, the training
schedule), tokenizer/ (tokenizer.json, tokenizer_config.json, special_tokens_map.json,
vocab.json, merges.txt), text_encoder/, unet/ (with ControlNet residual inputs), vae_encoder/,
vae_decoder/, controlnet/ (when the run has one) model.onnx (opset 17, fp32, EMA weights),
and lantern.json (name, licence, vaeScalingFactor, vaeDownsampleFactor, recommended
settings, bytes + sha256 per file). Then runs every part in onnxruntime-node (batch 1
and 2) through verify_onnx.mjs and prints the max abs diff against torch.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import data  # noqa: E402
import models as M  # noqa: E402

OPSET = 17
EXAMPLE_CAPTIONS = [
    "a red circle on a blue background",
    "two green triangles on a white background",
    "a big yellow star on the left on a black background",
    "a small blue square above a big orange circle on a grey background",
    "three purple squares on a yellow background",
]
DOWNSAMPLE = 4


# ---------------------------------------------------------------------------------------
# ONNX-facing wrappers (names and I/O exactly as the app expects)
# ---------------------------------------------------------------------------------------

class TextEncoderOnnx(nn.Module):
    def __init__(self, te: M.TextEncoder) -> None:
        super().__init__()
        self.te = te

    def forward(self, input_ids):
        h = self.te(input_ids)
        # CLIP's pooled output: the hidden state at the EOS token (the highest id, as in CLIP).
        eos = input_ids.to(torch.int64).argmax(dim=-1)
        pooled = h[torch.arange(h.shape[0]), eos]
        return h, pooled


class UNetOnnx(nn.Module):
    def __init__(self, unet: M.UNet) -> None:
        super().__init__()
        self.unet = unet
        self.n = unet.num_down_residuals

    def forward(self, sample, timestep, encoder_hidden_states, *residuals):
        return self.unet(sample, timestep, encoder_hidden_states, list(residuals[: self.n]), residuals[self.n])


class VaeEncoderOnnx(nn.Module):
    """sample [-1,1] → latent_sample = posterior mean, unscaled (pipelines × scaling factor)."""

    def __init__(self, vae: M.VAE) -> None:
        super().__init__()
        self.vae = vae

    def forward(self, sample):
        return self.vae.encode(sample)[0]


class VaeDecoderOnnx(nn.Module):
    """latent_sample (unscaled: pipelines ÷ scaling factor first) → sample in [-1,1]."""

    def __init__(self, vae: M.VAE) -> None:
        super().__init__()
        self.vae = vae

    def forward(self, latent_sample):
        return self.vae.decoder(latent_sample).clamp(-1.0, 1.0)


class ControlNetOnnx(nn.Module):
    def __init__(self, cn: M.ControlNet) -> None:
        super().__init__()
        self.cn = cn

    def forward(self, sample, timestep, encoder_hidden_states, controlnet_cond, conditioning_scale):
        downs, mid = self.cn(sample, timestep, encoder_hidden_states, controlnet_cond, conditioning_scale)
        return (*downs, mid)


def residual_names(n: int) -> list[str]:
    return [f"down_block_{i}_additional_residual" for i in range(n)] + ["mid_block_additional_residual"]


def residual_specs(unet: M.UNet, batch: int, h: int, w: int):
    """(shape, dynamic axes) per residual, diffusers order."""
    chans = unet.encoder.residual_channels()
    out = []
    for i, c in enumerate(chans):
        f = 2 ** (i // 2)          # conv_in, then (block, downsample) per level: 1,1,2,2,4,4
        out.append(((batch, c, h // f, w // f), {0: "batch", 2: f"height_{f}", 3: f"width_{f}"}))
    f = 2 ** (len(unet.encoder.down_res) - 1)
    cm = chans[-1]
    out.append(((batch, cm, h // f, w // f), {0: "batch", 2: f"height_{f}", 3: f"width_{f}"}))
    return out


def example_io(part: str, mods: dict, tok: M.ShapesTokenizer, batch: int, seed: int):
    """(input names, inputs, output names, dynamic axes) for one part."""
    g = torch.Generator().manual_seed(seed)
    cfg = mods["cfg"]
    h = w = data.IMAGE_SIZE // DOWNSAMPLE
    lat = torch.randn(batch, M.LATENT_CHANNELS, h, w, generator=g)
    prompts = EXAMPLE_PROMPTS
    ctx = mods["text_encoder"](tok.batch([prompts[i % 4] for i in range(batch)]))
    timestep = torch.tensor([int(torch.randint(0, 1000, (1,), generator=g))], dtype=torch.int64)
    lat_axes = {0: "batch", 2: "height", 3: "width"}
    img_axes = {0: "batch", 2: "image_height", 3: "image_width"}
    if part == "text_encoder":
        ids = tok.batch([prompts[(i + seed) % 4] for i in range(batch)])
        return (["input_ids"], (ids,), ["last_hidden_state", "pooler_output"],
                {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}, "pooler_output": {0: "batch"}})
    if part == "unet":
        specs = residual_specs(mods["unet"], batch, h, w)
        names = ["sample", "timestep", "encoder_hidden_states"] + residual_names(len(specs) - 1)
        res = [torch.randn(*s, generator=g) * 0.2 for s, _ in specs]
        axes = {"sample": lat_axes, "encoder_hidden_states": {0: "batch", 1: "sequence"}, "out_sample": lat_axes}
        axes.update({n: a for n, (_, a) in zip(names[3:], specs)})
        return names, (lat, timestep, ctx, *res), ["out_sample"], axes
    if part == "controlnet":
        specs = residual_specs(mods["unet"], batch, h, w)
        sk = np.stack([data.make_sample(i, seed, "any")["sketch"] for i in range(batch)])
        cond = torch.from_numpy(np.repeat(sk[:, None], 3, axis=1).astype(np.float32) / 255.0)
        outs = residual_names(len(specs) - 1)
        axes = {"sample": lat_axes, "encoder_hidden_states": {0: "batch", 1: "sequence"},
                "controlnet_cond": img_axes}
        axes.update({n: a for n, (_, a) in zip(outs, specs)})
        return (["sample", "timestep", "encoder_hidden_states", "controlnet_cond", "conditioning_scale"],
                (lat, timestep, ctx, cond, torch.tensor([0.8], dtype=torch.float32)), outs, axes)
    if part == "vae_encoder":
        x, _, _ = data.make_batch(range(seed, seed + batch), 77, "any")
        return ["sample"], (torch.from_numpy(x),), ["latent_sample"], {"sample": img_axes, "latent_sample": lat_axes}
    if part == "vae_decoder":
        return (["latent_sample"], (lat / mods["vae"].scaling_factor,), ["sample"],
                {"latent_sample": lat_axes, "sample": img_axes})
    raise ValueError(part)


EXAMPLE_PROMPTS = ["a big red circle on the left on a blue background", "",
                   "two green triangles, white background", "a picture of a cat"]

WRAPPERS = {"text_encoder": lambda m: TextEncoderOnnx(m["text_encoder"]), "unet": lambda m: UNetOnnx(m["unet"]),
            "vae_encoder": lambda m: VaeEncoderOnnx(m["vae"]), "vae_decoder": lambda m: VaeDecoderOnnx(m["vae"]),
            "controlnet": lambda m: ControlNetOnnx(m["controlnet"])}


# ---------------------------------------------------------------------------------------

def load_run(run: str):
    with open(os.path.join(run, "config.json")) as f:
        cfg = M.Config.from_dict(json.load(f)["model"])
    tok = M.ShapesTokenizer(data.grammar_words())
    with open(os.path.join(run, "tokenizer", "tokenizer.json")) as f:
        assert json.load(f)["model"]["vocab"] == tok.vocab, "tokenizer in the run differs from data.py's grammar"
    vae = M.VAE(cfg)
    vae.load_state_dict(torch.load(os.path.join(run, "vae.pt"), map_location="cpu")["model"])
    ck = torch.load(os.path.join(run, "unet.pt"), map_location="cpu")
    steps = {"unet": ck["step"]}
    # The refine stage (offset-noise fine-tune of U-Net + text encoder) supersedes the U-Net stage.
    refine = os.path.join(run, "refine.pt")
    if os.path.exists(refine):
        ck = torch.load(refine, map_location="cpu")
        steps["refine"] = ck["step"]
    unet, te = M.UNet(cfg), M.TextEncoder(len(tok), cfg)
    unet.load_state_dict(ck["ema_unet"])
    te.load_state_dict(ck["ema_text_encoder"])
    mods = {"cfg": cfg, "vae": vae, "unet": unet, "text_encoder": te, "steps": steps}
    cn_path = os.path.join(run, "cnrefine.pt")       # the ControlNet retrained on the refined U-Net
    if not os.path.exists(cn_path):
        cn_path = os.path.join(run, "controlnet.pt")
    if os.path.exists(cn_path):
        ckc = torch.load(cn_path, map_location="cpu")
        cn = M.ControlNet(cfg)
        cn.load_state_dict(ckc["ema"])
        mods["controlnet"] = cn
        mods["steps"][os.path.basename(cn_path)[:-3]] = ckc["step"]
        if cn_path.endswith("cnrefine.pt"):
            mods["steps"]["controlnet"] = torch.load(os.path.join(run, "controlnet.pt"), map_location="cpu")["step"]
    for k in ("vae", "unet", "text_encoder", "controlnet"):
        if k in mods:
            mods[k].eval()
    return mods, tok


def write_json(path: str, obj) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export_part(part: str, mods: dict, tok, out: str) -> None:
    wrapper = WRAPPERS[part](mods).eval()
    names, inputs, outputs, axes = example_io(part, mods, tok, 2, 0)
    path = os.path.join(out, part, "model.onnx")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(wrapper, inputs, path, input_names=names, output_names=outputs,
                          dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True)
    import onnx
    onnx.checker.check_model(onnx.load(path))


def write_refs(parts, mods, tok, refs: str) -> None:
    """Inputs + torch outputs for batch 1 and 2 as raw little-endian files + manifest.json."""
    manifest = []
    for part in parts:
        wrapper = WRAPPERS[part](mods).eval()
        for batch in (1, 2):
            names, inputs, outputs, _ = example_io(part, mods, tok, batch, batch + 10)
            with torch.no_grad():
                res = wrapper(*inputs)
            res = res if isinstance(res, tuple) else (res,)
            entry = {"part": part, "batch": batch, "inputs": [], "outputs": []}
            for kind, ns, ts in (("inputs", names, inputs), ("outputs", outputs, res)):
                for n, t in zip(ns, ts):
                    arr = t.detach().cpu().numpy()
                    fname = f"{part}_{batch}_{kind}_{n}.bin"
                    arr.astype(arr.dtype.newbyteorder("<")).tofile(os.path.join(refs, fname))
                    entry[kind].append({"name": n, "dtype": str(arr.dtype), "shape": list(arr.shape), "file": fname})
            manifest.append(entry)
    write_json(os.path.join(refs, "manifest.json"), manifest)
    # the text encoder's batch-2 ids (seed 12) hold these captions, for the tokenizer check
    write_json(os.path.join(refs, "captions.json"), [EXAMPLE_PROMPTS[(i + 12) % 4] for i in range(2)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="lantern-shapes")
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--guidance", type=float, default=5.0)
    ap.add_argument("--live-steps", type=int, default=10, help="steps for the studio's live mode")
    ap.add_argument("--no-verify", action="store_true")
    ap.add_argument("--max-mb", type=float, default=40.0)
    args = ap.parse_args()
    torch.set_num_threads(1)

    mods, tok = load_run(args.run)
    out = os.path.abspath(args.out)
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    parts = ["text_encoder", "unet", "vae_encoder", "vae_decoder"] + (["controlnet"] if "controlnet" in mods else [])

    # --- JSON files ----------------------------------------------------------------------
    index = {"_class_name": "OnnxStableDiffusionPipeline", "_diffusers_version": "0.27.2",
             "feature_extractor": None, "requires_safety_checker": False, "safety_checker": None,
             "scheduler": ["diffusers", "DDIMScheduler"], "tokenizer": ["transformers", "CLIPTokenizer"]}
    for p in parts:
        index[p] = ["diffusers", "OnnxRuntimeModel"]
    write_json(os.path.join(out, "model_index.json"), dict(sorted(index.items())))
    sched = {"_class_name": "DDIMScheduler", "_diffusers_version": "0.27.2", **M.SCHEDULE,
             "trained_betas": None, "clip_sample": False, "set_alpha_to_one": False, "steps_offset": 1,
             "prediction_type": "epsilon", "timestep_spacing": "leading", "rescale_betas_zero_snr": False,
             "thresholding": False}
    write_json(os.path.join(out, "scheduler", "scheduler_config.json"), sched)
    tdir = os.path.join(out, "tokenizer")
    write_json(os.path.join(tdir, "tokenizer.json"), tok.tokenizer_json())
    write_json(os.path.join(tdir, "tokenizer_config.json"), tok.tokenizer_config())
    write_json(os.path.join(tdir, "special_tokens_map.json"), tok.special_tokens_map())
    write_json(os.path.join(tdir, "vocab.json"), tok.vocab)
    with open(os.path.join(tdir, "merges.txt"), "w") as f:
        f.write(tok.merges_txt())

    # --- ONNX ------------------------------------------------------------------------------
    for p in parts:
        export_part(p, mods, tok, out)
        print(f"exported {p}/model.onnx ({os.path.getsize(os.path.join(out, p, 'model.onnx')) / 1e6:.2f} MB)")

    files = {}
    for root, _, names in os.walk(out):
        for n in sorted(names):
            full = os.path.join(root, n)
            rel = os.path.relpath(full, out).replace(os.sep, "/")
            files[rel] = {"bytes": os.path.getsize(full), "sha256": sha256(full)}
    cfg = mods["cfg"]
    lantern = {
        "name": args.name,
        "description": "Lantern's own tiny text-to-image family trained on procedural shapes "
                       "(64×64, colours/shapes/sizes/positions/counts), with a sketch ControlNet.",
        "licence": "MIT",
        "vaeScalingFactor": float(mods["vae"].scaling_factor.item()),
        "vaeDownsampleFactor": DOWNSAMPLE,
        "padToken": M.EOS,
        "recommended": {"steps": args.steps, "guidance": args.guidance, "scheduler": "default",
                        "width": data.IMAGE_SIZE, "height": data.IMAGE_SIZE, "liveSteps": args.live_steps},
        # The grammar's words are all this model knows: the studio offers these to start from.
        "examplePrompts": EXAMPLE_CAPTIONS,
        "training": {"config": cfg.to_dict(), "steps": mods["steps"],
                     "params": {k: M.count_params(mods[k]) for k in ("text_encoder", "unet", "vae", "controlnet")
                                if k in mods},
                     "heldout": data.HELDOUT},
        "files": dict(sorted(files.items())),
    }
    write_json(os.path.join(out, "lantern.json"), lantern)
    total = sum(f["bytes"] for f in files.values())
    print(f"wrote {out}: {len(files)} files, {total / 1e6:.2f} MB, vaeScalingFactor {lantern['vaeScalingFactor']:.5f}")
    if total > args.max_mb * 1e6:
        print(f"WARNING: {total / 1e6:.1f} MB exceeds {args.max_mb} MB")

    # --- verify in onnxruntime-node ----------------------------------------------------------
    if args.no_verify:
        return
    refs = tempfile.mkdtemp(prefix="lantern-shapes-refs-")
    try:
        write_refs(parts, mods, tok, refs)
        subprocess.run(["node", os.path.join(HERE, "verify_onnx.mjs"), out, refs], check=True, cwd=REPO)
    finally:
        shutil.rmtree(refs, ignore_errors=True)


if __name__ == "__main__":
    main()
