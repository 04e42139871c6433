"""Train the lantern-shapes family, stage by stage, resumably.

    /usr/bin/python3 training/shapes/train.py --out training/shapes/runs/main \
        [--minutes 480] [--device auto] [--threads 2]

Stages (each skipped when its checkpoint says done):
  1. tokenizer   → RUN/tokenizer/ (tokenizer.json, tokenizer_config.json, …), RUN/config.json
  2. vae         → RUN/vae.pt          L1 + MSE + tiny KL; then measures the scaling factor
  3. unet        → RUN/unet.pt         text encoder + U-Net from scratch on frozen-VAE latents,
                                       ε-prediction DDPM (scaled_linear, 1000 steps), min-SNR
                                       weighting, 10 % caption dropout, EMA weights
  4. controlnet  → RUN/controlnet.pt   copy of the (EMA) U-Net encoder + zero convs on the
                                       sketches, U-Net and text encoder frozen
  5. refine      → RUN/refine.pt       the EMA U-Net + text encoder fine-tuned with offset noise
                                       (backgrounds follow the prompt); export prefers it
  6. cnrefine    → RUN/cnrefine.pt     the ControlNet trained on against the refined U-Net
A stage ends at --{stage}-steps (its cosine learning-rate horizon) or when its time budget is
spent. The budget (--minutes) is split by --fractions (vae,unet,controlnet,refine,cnrefine)
unless a stage's own --{stage}-minutes is given. Checkpoints are written atomically every --ckpt-minutes, at
the end of a stage and on SIGINT/SIGTERM; running the same command again resumes. Data and
noise are pure functions of (seed, stage, step), so a resumed run sees the same batches.
Log: RUN/train.log; sample grids: RUN/samples/.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import signal
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
import models as M  # noqa: E402

STAGES = ["vae", "unet", "controlnet", "refine", "cnrefine"]
STAGE_ID = {"vae": 1, "unet": 2, "controlnet": 3, "refine": 4, "cnrefine": 5}
PREVIEW_PROMPTS = [
    "a big red circle on the left on a blue background",
    "two green triangles on a white background",
    "a small yellow star above a big blue square on a black background",
    "three orange squares on a grey background",
    "a big purple triangle at the bottom on a yellow background",
    "a small white circle to the left of a small black star on a green background",
    # held-out combinations
    "a big red triangle in the centre on a white background",
    "a big blue star on the right on a purple background",
]


class Stop(Exception):
    pass


_stop_requested = False


def _on_signal(signum, frame):  # noqa: ARG001
    global _stop_requested
    _stop_requested = True


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------

class Logger:
    def __init__(self, path: str) -> None:
        self.f = open(path, "a", buffering=1)

    def __call__(self, msg: str) -> None:
        line = time.strftime("%Y-%m-%d %H:%M:%S ") + msg
        print(line, flush=True)
        self.f.write(line + "\n")


def atomic_save(obj, path: str) -> None:
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def atomic_json(obj, path: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def step_generator(seed: int, stage: str, step: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed * 1_000_003 + STAGE_ID[stage] * 100_000_007 + step)


def data_seed(seed: int, stage: str) -> int:
    return seed * 10 + STAGE_ID[stage]


@torch.no_grad()
def ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    for e, p in zip(ema.parameters(), model.parameters()):
        e.mul_(decay).add_(p.detach(), alpha=1 - decay)
    for e, b in zip(ema.buffers(), model.buffers()):
        e.copy_(b)


def lr_at(step: int, base: float, warmup: int, total: int | None = None) -> float:
    """Linear warm-up; with a step horizon, cosine decay to 10 % of `base` at `total` (a short
    run gains most from ending at a low learning rate)."""
    lr = base * min(1.0, (step + 1) / warmup)
    if total:
        frac = min(1.0, max(0.0, (step - warmup) / max(1, total - warmup)))
        lr *= 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * frac))
    return lr


def step_cap(args, stage: str) -> int:
    steps = getattr(args, f"{stage}_steps")
    return min(args.max_steps, steps) if steps else args.max_steps


class Budget:
    """Wall time spent in a stage, carried across resumes."""

    def __init__(self, minutes: float, elapsed_s: float) -> None:
        self.limit_s = minutes * 60.0
        self.base = elapsed_s
        self.t0 = time.time()

    @property
    def elapsed(self) -> float:
        return self.base + time.time() - self.t0

    def over(self) -> bool:
        return self.elapsed >= self.limit_s


def load_ckpt(path: str):
    if not os.path.exists(path):
        return None
    return torch.load(path, map_location="cpu")


def save_grid(images: np.ndarray, path: str, cols: int = 4) -> None:
    """images uint8 [N,H,W,3] → PNG grid."""
    from PIL import Image
    n, h, w, _ = images.shape
    rows = (n + cols - 1) // cols
    grid = np.full((rows * (h + 2), cols * (w + 2), 3), 255, np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        grid[r * (h + 2): r * (h + 2) + h, c * (w + 2): c * (w + 2) + w] = images[i]
    Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(path)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    return ((x.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()


# ---------------------------------------------------------------------------------------
# sampling (DDIM, used for previews; the app has its own schedulers)
# ---------------------------------------------------------------------------------------

@torch.no_grad()
def ddim_sample(unet, text_encoder, vae, tok, prompts, device, steps=20, guidance=4.0, seed=0,
                controlnet=None, cond=None):
    ac = M.alphas_cumprod().to(device)
    b = len(prompts)
    ids = tok.batch(list(prompts) + [""] * b).to(device)
    ctx = text_encoder(ids)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, M.LATENT_CHANNELS, 16, 16, generator=g).to(device)
    ts = list(range(0, 1000, 1000 // steps))[::-1]
    for i, t in enumerate(ts):
        tt = torch.tensor([t], dtype=torch.int64, device=device)
        xin = torch.cat([x, x])
        kw = {}
        if controlnet is not None:
            downs, mid = controlnet(xin, tt, ctx, torch.cat([cond, cond]),
                                    torch.tensor([1.0], device=device))
            kw = {"down_residuals": downs, "mid_residual": mid}
        eps_c, eps_u = unet(xin, tt, ctx, **kw).chunk(2)
        eps = eps_u + guidance * (eps_c - eps_u)
        a_t = ac[t]
        a_prev = ac[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0, device=device)
        x0 = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
        x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
    return vae.decoder(x / vae.scaling_factor)


# ---------------------------------------------------------------------------------------
# stages
# ---------------------------------------------------------------------------------------

def stage_tokenizer(run: str, log) -> M.ShapesTokenizer:
    tok = M.ShapesTokenizer(data.grammar_words())
    d = os.path.join(run, "tokenizer")
    os.makedirs(d, exist_ok=True)
    atomic_json(tok.tokenizer_json(), os.path.join(d, "tokenizer.json"))
    atomic_json(tok.tokenizer_config(), os.path.join(d, "tokenizer_config.json"))
    atomic_json(tok.special_tokens_map(), os.path.join(d, "special_tokens_map.json"))
    atomic_json(tok.vocab, os.path.join(d, "vocab.json"))
    with open(os.path.join(d, "merges.txt"), "w") as f:
        f.write(tok.merges_txt())
    atomic_json({"bos": tok.bos_id, "eos": tok.eos_id, "pad": tok.pad_id, "words": tok.word_ids()},
                os.path.join(d, "word_ids.json"))
    # Every caption the grammar emits must be one token per word.
    for i in range(500):
        cap = data.make_sample(i, 12345, "any", sketch=False)["caption"]
        n_words = len(cap.replace(",", " , ").split())
        assert len(tok.tokenize(cap)) == n_words, cap
    log(f"[tokenizer] vocab {len(tok)} (bos {tok.bos_id}, eos/pad {tok.eos_id}), "
        f"{len(tok.words)} grammar words, each one token")
    return tok


def stage_vae(run, cfg, args, device, log, minutes):
    path = os.path.join(run, "vae.pt")
    ck = load_ckpt(path)
    vae = M.VAE(cfg)
    if ck and ck.get("done"):
        vae.load_state_dict(ck["model"])
        return vae.to(device)
    opt = torch.optim.AdamW(vae.parameters(), lr=args.vae_lr, betas=(0.9, 0.99), weight_decay=0.0)
    step, elapsed, loss_avg = 0, 0.0, None
    if ck:
        vae.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, elapsed, loss_avg = ck["step"], ck["elapsed_s"], ck.get("loss_avg")
        log(f"[vae] resume at step {step}, {elapsed / 60:.1f} min done")
    vae.to(device).train()
    _opt_to(opt, device)
    budget = Budget(minutes, elapsed)
    dseed = data_seed(args.seed, "vae")
    B = args.batch_vae

    def save(done=False):
        atomic_save({"model": vae.state_dict(), "opt": opt.state_dict(), "step": step,
                     "elapsed_s": budget.elapsed, "loss_avg": loss_avg, "done": done}, path)

    last_ckpt, t_log, s_log = time.time(), time.time(), step
    while not budget.over() and step < step_cap(args, "vae"):
        if _stop_requested:
            save()
            raise Stop()
        x, _, _ = data.make_batch(range(step * B, step * B + B), dseed)
        x = torch.from_numpy(x).to(device)
        for gparam in opt.param_groups:
            gparam["lr"] = lr_at(step, args.vae_lr, 200, args.vae_steps)
        rec, mean, logvar = vae(x, step_generator(args.seed, "vae", step) if device.type == "cpu" else None)
        l1 = (rec - x).abs().mean()
        mse = F.mse_loss(rec, x)
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).mean()
        loss = l1 + mse + args.kl_weight * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        step += 1
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
        if time.time() - t_log >= args.log_seconds:
            rate = (step - s_log) / (time.time() - t_log)
            log(f"[vae] step {step} loss {loss.item():.4f} (avg {loss_avg:.4f}) l1 {l1.item():.4f} "
                f"kl {kl.item():.3f} {rate:.2f} step/s {rate * B:.1f} img/s "
                f"{budget.elapsed / 60:.1f}/{minutes:.1f} min")
            t_log, s_log = time.time(), step
        if time.time() - last_ckpt >= args.ckpt_minutes * 60:
            save()
            _vae_preview(vae, run, step, device)
            last_ckpt = time.time()
    # scaling factor: 1 / std of the latent means on held-out-seeded images
    vae.eval()
    with torch.no_grad():
        xs, _, _ = data.make_batch(range(512), dseed + 7777, "any")
        means = torch.cat([vae.encode(torch.from_numpy(xs[i:i + 64]).to(device))[0] for i in range(0, 512, 64)])
        vae.scaling_factor.fill_(1.0 / means.std().item())
        rec = vae.decoder(means[:64])
        psnr = -10 * math.log10(F.mse_loss(rec.clamp(-1, 1), torch.from_numpy(xs[:64]).to(device)).item() / 4.0)
    log(f"[vae] done at step {step}: latent mean {means.mean().item():.3f} std {means.std().item():.3f} "
        f"→ scaling_factor {vae.scaling_factor.item():.5f}; reconstruction PSNR {psnr:.2f} dB")
    save(done=True)
    _vae_preview(vae, run, step, device)
    return vae


def _vae_preview(vae, run, step, device):
    was = vae.training
    vae.eval()
    with torch.no_grad():
        x, _, _ = data.make_batch(range(8), 999, "any")
        x = torch.from_numpy(x).to(device)
        rec = vae.decoder(vae.encode(x)[0])
    os.makedirs(os.path.join(run, "samples"), exist_ok=True)
    save_grid(np.concatenate([to_uint8(x), to_uint8(rec)]), os.path.join(run, "samples", f"vae_{step:07d}.png"), 8)
    vae.train(was)


def _opt_to(opt, device):
    for state in opt.state.values():
        for k, v in state.items():
            if torch.is_tensor(v):
                state[k] = v.to(device)


def diffusion_loss(eps_pred, noise, t, ac, min_snr):
    mse = (eps_pred - noise).pow(2).mean(dim=(1, 2, 3))
    if min_snr > 0:
        snr = ac[t] / (1 - ac[t])
        mse = mse * torch.clamp(snr, max=min_snr) / snr
    return mse.mean()


def noisy_latents(vae, x, t, g, device, ac, offset=0.0):
    with torch.no_grad():
        mean, logvar = vae.encode(x)
        eps_z = torch.randn(mean.shape, generator=g).to(device)
        z = (mean + torch.exp(0.5 * logvar) * eps_z) * vae.scaling_factor
    noise = torch.randn(z.shape, generator=g).to(device)
    if offset > 0:
        # Offset noise (Guttenberg 2023): a per-image, per-channel constant in the noise. Without
        # it the mean of x_T still carries the image's mean colour at t = 999, which sampling from
        # pure noise cannot supply, so every background came out the data set's average grey.
        noise = noise + offset * torch.randn(z.shape[0], z.shape[1], 1, 1, generator=g).to(device)
    a = ac[t][:, None, None, None]
    return a.sqrt() * z + (1 - a).sqrt() * noise, noise


def drop_captions(captions, p, g):
    keep = torch.rand(len(captions), generator=g) >= p
    return [c if k else "" for c, k in zip(captions, keep.tolist())]


def stage_unet(run, cfg, args, device, log, minutes, tok, vae, stage="unet", init=None):
    """U-Net + text encoder. stage "unet": from scratch; "refine": fine-tunes `init` (the
    finished U-Net and text encoder) with offset noise, leaving the ControlNet trained on it valid."""
    path = os.path.join(run, f"{stage}.pt")
    ck = load_ckpt(path)
    unet, te = M.UNet(cfg), M.TextEncoder(len(tok), cfg)
    if ck and ck.get("done"):
        unet.load_state_dict(ck["ema_unet"])
        te.load_state_dict(ck["ema_text_encoder"])
        return unet.to(device).eval(), te.to(device).eval()
    torch.manual_seed(args.seed + 2)
    unet, te = M.UNet(cfg), M.TextEncoder(len(tok), cfg)
    if init is not None:
        unet.load_state_dict(init[0].state_dict())
        te.load_state_dict(init[1].state_dict())
    ema_unet, ema_te = copy.deepcopy(unet), copy.deepcopy(te)
    params = list(unet.parameters()) + list(te.parameters())
    for p in params:
        p.requires_grad_(True)
    base_lr = args.unet_lr if stage == "unet" else args.refine_lr
    warmup = args.warmup if stage == "unet" else 50
    offset = args.offset_noise if stage == "unet" else args.refine_offset_noise
    ema_decay = args.ema if stage == "unet" else args.refine_ema
    opt = torch.optim.AdamW(params, lr=base_lr, betas=(0.9, 0.999), weight_decay=0.01)
    step, elapsed, loss_avg = 0, 0.0, None
    if ck:
        unet.load_state_dict(ck["unet"])
        te.load_state_dict(ck["text_encoder"])
        ema_unet.load_state_dict(ck["ema_unet"])
        ema_te.load_state_dict(ck["ema_text_encoder"])
        opt.load_state_dict(ck["opt"])
        step, elapsed, loss_avg = ck["step"], ck["elapsed_s"], ck.get("loss_avg")
        log(f"[{stage}] resume at step {step}, {elapsed / 60:.1f} min done")
    for m in (unet, te, ema_unet, ema_te):
        m.to(device)
    _opt_to(opt, device)
    unet.train(), te.train(), ema_unet.eval(), ema_te.eval()
    vae.eval()
    ac = M.alphas_cumprod().to(device)
    budget = Budget(minutes, elapsed)
    dseed = data_seed(args.seed, stage)
    B = args.batch_unet

    def save(done=False):
        atomic_save({"unet": unet.state_dict(), "text_encoder": te.state_dict(),
                     "ema_unet": ema_unet.state_dict(), "ema_text_encoder": ema_te.state_dict(),
                     "opt": opt.state_dict(), "step": step, "elapsed_s": budget.elapsed,
                     "loss_avg": loss_avg, "done": done}, path)

    last_ckpt, t_log, s_log = time.time(), time.time(), step
    while not budget.over() and step < step_cap(args, stage):
        if _stop_requested:
            save()
            raise Stop()
        g = step_generator(args.seed, stage, step)
        x, caps, _ = data.make_batch(range(step * B, step * B + B), dseed)
        x = torch.from_numpy(x).to(device)
        caps = drop_captions(caps, args.caption_dropout, g)
        t = torch.randint(0, 1000, (B,), generator=g).to(device)
        zt, noise = noisy_latents(vae, x, t, g, device, ac, offset)
        ctx = te(tok.batch(caps).to(device))
        loss = diffusion_loss(unet(zt, t, ctx), noise, t, ac, args.min_snr)
        for gparam in opt.param_groups:
            gparam["lr"] = lr_at(step, base_lr, warmup, getattr(args, f"{stage}_steps"))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        decay = min(ema_decay, (1 + step) / (10 + step))
        ema_update(ema_unet, unet, decay)
        ema_update(ema_te, te, decay)
        loss_avg = loss.item() if loss_avg is None else 0.99 * loss_avg + 0.01 * loss.item()
        if time.time() - t_log >= args.log_seconds:
            rate = (step - s_log) / (time.time() - t_log)
            log(f"[{stage}] step {step} loss {loss.item():.4f} (avg {loss_avg:.4f}) grad {gn.item():.2f} "
                f"lr {opt.param_groups[0]['lr']:.1e} {rate:.2f} step/s {rate * B:.1f} img/s "
                f"{budget.elapsed / 60:.1f}/{minutes:.1f} min")
            t_log, s_log = time.time(), step
        if time.time() - last_ckpt >= args.ckpt_minutes * 60:
            save()
            _diffusion_preview(run, f"{stage}_{step:07d}", ema_unet, ema_te, vae, tok, device, args)
            last_ckpt = time.time()
    log(f"[{stage}] done at step {step} (avg loss {loss_avg})")
    save(done=True)
    _diffusion_preview(run, f"{stage}_{step:07d}", ema_unet, ema_te, vae, tok, device, args)
    return ema_unet, ema_te


def _diffusion_preview(run, name, unet, te, vae, tok, device, args, controlnet=None):
    if args.no_preview:
        return
    os.makedirs(os.path.join(run, "samples"), exist_ok=True)
    cond = None
    if controlnet is not None:
        _, _, sk = data.make_batch(range(len(PREVIEW_PROMPTS)), 4242, "any", sketch=True)
        cond = torch.from_numpy(sk).to(device)
    imgs = ddim_sample(unet, te, vae, tok, PREVIEW_PROMPTS, device, controlnet=controlnet, cond=cond)
    out = to_uint8(imgs)
    if cond is not None:
        out = np.concatenate([to_uint8(cond * 2 - 1), out])
    save_grid(out, os.path.join(run, "samples", name + ".png"), 8)
    with open(os.path.join(run, "samples", "prompts.txt"), "w") as f:
        f.write("\n".join(PREVIEW_PROMPTS) + "\n")


def stage_controlnet(run, cfg, args, device, log, minutes, tok, vae, unet, te, stage="controlnet", init=None):
    """ControlNet on a frozen U-Net. stage "controlnet": from the U-Net's encoder; "cnrefine":
    continues `init` (the finished ControlNet) on the refined U-Net it will run with."""
    path = os.path.join(run, f"{stage}.pt")
    ck = load_ckpt(path)
    if ck and ck.get("done"):
        cn = M.ControlNet(cfg)
        cn.load_state_dict(ck["ema"])
        return cn
    if init is None:
        cn = M.ControlNet.from_unet(unet.cpu(), cfg)
    else:
        cn = M.ControlNet(cfg)
        cn.load_state_dict(init.state_dict())
    ema = copy.deepcopy(cn)
    base_lr = args.controlnet_lr if stage == "controlnet" else args.cnrefine_lr
    opt = torch.optim.AdamW(cn.parameters(), lr=base_lr, betas=(0.9, 0.999), weight_decay=0.0)
    step, elapsed, loss_avg = 0, 0.0, None
    if ck:
        cn.load_state_dict(ck["model"])
        ema.load_state_dict(ck["ema"])
        opt.load_state_dict(ck["opt"])
        step, elapsed, loss_avg = ck["step"], ck["elapsed_s"], ck.get("loss_avg")
        log(f"[{stage}] resume at step {step}, {elapsed / 60:.1f} min done")
    for m in (cn, ema, unet, te):
        m.to(device)
    _opt_to(opt, device)
    for p in list(unet.parameters()) + list(te.parameters()):
        p.requires_grad_(False)
    cn.train(), ema.eval(), unet.eval(), te.eval(), vae.eval()
    ac = M.alphas_cumprod().to(device)
    budget = Budget(minutes, elapsed)
    dseed = data_seed(args.seed, stage)
    B = args.batch_controlnet
    one = torch.tensor([1.0], device=device)

    def save(done=False):
        atomic_save({"model": cn.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(),
                     "step": step, "elapsed_s": budget.elapsed, "loss_avg": loss_avg, "done": done}, path)

    last_ckpt, t_log, s_log = time.time(), time.time(), step
    while not budget.over() and step < step_cap(args, stage):
        if _stop_requested:
            save()
            raise Stop()
        g = step_generator(args.seed, stage, step)
        x, caps, sk = data.make_batch(range(step * B, step * B + B), dseed, sketch=True)
        x, sk = torch.from_numpy(x).to(device), torch.from_numpy(sk).to(device)
        caps = drop_captions(caps, args.controlnet_caption_dropout, g)
        t = torch.randint(0, 1000, (B,), generator=g).to(device)
        zt, noise = noisy_latents(vae, x, t, g, device, ac)
        with torch.no_grad():
            ctx = te(tok.batch(caps).to(device))
        downs, mid = cn(zt, t, ctx, sk, one)
        loss = diffusion_loss(unet(zt, t, ctx, downs, mid), noise, t, ac, args.min_snr)
        for gparam in opt.param_groups:
            gparam["lr"] = lr_at(step, base_lr, 200 if stage == "controlnet" else 50, getattr(args, f"{stage}_steps"))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(cn.parameters(), 1.0)
        opt.step()
        step += 1
        ema_update(ema, cn, min(args.controlnet_ema, (1 + step) / (10 + step)))
        loss_avg = loss.item() if loss_avg is None else 0.99 * loss_avg + 0.01 * loss.item()
        if time.time() - t_log >= args.log_seconds:
            rate = (step - s_log) / (time.time() - t_log)
            log(f"[{stage}] step {step} loss {loss.item():.4f} (avg {loss_avg:.4f}) {rate:.2f} step/s "
                f"{rate * B:.1f} img/s {budget.elapsed / 60:.1f}/{minutes:.1f} min")
            t_log, s_log = time.time(), step
        if time.time() - last_ckpt >= args.ckpt_minutes * 60:
            save()
            _diffusion_preview(run, f"{stage}_{step:07d}", unet, te, vae, tok, device, args, ema)
            last_ckpt = time.time()
    log(f"[{stage}] done at step {step} (avg loss {loss_avg})")
    save(done=True)
    _diffusion_preview(run, f"{stage}_{step:07d}", unet, te, vae, tok, device, args, ema)
    return ema


# ---------------------------------------------------------------------------------------

def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="run folder (created; resumed when it exists)")
    ap.add_argument("--minutes", type=float, default=480.0, help="total time budget")
    ap.add_argument("--fractions", default="0.1,0.6,0.15,0.1,0.05", help="vae,unet,controlnet,refine,cnrefine share of --minutes")
    for s in STAGES:
        ap.add_argument(f"--{s}-minutes", type=float, default=None, help=f"override the {s} budget")
        ap.add_argument(f"--{s}-steps", type=int, default=None,
                        help=f"{s} step count: the stage ends there and its learning rate decays (cosine) towards it")
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda[:N]")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads on CPU")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch-vae", type=int, default=16)
    ap.add_argument("--batch-unet", type=int, default=32)
    ap.add_argument("--batch-controlnet", type=int, default=32)
    ap.add_argument("--vae-lr", type=float, default=3e-4)
    ap.add_argument("--unet-lr", type=float, default=2e-4)
    ap.add_argument("--controlnet-lr", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=500)
    ap.add_argument("--kl-weight", type=float, default=1e-5)
    ap.add_argument("--caption-dropout", type=float, default=0.1)
    ap.add_argument("--controlnet-caption-dropout", type=float, default=0.3)
    ap.add_argument("--min-snr", type=float, default=5.0, help="min-SNR-γ loss weighting (0 = off)")
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--controlnet-ema", type=float, default=0.998)
    ap.add_argument("--offset-noise", type=float, default=0.0, help="offset noise in the from-scratch U-Net stage")
    ap.add_argument("--refine-offset-noise", type=float, default=0.15, help="offset noise in the refine stage")
    ap.add_argument("--refine-lr", type=float, default=1e-4)
    ap.add_argument("--refine-ema", type=float, default=0.995)
    ap.add_argument("--cnrefine-lr", type=float, default=2e-4)
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--log-seconds", type=float, default=30.0)
    ap.add_argument("--max-steps", type=int, default=10 ** 12, help="per-stage step cap (smoke tests)")
    ap.add_argument("--stop-after", choices=["tokenizer"] + STAGES, default="cnrefine")
    ap.add_argument("--no-preview", action="store_true")
    return ap.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    run = os.path.abspath(args.out)
    os.makedirs(run, exist_ok=True)
    log = Logger(os.path.join(run, "train.log"))
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    cfg_path = os.path.join(run, "config.json")
    if os.path.exists(cfg_path):
        with open(cfg_path) as f:
            cfg = M.Config.from_dict(json.load(f)["model"])
    else:
        cfg = M.Config()
        atomic_json({"model": cfg.to_dict(), "schedule": M.SCHEDULE, "seed": args.seed,
                     "spec": data.spec()}, cfg_path)
    fr = [float(v) for v in args.fractions.split(",")]
    minutes = {s: (getattr(args, f"{s}_minutes") if getattr(args, f"{s}_minutes") is not None
                   else args.minutes * f) for s, f in zip(STAGES, fr)}
    log(f"start: device {device}, threads {torch.get_num_threads()}, torch {torch.__version__}, "
        f"budget " + ", ".join(f"{s} {m:.1f} min" for s, m in minutes.items()) + f", args {vars(args)}")

    try:
        tok = stage_tokenizer(run, log)
        sizes = {"text_encoder": M.count_params(M.TextEncoder(len(tok), cfg)),
                 "vae_encoder": M.count_params(M.VaeEncoder(cfg)),
                 "vae_decoder": M.count_params(M.VaeDecoder(cfg)),
                 "unet": M.count_params(M.UNet(cfg)), "controlnet": M.count_params(M.ControlNet(cfg))}
        log("params " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
        if args.stop_after == "tokenizer":
            return
        torch.manual_seed(args.seed + 1)
        vae = stage_vae(run, cfg, args, device, log, minutes["vae"])
        if args.stop_after == "vae":
            return
        for p in vae.parameters():
            p.requires_grad_(False)
        unet, te = stage_unet(run, cfg, args, device, log, minutes["unet"], tok, vae)
        if args.stop_after == "unet":
            return
        torch.manual_seed(args.seed + 3)
        cn = stage_controlnet(run, cfg, args, device, log, minutes["controlnet"], tok, vae, unet, te)
        if args.stop_after == "controlnet":
            return
        unet, te = stage_unet(run, cfg, args, device, log, minutes["refine"], tok, vae, "refine", (unet, te))
        if args.stop_after == "refine":
            return
        torch.manual_seed(args.seed + 5)
        stage_controlnet(run, cfg, args, device, log, minutes["cnrefine"], tok, vae, unet, te, "cnrefine", cn)
        log("all stages done; export with: /usr/bin/python3 training/shapes/export.py --run " + run)
    except Stop:
        log("stopped by signal; checkpoint saved, run the same command to resume")


if __name__ == "__main__":
    main()
