"""Lantern-shapes model family: tokenizer, text encoder, KL-VAE, U-Net, ControlNet.

Shapes and names follow diffusers / optimum ONNX exports so the app's code path for Hub
models serves these as well:

  tokenizer     CLIP-style byte-level BPE (end-of-word suffix </w>) whose merges make every
                grammar word ONE token; <|startoftext|> / <|endoftext|>; pad = <|endoftext|>.
  text_encoder  input_ids int64 [B,77] → last_hidden_state [B,77,TEXT_DIM] (bidirectional
                pre-LN transformer, no attention mask: padding is always <|endoftext|>).
  vae           KL auto-encoder, 64×64×3 in [-1,1] ↔ 16×16×4 latent (downsample ×4);
                the pipeline multiplies encoder means by `scaling_factor` (measured after
                VAE training, stored in the checkpoint and lantern.json).
  unet          ε-prediction, sinusoidal timestep embedding, cross-attention at every level,
                layers_per_block=1 as in diffusers (6 down residuals + mid), optional
                ControlNet residuals added to the skips and the mid block output.
  controlnet    copy of the U-Net encoder (time embedding, conv_in, down, mid) + a sketch
                hint encoder (RGB [B,3,64,64] in [0,1] → 16×16) + zero 1×1 convs.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import asdict, dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

MAX_LENGTH = 77
BOS = "<|startoftext|>"
EOS = "<|endoftext|>"
LATENT_CHANNELS = 4


@dataclass
class Config:
    text_dim: int = 128
    text_layers: int = 3
    text_heads: int = 4
    vae_channels: tuple = (32, 64, 128)     # 64×64, 32×32, 16×16
    unet_channels: tuple = (64, 96, 112)    # 16×16, 8×8, 4×4
    unet_heads: int = 4
    # Self-attention per U-Net level (16×16, 8×8, 4×4; mid uses the last). At 16×16 it cost
    # about a third of a CPU training step (1.7 → 1.15 s at batch 32) for little gain on flat
    # shapes: cross-attention stays.
    unet_self_attn: tuple = (False, True, True)
    time_dim_mult: int = 4
    hint_channels: tuple = (16, 32, 64)

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @staticmethod
    def from_dict(d: dict) -> "Config":
        return Config(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


# ---------------------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------------------
# CLIP's pre-tokenizer regex (as in the Hub tokenizer.json files) and a Python `re` version
# (exact for ASCII text, which is all the grammar emits).
CLIP_SPLIT_REGEX = (
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"
)
_PY_SPLIT = re.compile(
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+"
)


def bytes_to_unicode() -> dict[int, str]:
    bs = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
          + list(range(ord("®"), ord("ÿ") + 1)))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


BYTE_ENCODER = bytes_to_unicode()


def bpe(token: str, ranks: dict) -> list[str]:
    word = list(token[:-1]) + [token[-1] + "</w>"]
    while len(word) > 1:
        pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
        best = min(pairs, key=lambda p: ranks.get(p, math.inf))
        if best not in ranks:
            break
        first, second = best
        merged, i = [], 0
        while i < len(word):
            if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
                merged.append(first + second)
                i += 2
            else:
                merged.append(word[i])
                i += 1
        word = merged
    return word


class ShapesTokenizer:
    """Byte-level BPE: ids 0..511 are the 256 byte characters and their '</w>' forms (so any
    text tokenizes, as with CLIP), then one merge chain per grammar word, then BOS, EOS.
    Every grammar word is a single token '<word></w>'; ',' and digits are base tokens.
    """

    def __init__(self, words: list[str]) -> None:
        byte_chars = list(BYTE_ENCODER.values())
        vocab = byte_chars + [c + "</w>" for c in byte_chars]
        merges, ranks = [], {}
        for w in words:
            if not re.fullmatch(r"[a-z]+", w):
                continue          # punctuation / digits are single base tokens already
            while True:
                symbols = bpe(w, ranks)
                if len(symbols) == 1:
                    break
                pair = (symbols[0], symbols[1])
                ranks[pair] = len(merges)
                merges.append(pair)
        seen = set(vocab)
        for a, b in merges:
            if a + b not in seen:
                vocab.append(a + b)
                seen.add(a + b)
        vocab += [BOS, EOS]
        self.words = list(words)
        self.vocab = {tok: i for i, tok in enumerate(vocab)}
        self.merges = merges
        self.ranks = ranks
        self.bos_id = self.vocab[BOS]
        self.eos_id = self.vocab[EOS]
        self.pad_id = self.eos_id
        for w in words:
            assert len(self.tokenize(w)) == 1, w

    def __len__(self) -> int:
        return len(self.vocab)

    def tokenize(self, text: str) -> list[int]:
        """Prompt ids without BOS/EOS (what @huggingface/tokenizers gives without specials)."""
        text = unicodedata.normalize("NFC", text)
        text = re.sub(r"\s+", " ", text).lower()
        ids: list[int] = []
        for piece in _PY_SPLIT.findall(text):
            if piece in (BOS, EOS):
                ids.append(self.vocab[piece])
                continue
            mapped = "".join(BYTE_ENCODER[b] for b in piece.encode("utf-8"))
            ids += [self.vocab[s] for s in bpe(mapped, self.ranks)]
        return ids

    def __call__(self, text: str) -> list[int]:
        """BOS + tokens (≤ 75) + EOS, padded to 77 with <|endoftext|> (SD 1.x convention)."""
        ids = [self.bos_id] + self.tokenize(text)[: MAX_LENGTH - 2] + [self.eos_id]
        return ids + [self.pad_id] * (MAX_LENGTH - len(ids))

    def batch(self, texts: list[str]) -> torch.Tensor:
        return torch.tensor([self(t) for t in texts], dtype=torch.int64)

    # --- files (same layout as Hub CLIP tokenizers) ------------------------------------
    def tokenizer_json(self) -> dict:
        added = [{"id": self.vocab[t], "content": t, "single_word": False, "lstrip": False,
                  "rstrip": False, "normalized": True, "special": True} for t in (BOS, EOS)]
        return {
            "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "NFC"},
                {"type": "Replace", "pattern": {"Regex": r"\s+"}, "content": " "},
                {"type": "Lowercase"}]},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": CLIP_SPLIT_REGEX}, "behavior": "Removed",
                 "invert": True},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                 "use_regex": False}]},
            "post_processor": {"type": "RobertaProcessing", "sep": [EOS, self.eos_id],
                               "cls": [BOS, self.bos_id], "trim_offsets": False,
                               "add_prefix_space": False},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                        "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": EOS,
                      "continuing_subword_prefix": "", "end_of_word_suffix": "</w>",
                      "fuse_unk": False, "byte_fallback": False, "vocab": self.vocab,
                      "merges": [f"{a} {b}" for a, b in self.merges]},
        }

    def merges_txt(self) -> str:
        return "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in self.merges)

    @staticmethod
    def tokenizer_config() -> dict:
        return {"add_prefix_space": False, "bos_token": BOS, "clean_up_tokenization_spaces": True,
                "do_lower_case": True, "eos_token": EOS, "errors": "replace",
                "model_max_length": MAX_LENGTH, "pad_token": EOS,
                "tokenizer_class": "CLIPTokenizer", "unk_token": EOS}

    @staticmethod
    def special_tokens_map() -> dict:
        def tok(c):
            return {"content": c, "lstrip": False, "normalized": True, "rstrip": False,
                    "single_word": False}
        return {"bos_token": tok(BOS), "eos_token": tok(EOS), "pad_token": EOS, "unk_token": tok(EOS)}

    def word_ids(self) -> dict[str, int]:
        return {w: self.tokenize(w)[0] for w in self.words}


# ---------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------

def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, heads: int) -> torch.Tensor:
    """q [B,N,C], k/v [B,M,C] → [B,N,C]; plain matmul/softmax (exports cleanly to opset 17)."""
    b, n, c = q.shape
    m = k.shape[1]
    d = c // heads
    q = q.reshape(b, n, heads, d).transpose(1, 2)
    k = k.reshape(b, m, heads, d).transpose(1, 2)
    v = v.reshape(b, m, heads, d).transpose(1, 2)
    w = torch.softmax(torch.matmul(q * (d ** -0.5), k.transpose(-1, -2)), dim=-1)
    return torch.matmul(w, v).transpose(1, 2).reshape(b, n, c)


class MultiHeadAttention(nn.Module):
    def __init__(self, dim: int, heads: int, ctx_dim: int | None = None) -> None:
        super().__init__()
        ctx_dim = ctx_dim or dim
        self.heads = heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(ctx_dim, dim, bias=False)
        self.to_v = nn.Linear(ctx_dim, dim, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, ctx: torch.Tensor | None = None) -> torch.Tensor:
        ctx = x if ctx is None else ctx
        return self.to_out(attention(self.to_q(x), self.to_k(ctx), self.to_v(ctx), self.heads))


class TextEncoder(nn.Module):
    def __init__(self, vocab_size: int, cfg: Config) -> None:
        super().__init__()
        d = cfg.text_dim
        self.token_embedding = nn.Embedding(vocab_size, d)
        self.position_embedding = nn.Parameter(torch.randn(MAX_LENGTH, d) * 0.01)
        self.layers = nn.ModuleList()
        for _ in range(cfg.text_layers):
            self.layers.append(nn.ModuleDict({
                "ln1": nn.LayerNorm(d), "attn": MultiHeadAttention(d, cfg.text_heads),
                "ln2": nn.LayerNorm(d),
                "mlp": nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))}))
        self.final_layer_norm = nn.LayerNorm(d)
        nn.init.normal_(self.token_embedding.weight, std=0.02)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        x = self.token_embedding(input_ids) + self.position_embedding[: input_ids.shape[1]]
        for layer in self.layers:
            x = x + layer["attn"](layer["ln1"](x))
            x = x + layer["mlp"](layer["ln2"](x))
        return self.final_layer_norm(x)


def group_norm(ch: int) -> nn.GroupNorm:
    groups = next(g for g in (32, 16, 8, 4, 2, 1) if ch % g == 0 and ch // g >= 2)
    return nn.GroupNorm(groups, ch, eps=1e-6)


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, temb: int | None = None) -> None:
        super().__init__()
        self.norm1 = group_norm(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb_proj = nn.Linear(temb, cout) if temb else None
        self.norm2 = group_norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x: torch.Tensor, temb: torch.Tensor | None = None) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        if self.temb_proj is not None:
            h = h + self.temb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.skip is None else self.skip(x)) + h


# ---------------------------------------------------------------------------------------
# VAE
# ---------------------------------------------------------------------------------------

class VaeEncoder(nn.Module):
    """sample [B,3,64,64] in [-1,1] → moments [B,8,16,16] (mean ‖ logvar)."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        c0, c1, c2 = cfg.vae_channels
        self.conv_in = nn.Conv2d(3, c0, 3, padding=1)
        self.blocks = nn.ModuleList([
            ResBlock(c0, c0), nn.Conv2d(c0, c0, 3, stride=2, padding=1),
            ResBlock(c0, c1), nn.Conv2d(c1, c1, 3, stride=2, padding=1),
            ResBlock(c1, c2), ResBlock(c2, c2)])
        self.norm_out = group_norm(c2)
        self.conv_out = nn.Conv2d(c2, 2 * LATENT_CHANNELS, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv_in(x)
        for b in self.blocks:
            h = b(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class VaeDecoder(nn.Module):
    """latent [B,4,16,16] (unscaled) → image [B,3,64,64], trained towards [-1,1]."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        c0, c1, c2 = cfg.vae_channels
        self.conv_in = nn.Conv2d(LATENT_CHANNELS, c2, 3, padding=1)
        self.blocks = nn.ModuleList([
            ResBlock(c2, c2), ResBlock(c2, c2),
            nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(c2, c1, 3, padding=1),
            ResBlock(c1, c1),
            nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(c1, c0, 3, padding=1),
            ResBlock(c0, c0)])
        self.norm_out = group_norm(c0)
        self.conv_out = nn.Conv2d(c0, 3, 3, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.conv_in(z)
        for b in self.blocks:
            h = b(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class VAE(nn.Module):
    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.encoder = VaeEncoder(cfg)
        self.decoder = VaeDecoder(cfg)
        self.register_buffer("scaling_factor", torch.tensor(1.0))

    def encode(self, x: torch.Tensor):
        mean, logvar = self.encoder(x).chunk(2, dim=1)
        return mean, logvar.clamp(-30.0, 20.0)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        mean, logvar = self.encode(x)
        z = mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape, generator=generator, device=mean.device)
        return self.decoder(z), mean, logvar


# ---------------------------------------------------------------------------------------
# U-Net and ControlNet
# ---------------------------------------------------------------------------------------

def timestep_features(timestep: torch.Tensor, dim: int) -> torch.Tensor:
    """diffusers Timesteps(dim, flip_sin_to_cos=True, downscale_freq_shift=0)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=timestep.device) / half)
    args = timestep.to(torch.float32)[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class Transformer2D(nn.Module):
    """GN → proj_in → [self-attn, cross-attn, MLP] → proj_out, residual (SD's BasicTransformerBlock)."""

    def __init__(self, ch: int, ctx_dim: int, heads: int, self_attn: bool = True) -> None:
        super().__init__()
        self.norm = group_norm(ch)
        self.proj_in = nn.Conv2d(ch, ch, 1)
        self.ln1, self.attn1 = (nn.LayerNorm(ch), MultiHeadAttention(ch, heads)) if self_attn else (None, None)
        self.ln2, self.attn2 = nn.LayerNorm(ch), MultiHeadAttention(ch, heads, ctx_dim)
        self.ln3 = nn.LayerNorm(ch)
        self.ff = nn.Sequential(nn.Linear(ch, 4 * ch), nn.GELU(), nn.Linear(4 * ch, ch))
        self.proj_out = nn.Conv2d(ch, ch, 1)

    def forward(self, x: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        t = self.proj_in(self.norm(x)).reshape(b, c, h * w).transpose(1, 2)
        if self.attn1 is not None:
            t = t + self.attn1(self.ln1(t))
        t = t + self.attn2(self.ln2(t), ctx)
        t = t + self.ff(self.ln3(t))
        return x + self.proj_out(t.transpose(1, 2).reshape(b, c, h, w))


class UNetEncoder(nn.Module):
    """What a ControlNet copies: time embedding, conv_in, down blocks, mid block."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        chs = cfg.unet_channels
        tdim = chs[0] * cfg.time_dim_mult
        self.time_proj_dim = chs[0]
        self.time_linear_1 = nn.Linear(chs[0], tdim)
        self.time_linear_2 = nn.Linear(tdim, tdim)
        self.conv_in = nn.Conv2d(LATENT_CHANNELS, chs[0], 3, padding=1)
        self.down_res = nn.ModuleList()
        self.down_attn = nn.ModuleList()
        self.downsamplers = nn.ModuleList()
        cin = chs[0]
        for i, c in enumerate(chs):
            self.down_res.append(ResBlock(cin, c, tdim))
            self.down_attn.append(Transformer2D(c, cfg.text_dim, cfg.unet_heads, cfg.unet_self_attn[i]))
            if i < len(chs) - 1:
                self.downsamplers.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
            cin = c
        self.mid_res1 = ResBlock(cin, cin, tdim)
        self.mid_attn = Transformer2D(cin, cfg.text_dim, cfg.unet_heads, cfg.unet_self_attn[-1])
        self.mid_res2 = ResBlock(cin, cin, tdim)

    def residual_channels(self) -> list[int]:
        out = [self.conv_in.out_channels]
        for i, r in enumerate(self.down_res):
            out.append(r.conv2.out_channels)
            if i < len(self.downsamplers):
                out.append(r.conv2.out_channels)
        return out

    def time_embedding(self, timestep: torch.Tensor, batch: int) -> torch.Tensor:
        t = timestep.reshape(-1).expand(batch)
        return self.time_linear_2(F.silu(self.time_linear_1(timestep_features(t, self.time_proj_dim))))

    def down(self, h, temb, ctx):
        """diffusers order of down_block_res_samples: conv_in out, then per level the block
        output and (except the last level) the downsampler output."""
        res = [h]
        for i in range(len(self.down_res)):
            h = self.down_attn[i](self.down_res[i](h, temb), ctx)
            res.append(h)
            if i < len(self.downsamplers):
                h = self.downsamplers[i](h)
                res.append(h)
        return h, res

    def mid(self, h, temb, ctx):
        return self.mid_res2(self.mid_attn(self.mid_res1(h, temb), ctx), temb)


class UNet(nn.Module):
    def __init__(self, cfg: Config) -> None:
        super().__init__()
        chs = cfg.unet_channels
        tdim = chs[0] * cfg.time_dim_mult
        self.encoder = UNetEncoder(cfg)
        skip_ch = self.encoder.residual_channels()
        self.num_down_residuals = len(skip_ch)
        self.up_res = nn.ModuleList()
        self.up_attn = nn.ModuleList()
        self.upsamplers = nn.ModuleList()
        cin = chs[-1]
        skips = list(skip_ch)
        for i, c in enumerate(reversed(chs)):
            for _ in range(2):                      # layers_per_block + 1
                self.up_res.append(ResBlock(cin + skips.pop(), c, tdim))
                self.up_attn.append(Transformer2D(c, cfg.text_dim, cfg.unet_heads,
                                                  cfg.unet_self_attn[len(chs) - 1 - i]))
                cin = c
            if i < len(chs) - 1:
                self.upsamplers.append(nn.Conv2d(c, c, 3, padding=1))
        assert not skips
        self.norm_out = group_norm(chs[0])
        self.conv_out = nn.Conv2d(chs[0], LATENT_CHANNELS, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states, down_residuals=None, mid_residual=None):
        enc = self.encoder
        temb = enc.time_embedding(timestep, sample.shape[0])
        h, skips = enc.down(enc.conv_in(sample), temb, encoder_hidden_states)
        h = enc.mid(h, temb, encoder_hidden_states)
        if down_residuals is not None:
            skips = [s + r for s, r in zip(skips, down_residuals)]
        if mid_residual is not None:
            h = h + mid_residual
        k = 0
        for i in range(len(self.upsamplers) + 1):
            for _ in range(2):
                h = self.up_res[k](torch.cat([h, skips.pop()], dim=1), temb)
                h = self.up_attn[k](h, encoder_hidden_states)
                k += 1
            if i < len(self.upsamplers):
                h = self.upsamplers[i](F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))


def zero_module(m: nn.Module) -> nn.Module:
    for p in m.parameters():
        nn.init.zeros_(p)
    return m


class ControlNet(nn.Module):
    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.encoder = UNetEncoder(cfg)
        h0, h1, h2 = cfg.hint_channels
        c0 = cfg.unet_channels[0]
        # 64×64 sketch → 16×16 features (image ×4 = VAE downsample), last conv zero.
        self.cond_embedding = nn.Sequential(
            nn.Conv2d(3, h0, 3, padding=1), nn.SiLU(),
            nn.Conv2d(h0, h1, 3, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(h1, h1, 3, padding=1), nn.SiLU(),
            nn.Conv2d(h1, h2, 3, stride=2, padding=1), nn.SiLU(),
            zero_module(nn.Conv2d(h2, c0, 3, padding=1)))
        self.zero_convs = nn.ModuleList([zero_module(nn.Conv2d(c, c, 1))
                                         for c in self.encoder.residual_channels()])
        cm = cfg.unet_channels[-1]
        self.mid_zero_conv = zero_module(nn.Conv2d(cm, cm, 1))

    @staticmethod
    def from_unet(unet: UNet, cfg: Config) -> "ControlNet":
        cn = ControlNet(cfg)
        cn.encoder.load_state_dict(unet.encoder.state_dict())
        return cn

    def forward(self, sample, timestep, encoder_hidden_states, controlnet_cond, conditioning_scale):
        enc = self.encoder
        temb = enc.time_embedding(timestep, sample.shape[0])
        h = enc.conv_in(sample) + self.cond_embedding(controlnet_cond)
        h, skips = enc.down(h, temb, encoder_hidden_states)
        h = enc.mid(h, temb, encoder_hidden_states)
        scale = conditioning_scale.to(torch.float32).reshape(-1)[0]
        downs = [conv(s) * scale for conv, s in zip(self.zero_convs, skips)]
        return downs, self.mid_zero_conv(h) * scale


# ---------------------------------------------------------------------------------------
# Noise schedule (diffusers DDPMScheduler / DDIMScheduler "scaled_linear")
# ---------------------------------------------------------------------------------------
SCHEDULE = {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012,
            "beta_schedule": "scaled_linear"}


def alphas_cumprod() -> torch.Tensor:
    s = SCHEDULE
    betas = torch.linspace(s["beta_start"] ** 0.5, s["beta_end"] ** 0.5, s["num_train_timesteps"],
                           dtype=torch.float64) ** 2
    return torch.cumprod(1.0 - betas, dim=0).to(torch.float32)


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def build_all(cfg: Config, vocab_size: int) -> dict[str, nn.Module]:
    return {"text_encoder": TextEncoder(vocab_size, cfg), "vae": VAE(cfg), "unet": UNet(cfg)}


if __name__ == "__main__":
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import data
    cfg = Config()
    tok = ShapesTokenizer(data.grammar_words())
    mods = build_all(cfg, len(tok))
    mods["controlnet"] = ControlNet.from_unet(mods["unet"], cfg)
    print("vocab", len(tok))
    for k, m in mods.items():
        print(f"{k:14s} {count_params(m):>10,d}")
    v = mods["vae"]
    print(f"{'vae_encoder':14s} {count_params(v.encoder):>10,d}\n{'vae_decoder':14s} {count_params(v.decoder):>10,d}")
    print("total", sum(count_params(m) for m in mods.values()) * 4 / 1e6, "MB fp32")
