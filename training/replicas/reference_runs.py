#!/usr/bin/env python3
"""Torch reference runs of the replica folders (the truth Lantern's pipeline is checked against).

    /usr/bin/python3 training/replicas/reference_runs.py      (make_replicas.py runs it at the end)

For every case, the full generation runs in torch with the replica's own weights (make_replicas'
modules; fp16 replicas: the weights rounded to float16 exactly as the converter rounds them and
cast back to float32, computed in float32), with diffusers' semantics re-implemented here from
diffusers 0.27–0.31 (pipeline_stable_diffusion, _img2img, _controlnet, pipeline_latent_consistency_
models; EulerDiscreteScheduler, LCMScheduler, DDIMScheduler):

  * noise from ONE generator per run, torch.Generator('cpu').manual_seed(seed), drawn in diffusers'
    order (img2img: the posterior sample of the VAE encoder first, then the add_noise noise; LCM:
    the initial latents, then one draw after every step but the last);
  * token ids from the tiny tokenizer, padded to 77 with the folder's pad token;
  * classifier-free guidance uncond + g·(cond − uncond) only when g > 1 (batch [uncond, cond];
    webnn-sd-turbo: two batch-1 passes since its graphs are static batch 1);
  * VAE: latents / 0.18215 → decoder → (x/2 + 0.5).clamp(0, 1), HWC.

Before running, every torch parameter is checked to appear bit-identically (fp16 replicas: as its
float16 rounding) among the ONNX initializers.  Writes tests/fixtures/replicas/<name>.<case>.json;
check_replicas.mjs replays each through the ONNX files with onnxruntime-node.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_replicas as mr  # noqa: E402

mf = mr.mf
sys.path.insert(0, str(mr.REPO / "training" / "fixtures"))
from reference_controlnet import control_image, init_image  # noqa: E402

REPO = mr.REPO
OUT = mr.TESTS_ROOT
SCALING = mf.VAE_SCALING_FACTOR

# ---------------------------------------------------------------------------------------
# Schedulers (float32, as diffusers)
# ---------------------------------------------------------------------------------------


def alphas_cumprod(config: dict) -> torch.Tensor:
    assert config["beta_schedule"] == "scaled_linear" and config.get("trained_betas") is None
    betas = torch.linspace(config["beta_start"] ** 0.5, config["beta_end"] ** 0.5,
                           config["num_train_timesteps"], dtype=torch.float32) ** 2
    return torch.cumprod(1.0 - betas, dim=0)


class EulerDiscrete:
    """EulerDiscreteScheduler: epsilon prediction, linear interpolation, no Karras sigmas,
    final sigma 0, s_churn 0 (so gamma 0 and no noise is ever added)."""

    def __init__(self, config: dict) -> None:
        assert config.get("prediction_type", "epsilon") == "epsilon"
        assert config.get("interpolation_type", "linear") == "linear"
        assert not config.get("use_karras_sigmas", False)
        self.config = config
        self.n_train = config["num_train_timesteps"]
        self.alphas_cumprod = alphas_cumprod(config)
        self.begin_index = None

    def set_timesteps(self, n: int) -> None:
        spacing = self.config.get("timestep_spacing", "linspace")
        if spacing == "trailing":
            ratio = self.n_train / n
            ts = np.arange(self.n_train, 0, -ratio).round().copy().astype(np.float32) - 1
        elif spacing == "leading":
            ratio = self.n_train // n
            ts = (np.arange(0, n) * ratio).round()[::-1].copy().astype(np.float32) + self.config["steps_offset"]
        else:
            ts = np.linspace(0, self.n_train - 1, n, dtype=np.float64)[::-1].copy().astype(np.float32)
        sigmas = np.array(((1 - self.alphas_cumprod) / self.alphas_cumprod) ** 0.5)
        sigmas = np.interp(ts, np.arange(0, len(sigmas)), sigmas)
        self.sigmas = torch.from_numpy(np.concatenate([sigmas, [0.0]]).astype(np.float32))
        self.timesteps = torch.from_numpy(ts.astype(np.float32))
        self.step_index = None
        self.begin_index = None

    @property
    def init_noise_sigma(self) -> torch.Tensor:
        max_sigma = self.sigmas.max()
        if self.config.get("timestep_spacing", "linspace") in ("linspace", "trailing"):
            return max_sigma
        return (max_sigma ** 2 + 1) ** 0.5

    def index_for_timestep(self, t: float) -> int:
        idx = (self.timesteps == t).nonzero()
        return int(idx[1 if len(idx) > 1 else 0])

    def _init_step_index(self, t: float) -> None:
        self.step_index = self.index_for_timestep(t) if self.begin_index is None else self.begin_index

    def scale_model_input(self, sample: torch.Tensor, t: float) -> torch.Tensor:
        if self.step_index is None:
            self._init_step_index(t)
        sigma = self.sigmas[self.step_index]
        return sample / ((sigma ** 2 + 1) ** 0.5)

    def step(self, eps: torch.Tensor, t: float, sample: torch.Tensor):
        if self.step_index is None:
            self._init_step_index(t)
        sigma = self.sigmas[self.step_index]
        sigma_hat = sigma * (0.0 + 1)
        x0 = sample - sigma_hat * eps
        derivative = (sample - x0) / sigma_hat
        dt = self.sigmas[self.step_index + 1] - sigma_hat
        self.step_index += 1
        return sample + derivative * dt, x0

    def add_noise(self, original: torch.Tensor, noise: torch.Tensor, t: float) -> torch.Tensor:
        index = self.index_for_timestep(t) if self.begin_index is None else self.begin_index
        return original + noise * self.sigmas[index]


class LCM:
    """LCMScheduler (epsilon prediction, no thresholding)."""

    def __init__(self, config: dict) -> None:
        self.config = config
        self.n_train = config["num_train_timesteps"]
        self.alphas_cumprod = alphas_cumprod(config)
        self.final_alpha_cumprod = torch.tensor(1.0) if config["set_alpha_to_one"] else self.alphas_cumprod[0]

    def set_timesteps(self, n: int, strength: float = 1.0) -> None:
        original = self.config["original_inference_steps"]
        k = self.n_train // original
        origin = np.asarray(list(range(1, int(original * strength) + 1))) * k - 1
        assert len(origin) // n >= 1
        origin = origin[::-1].copy()
        idx = np.floor(np.linspace(0, len(origin), num=n, endpoint=False)).astype(np.int64)
        self.timesteps = torch.from_numpy(origin[idx].copy()).to(torch.long)
        self.num_inference_steps = n
        self.step_index = None

    def scalings(self, t: torch.Tensor):
        sigma_data = 0.5
        scaled = t * self.config["timestep_scaling"]
        c_skip = sigma_data ** 2 / (scaled ** 2 + sigma_data ** 2)
        c_out = scaled / (scaled ** 2 + sigma_data ** 2) ** 0.5
        return c_skip, c_out

    def step(self, eps: torch.Tensor, t: torch.Tensor, sample: torch.Tensor, generator: torch.Generator):
        if self.step_index is None:
            self.step_index = int((self.timesteps == t).nonzero()[0])
        prev_index = self.step_index + 1
        prev_t = self.timesteps[prev_index] if prev_index < len(self.timesteps) else t
        a_t = self.alphas_cumprod[t]
        a_prev = self.alphas_cumprod[prev_t] if prev_t >= 0 else self.final_alpha_cumprod
        b_t, b_prev = 1 - a_t, 1 - a_prev
        c_skip, c_out = self.scalings(t)
        x0 = (sample - b_t.sqrt() * eps) / a_t.sqrt()
        denoised = c_out * x0 + c_skip * sample
        noise = None
        if self.step_index != self.num_inference_steps - 1:
            noise = torch.randn(eps.shape, generator=generator, dtype=denoised.dtype)
            prev = a_prev.sqrt() * denoised + b_prev.sqrt() * noise
        else:
            prev = denoised
        self.step_index += 1
        return prev, denoised, noise


class DDIM:
    """DDIMScheduler, eta 0, epsilon prediction, no clipping/thresholding."""

    def __init__(self, config: dict) -> None:
        assert config["prediction_type"] == "epsilon" and not config["clip_sample"]
        assert not config["thresholding"] and not config["rescale_betas_zero_snr"]
        self.config = config
        self.n_train = config["num_train_timesteps"]
        self.alphas_cumprod = alphas_cumprod(config)
        self.final_alpha_cumprod = torch.tensor(1.0) if config["set_alpha_to_one"] else self.alphas_cumprod[0]

    def set_timesteps(self, n: int) -> None:
        assert self.config["timestep_spacing"] == "leading"
        self.num_inference_steps = n
        ratio = self.n_train // n
        ts = (np.arange(0, n) * ratio).round()[::-1].copy().astype(np.int64) + self.config["steps_offset"]
        self.timesteps = torch.from_numpy(ts)

    def step(self, eps: torch.Tensor, t: int, x: torch.Tensor):
        prev_t = t - self.n_train // self.num_inference_steps
        a_t = self.alphas_cumprod[t]
        a_prev = self.alphas_cumprod[prev_t] if prev_t >= 0 else self.final_alpha_cumprod
        x0 = (x - (1 - a_t) ** 0.5 * eps) / a_t ** 0.5
        return a_prev ** 0.5 * x0 + (1 - a_prev) ** 0.5 * eps, x0


DDIM_DEFAULTS = {  # DDIMScheduler.__init__ defaults (diffusers 0.27)
    "num_train_timesteps": 1000, "beta_start": 0.0001, "beta_end": 0.02, "beta_schedule": "linear",
    "trained_betas": None, "clip_sample": True, "set_alpha_to_one": True, "steps_offset": 0,
    "prediction_type": "epsilon", "thresholding": False, "dynamic_thresholding_ratio": 0.995,
    "clip_sample_range": 1.0, "sample_max_value": 1.0, "timestep_spacing": "leading",
    "rescale_betas_zero_snr": False,
}


def ddim_from_config(raw: dict) -> dict:
    """DDIMScheduler.from_config(<the folder's scheduler config>): its own keys, defaults for the rest."""
    cfg = {k: raw.get(k, v) for k, v in DDIM_DEFAULTS.items()}
    return {"_class_name": "DDIMScheduler", **cfg}


# ---------------------------------------------------------------------------------------
# Weights check
# ---------------------------------------------------------------------------------------


def check_weights(module: torch.nn.Module, onnx_path: Path, fp16: bool) -> int:
    inits = [numpy_helper.to_array(t).astype(np.float32)
             for t in onnx.load(str(onnx_path)).graph.initializer if t.data_type in (1, 10)]
    digests = {hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest() for a in inits}
    n = 0
    for name, p in module.named_parameters():
        arr = p.detach().numpy()
        if fp16:
            arr = mr.np_to_fp16(arr).astype(np.float32)
        cands = [arr, arr.T] if arr.ndim == 2 else [arr]
        assert any(hashlib.sha256(np.ascontiguousarray(c).tobytes()).hexdigest() in digests for c in cands), \
            f"{onnx_path}: {name} not among the initializers"
        n += 1
    return n


# ---------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------


def tensor_json(t: torch.Tensor) -> dict:
    arr = t.detach().to(torch.float32).contiguous().numpy()
    return {"shape": list(arr.shape), "data": _Raw("[" + ",".join("%.9g" % v for v in arr.ravel()) + "]")}


class _Raw(str):
    pass


def dumps(obj, indent: int = 0) -> str:
    """JSON with float arrays written as %.9g (float32 round-trips) and one key per line."""
    pad = "  " * (indent + 1)
    if isinstance(obj, _Raw):
        return str(obj)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{pad}{json.dumps(k)}: {dumps(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(obj, list) and any(isinstance(v, dict) for v in obj):
        return "[\n" + ",\n".join(pad + dumps(v, indent + 1) for v in obj) + "\n" + "  " * indent + "]"
    return json.dumps(obj, ensure_ascii=False)


def write_case(name: str, case: str, result: dict) -> None:
    path = OUT / f"{name}.{case}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = dumps(result) + "\n"
    path.write_text(text, encoding="utf-8")
    json.loads(text)
    img = result["image"]["data"]
    print(f"  wrote {path.relative_to(REPO)} ({len(text)} bytes); timesteps {result['timesteps']}")


def to_hwc01(x: torch.Tensor) -> torch.Tensor:
    return (x / 2 + 0.5).clamp(0, 1)[0].permute(1, 2, 0).contiguous()


# ---------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------

TOK = mf.TinyClipTokenizer()
PROMPT = "a red circle on a blue background"
NEGATIVE = "blurry, low quality"


class Encoders:
    """Text encoding: ids with the folder's pad token, int32 as the replicas take them."""

    def __init__(self, te, pad: str) -> None:
        self.te, self.pad = te, pad

    def ids(self, text: str) -> list[int]:
        return mr.token_ids(TOK, text, self.pad)

    def embed(self, texts: list[str]) -> torch.Tensor:
        ids = torch.tensor([self.ids(t) for t in texts], dtype=torch.int32)
        with torch.no_grad():
            return self.te(ids)[0]


def base_result(name: str, case: str, params: dict, description: str, scheduler_config: dict,
                enc: Encoders) -> dict:
    cfg = params["guidanceScale"] > 1
    return {
        "folder": f"models/fixtures/replicas/{name}",
        "case": case,
        "description": description,
        "params": params,
        "schedulerConfig": scheduler_config,
        "tokens": {"padToken": enc.pad, "prompt": enc.ids(params["prompt"]),
                   "negative": enc.ids(params["negativePrompt"]) if cfg else None},
    }


def txt2img(name: str, case: str, *, te, unet, dec, pad: str, sched, scheduler_config: dict,
            params: dict, description: str, timestep_dtype, split_cfg: bool = False) -> None:
    enc = Encoders(te, pad)
    result = base_result(name, case, params, description, scheduler_config, enc)
    g = params["guidanceScale"]
    cfg = g > 1
    gen = torch.Generator("cpu").manual_seed(params["seed"])
    with torch.no_grad():
        cond = enc.embed([params["prompt"]])
        uncond = enc.embed([params["negativePrompt"]]) if cfg else None
        sched.set_timesteps(params["steps"])
        shape = [1, 4, params["height"] // 8, params["width"] // 8]
        noise = torch.randn(shape, generator=gen, dtype=torch.float32)
        lat = noise * sched.init_noise_sigma
        for t in sched.timesteps.tolist():
            tt = torch.tensor([t], dtype=timestep_dtype)
            if cfg and split_cfg:
                x = sched.scale_model_input(lat, t)
                eps_u, eps_c = unet(x, tt, uncond), unet(x, tt, cond)
                eps = eps_u + g * (eps_c - eps_u)
            elif cfg:
                x = sched.scale_model_input(torch.cat([lat, lat]), t)
                eps_u, eps_c = unet(x, tt, torch.cat([uncond, cond])).chunk(2)
                eps = eps_u + g * (eps_c - eps_u)
            else:
                eps = unet(sched.scale_model_input(lat, t), tt, cond)
            lat, _ = sched.step(eps, t, lat)
        hwc = to_hwc01(dec(lat / SCALING))
    result.update({
        "images": {},
        "timesteps": [int(t) for t in sched.timesteps.tolist()],
        "initNoiseSigma": float(sched.init_noise_sigma),
        "draws": [{"purpose": "initial latents (× initNoiseSigma)", **tensor_json(noise)}],
        "image": tensor_json(hwc),
        "latents": tensor_json(lat),
    })
    write_case(name, case, result)


def run_optimum_sd_turbo() -> None:
    name = "optimum-sd-turbo"
    folder = mr.OUT_ROOT / name
    te = mr.fp16_round_module(mr.text_encoder(TOK, gelu=True))
    u = mr.fp16_round_module(mr.unet())
    dec = mr.fp16_round_module(mr.vae_decoder())
    kl = mr.fp16_round_module(mr.vae_encoder_kl())
    for mod, comp in ((te, "text_encoder"), (u, "unet"), (dec, "vae_decoder"), (kl, "vae_encoder")):
        print(f"  {name}/{comp}: {check_weights(mod, folder / comp / 'model.onnx', fp16=True)} parameters = fp16 initializers")
    cfg = dict(mr.SD_TURBO_SCHEDULER)
    common = dict(prompt=PROMPT, negativePrompt="", guidanceScale=0.0, guidanceRescale=0,
                  scheduler="default", width=64, height=64)
    desc = ("SD-Turbo txt2img as diffusers' StableDiffusionPipeline with the folder's "
            "EulerDiscreteScheduler (trailing): guidance 0 → no CFG batch; latents = randn × sigma_max; "
            "unet(latents / sqrt(sigma²+1), int64 t); torch twin = fp16-rounded weights in fp32")
    txt2img(name, "txt2img-1step", te=te, unet=u, dec=dec, pad="!", sched=mr_euler(cfg), scheduler_config=cfg,
            params={**common, "seed": 11, "steps": 1}, description=desc, timestep_dtype=torch.int64)
    txt2img(name, "txt2img-4step", te=te, unet=u, dec=dec, pad="!", sched=mr_euler(cfg), scheduler_config=cfg,
            params={**common, "seed": 12, "steps": 4}, description=desc, timestep_dtype=torch.int64)
    img2img_turbo(name, te, u, dec, kl, cfg)


def mr_euler(cfg: dict) -> EulerDiscrete:
    return EulerDiscrete(cfg)


def img2img_turbo(name: str, te, u, dec, kl, cfg: dict) -> None:
    params = dict(prompt=PROMPT, negativePrompt="", seed=13, steps=2, guidanceScale=0.0, guidanceRescale=0,
                  scheduler="default", width=64, height=64, strength=0.5)
    enc = Encoders(te, "!")
    desc = ("SD-Turbo img2img as diffusers' StableDiffusionImg2ImgPipeline: init image 2·v−1 → vae_encoder "
            "latent_parameters (mean ‖ logvar), logvar.clamp(−30, 20), posterior sample mean + exp(logvar/2)·"
            "draw 1, × 0.18215; Euler trailing timesteps [999, 499], strength 0.5 → init_timestep "
            "min(int(2·0.5), 2) = 1, t_start 1, timesteps [499] (begin_index 1); add_noise(init, draw 2, "
            "sigma(499)); then the Euler loop (guidance 0, no CFG)")
    result = base_result(name, "img2img", params, desc, cfg, enc)
    sched = EulerDiscrete(cfg)
    gen = torch.Generator("cpu").manual_seed(params["seed"])
    init_hwc = init_image()
    with torch.no_grad():
        cond = enc.embed([params["prompt"]])
        sched.set_timesteps(params["steps"])
        init_t = min(int(params["steps"] * params["strength"]), params["steps"])
        t_start = max(params["steps"] - init_t, 0)
        timesteps = sched.timesteps[t_start:]
        sched.begin_index = t_start
        pixel = (2 * init_hwc - 1).permute(2, 0, 1)[None].contiguous()
        mean, logvar = torch.chunk(kl(pixel), 2, dim=1)
        logvar = torch.clamp(logvar, -30.0, 20.0)
        post_noise = torch.randn(mean.shape, generator=gen, dtype=torch.float32)
        init_latents = (mean + torch.exp(0.5 * logvar) * post_noise) * SCALING
        noise = torch.randn(init_latents.shape, generator=gen, dtype=torch.float32)
        lat = sched.add_noise(init_latents, noise, float(timesteps[0]))
        for t in timesteps.tolist():
            eps = u(sched.scale_model_input(lat, t), torch.tensor([t], dtype=torch.int64), cond)
            lat, _ = sched.step(eps, t, lat)
        hwc = to_hwc01(dec(lat / SCALING))
    result.update({
        "images": {"init": tensor_json(init_hwc)},
        "timesteps": [int(t) for t in timesteps.tolist()],
        "allTimesteps": [int(t) for t in sched.timesteps.tolist()],
        "draws": [{"purpose": "posterior sample noise (latent_dist.sample)", **tensor_json(post_noise)},
                  {"purpose": "add_noise noise", **tensor_json(noise)}],
        "initLatents": tensor_json(init_latents),
        "image": tensor_json(hwc),
        "latents": tensor_json(lat),
    })
    write_case(name, "img2img", result)


def run_optimum_lcm() -> None:
    name = "optimum-lcm-dreamshaper"
    folder = mr.OUT_ROOT / name
    te, u, dec = mr.text_encoder(TOK, gelu=False), mr.lcm_unet(), mr.vae_decoder()
    for mod, comp in ((te, "text_encoder"), (u, "unet"), (dec, "vae_decoder")):
        print(f"  {name}/{comp}: {check_weights(mod, folder / comp / 'model.onnx', fp16=False)} parameters = initializers")
    cfg = dict(mr.LCM_SCHEDULER)
    params = dict(prompt=PROMPT, negativePrompt="", seed=21, steps=4, guidanceScale=8.0, guidanceRescale=0,
                  scheduler="default", width=64, height=64)
    enc = Encoders(te, mf.EOS)
    desc = ("LatentConsistencyModelPipeline: no CFG batch (the negative prompt is unused); timestep_cond = "
            "get_guidance_scale_embedding(w = guidance − 1 = 7, dim 32): w·1000, [sin ‖ cos]; latents = "
            "draw 1 (init_noise_sigma 1); LCMScheduler step: denoised = c_out·x0 + c_skip·x; between steps "
            "prev = sqrt(ᾱ_prev)·denoised + sqrt(1−ᾱ_prev)·draw k (draws 2..4, none after the last step); "
            "the image decodes the last step's denoised (= latents)")
    result = base_result(name, "txt2img-lcm4", params, desc, cfg, enc)
    result["tokens"]["negative"] = None
    sched = LCM(cfg)
    gen = torch.Generator("cpu").manual_seed(params["seed"])
    with torch.no_grad():
        cond = enc.embed([params["prompt"]])
        sched.set_timesteps(params["steps"])
        w = torch.tensor(params["guidanceScale"] - 1).repeat(1)
        w_emb = mr.guidance_embedding(w, mr.TIME_COND_DIM)
        lat = torch.randn([1, 4, 8, 8], generator=gen, dtype=torch.float32)
        draws = [{"purpose": "initial latents", **tensor_json(lat)}]
        denoised = lat
        for t in sched.timesteps:
            eps = u(lat, t.reshape(1), cond, w_emb)
            lat, denoised, noise = sched.step(eps, t, lat, gen)
            if noise is not None:
                draws.append({"purpose": f"LCM step noise after t={int(t)}", **tensor_json(noise)})
        hwc = to_hwc01(dec(denoised / SCALING))
    result.update({
        "images": {},
        "timesteps": [int(t) for t in sched.timesteps.tolist()],
        "timestepCond": tensor_json(w_emb),
        "draws": draws,
        "image": tensor_json(hwc),
        "latents": tensor_json(denoised),
    })
    write_case(name, "txt2img-lcm4", result)


def run_diffusers_script() -> None:
    name = "diffusers-script-sd15"
    folder = mr.OUT_ROOT / name
    te, u, dec = mr.text_encoder(TOK, gelu=False), mr.unet(), mr.vae_decoder()
    for mod, comp in ((te, "text_encoder"), (u, "unet"), (dec, "vae_decoder")):
        print(f"  {name}/{comp}: {check_weights(mod, folder / comp / 'model.onnx', fp16=False)} parameters = initializers")
    cfg = ddim_from_config(mr.SD15_SCHEDULER)
    params = dict(prompt=PROMPT, negativePrompt=NEGATIVE, seed=31, steps=4, guidanceScale=7.5, guidanceRescale=0,
                  scheduler="ddim", width=64, height=64)
    desc = ("OnnxStableDiffusionPipeline semantics with DDIMScheduler.from_config(the folder's PNDM config): "
            "leading, steps_offset 1, set_alpha_to_one false, eta 0; CFG batch [negative, prompt]; float32 "
            "timestep [1]")
    txt2img(name, "txt2img-ddim", te=te, unet=u, dec=dec, pad=mf.EOS, sched=DDIMish(cfg), scheduler_config=cfg,
            params=params, description=desc, timestep_dtype=torch.float32)


class DDIMish(DDIM):
    """DDIM with the txt2img loop's interface (init_noise_sigma 1, identity scale_model_input)."""
    init_noise_sigma = 1.0

    def scale_model_input(self, x, t):
        return x


def run_webnn() -> None:
    name = "webnn-sd-turbo"
    folder = mr.OUT_ROOT / name
    te = mr.fp16_round_module(mr.text_encoder(TOK, gelu=True))
    u = mr.fp16_round_module(mr.unet())
    dec = mr.fp16_round_module(mr.vae_decoder())
    for mod, comp, f in ((te, "text_encoder", "model_layernorm.onnx"), (u, "unet", "model_layernorm.onnx"),
                         (dec, "vae_decoder", "model.onnx")):
        print(f"  {name}/{comp}: {check_weights(mod, folder / comp / f, fp16=True)} parameters = fp16 initializers")
    cfg = dict(mr.SD_TRAINING_EULER_TRAILING)
    desc = ("The folder has no scheduler config: SD-Turbo's Euler (trailing) over SD's training schedule "
            "(scaled_linear 0.00085–0.012, 1000 steps, steps_offset 1). Inputs of the static fp16 graphs are "
            "float16 (timestep too); the references are the float32-compute torch twin (fp16-rounded "
            "weights). Token ids padded with the tokenizer_config's pad token <|endoftext|> (the WebNN demo "
            "overrides pad_token_id = 0)")
    common = dict(prompt=PROMPT, scheduler="default", width=64, height=64, guidanceRescale=0)
    txt2img(name, "txt2img-1step", te=te, unet=u, dec=dec, pad=mf.EOS, sched=EulerDiscrete(cfg), scheduler_config=cfg,
            params={**common, "negativePrompt": "", "seed": 41, "steps": 1, "guidanceScale": 0.0},
            description=desc, timestep_dtype=torch.float32)
    txt2img(name, "txt2img-cfg", te=te, unet=u, dec=dec, pad=mf.EOS, sched=EulerDiscrete(cfg), scheduler_config=cfg,
            params={**common, "negativePrompt": NEGATIVE, "seed": 42, "steps": 2, "guidanceScale": 2.0},
            description=desc + "; CFG as two batch-1 U-Net passes (uncond, cond) per step",
            timestep_dtype=torch.float32, split_cfg=True)


def run_tensorstack() -> None:
    name = "tensorstack-sd15-controlnet"
    folder = mr.OUT_ROOT / name
    te, dec = mr.text_encoder(TOK, gelu=False), mr.vae_decoder()
    u, cn = mr.controlnet()
    for mod, comp in ((te, "text_encoder"), (u, "unet"), (cn, "controlnet"), (dec, "vae_decoder")):
        print(f"  {name}/{comp}: {check_weights(mod, folder / comp / 'model.onnx', fp16=False)} parameters = initializers")
    cfg = ddim_from_config(mr.SD15_SCHEDULER)
    enc = Encoders(te, mf.EOS)
    for case, seed, with_control in (("controlnet-ddim", 51, True), ("txt2img-zero-residuals", 52, False)):
        params = dict(prompt=PROMPT, negativePrompt=NEGATIVE, seed=seed, steps=4, guidanceScale=7.5,
                      guidanceRescale=0, scheduler="ddim", width=64, height=64)
        if with_control:
            params.update(controlScale=0.8, controlStart=0.0, controlEnd=1.0)
            desc = ("StableDiffusionControlNetPipeline semantics, DDIM (from_config of the PNDM config), CFG "
                    "batch [negative, prompt]: the ControlNet runs on the same [2,…] latents / embeddings with "
                    "the control image (HWC [0,1] → CHW, repeated for both halves) and conditioning_scale "
                    "float64 [0.8 × keep_i] (keep 1 for start 0, end 1); its 4 outputs (numeric names, in "
                    "down_block_0..2, mid order) feed the U-Net's residual inputs; float32 timestep [1]")
        else:
            desc = ("no control image: DDIM txt2img with the ControlNet U-Net fed all-zero residuals "
                    "(= the plain SD 1.5 U-Net), CFG batch [negative, prompt], float32 timestep [1]")
        result = base_result(name, case, params, desc, cfg, enc)
        sched = DDIM(cfg)
        gen = torch.Generator("cpu").manual_seed(seed)
        hint = control_image()
        with torch.no_grad():
            ctx = torch.cat([enc.embed([NEGATIVE]), enc.embed([PROMPT])])
            sched.set_timesteps(4)
            noise = torch.randn([1, 4, 8, 8], generator=gen, dtype=torch.float32)
            lat = noise
            n = len(sched.timesteps)
            keep = [1.0 - float(i / n < 0.0 or (i + 1) / n > 1.0) for i in range(n)]
            cond_img = hint.permute(2, 0, 1)[None].expand(2, -1, -1, -1).contiguous()
            for i, t in enumerate(sched.timesteps.tolist()):
                x = torch.cat([lat, lat])
                tt = torch.tensor([float(t)])
                if with_control:
                    res = cn(x, tt, ctx, cond_img, torch.tensor([0.8 * keep[i]], dtype=torch.float64))
                else:
                    res = [torch.zeros(s) for s in mf.residual_shapes(2, 8, 8)]
                eps_u, eps_c = u(x, tt, ctx, *res).chunk(2)
                lat, _ = sched.step(eps_u + 7.5 * (eps_c - eps_u), t, lat)
            hwc = to_hwc01(dec(lat / SCALING))
        result.update({
            "images": {"control": tensor_json(hint)} if with_control else {},
            "timesteps": [int(t) for t in sched.timesteps.tolist()],
            "draws": [{"purpose": "initial latents", **tensor_json(noise)}],
            "image": tensor_json(hwc),
            "latents": tensor_json(lat),
        })
        if with_control:
            result["condScales"] = [0.8 * k for k in keep]
        write_case(name, case, result)


def main() -> int:
    torch.set_num_threads(1)
    print("reference runs:")
    run_optimum_sd_turbo()
    run_optimum_lcm()
    run_diffusers_script()
    run_webnn()
    run_tensorstack()
    return 0


if __name__ == "__main__":
    sys.exit(main())
