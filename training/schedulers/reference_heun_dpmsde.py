#!/usr/bin/env python3
"""Per-step reference values for Lantern's Heun and DPM++ 2M SDE Karras schedulers.

    /usr/bin/python3 training/schedulers/reference_heun_dpmsde.py

diffusers is not installed here, so this file carries its own transcription of the two
classes, written from diffusers 0.27.2's source (tag v0.27.2, commit
b69fd990ad8026f21893499ab396d969b62bb8cc):
  src/diffusers/schedulers/scheduling_heun_discrete.py       HeunDiscreteScheduler
  src/diffusers/schedulers/scheduling_dpmsolver_multistep.py DPMSolverMultistepScheduler
  src/diffusers/utils/torch_utils.py                          randn_tensor
  src/diffusers/pipelines/stable_diffusion/pipeline_stable_diffusion{,_img2img}.py (the loop)
Only the branches these configs reach are transcribed, with diffusers' dtypes: numpy float64
for spacing / interpolation / Karras, float32 torch tensors for sigmas and every step.
Nothing from lib/ is used.

Runs: SD 1.5's scheduler config (scaled_linear 0.00085-0.012, 1000 train steps, steps_offset 1)
through from_config, so each class keeps its own defaults for the other keys. Heun: epsilon
and v_prediction with Heun's default linspace spacing, epsilon with leading spacing and with
Karras sigmas; DPM++ 2M SDE Karras: algorithm_type sde-dpmsolver++, solver_order 2, midpoint,
use_karras_sigmas, epsilon and v_prediction. Step counts 1, 2, 5, 10 (and 20 for DPM, past
lower_order_final's 15), plus one img2img run each (strength 0.6, as the img2img pipeline:
timesteps[t_start * order:], set_begin_index, add_noise).

The loop is the pipelines' (batch 1, no guidance):
    g = torch.Generator().manual_seed(seed)
    x = randn_tensor(shape, generator=g) * init_noise_sigma            # txt2img
    for t in timesteps:
        x_in = scale_model_input(x, t)
        out  = model(x_in, t)
        x    = step(out, t, x, generator=g)   # DPM: randn_tensor(shape, g) inside, every step
with the fake model  out[k] = f32(x_in[k] * f32(0.1)) + f32(f32(0.01 * t / 1000) + bias[k]),
bias[k] = f32(0.05 * cos(k)) (float32 ops; t is the timestep value as a Python float).

Each run is recorded twice from the same seed: `steps`, diffusers as it is (float32 tensors
throughout), and `steps_f64`, the same formulas with float64 intermediates on float32 inputs,
storing float32 where Lantern stores a Float32Array (sample, model output, the outputs, Heun's
first-call derivative, DPM's converted model outputs) — the precision Lantern's schedulers
document (lib/diffusion/schedulers/common.ts). The second isolates a formula error (tight
tolerance) from diffusers' own float32 rounding (Heun's second call cancels x − x0 when
σ_next is small: ~1e-5 of the sample).

Writes tests/fixtures/schedulers/heun.json and tests/fixtures/schedulers/dpmpp2m_sde_karras.json.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent.parent
OUT_DIR = REPO / "tests" / "fixtures" / "schedulers"
DIFFUSERS = "diffusers 0.27.2 (b69fd990ad8026f21893499ab396d969b62bb8cc)"

SD15 = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "steps_offset": 1,
    "clip_sample": False,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "trained_betas": None,
    "prediction_type": "epsilon",
}

STRENGTH = 0.6


def scaled_linear_betas(c):
    assert c["beta_schedule"] == "scaled_linear" and c["trained_betas"] is None
    return torch.linspace(c["beta_start"] ** 0.5, c["beta_end"] ** 0.5, c["num_train_timesteps"], dtype=torch.float32) ** 2


def sigma_to_t(sigma, log_sigmas):
    # EulerDiscreteScheduler._sigma_to_t (copied into both classes)
    log_sigma = np.log(np.maximum(sigma, 1e-10))
    dists = log_sigma - log_sigmas[:, np.newaxis]
    low_idx = np.cumsum((dists >= 0), axis=0).argmax(axis=0).clip(max=log_sigmas.shape[0] - 2)
    high_idx = low_idx + 1
    low = log_sigmas[low_idx]
    high = log_sigmas[high_idx]
    w = (low - log_sigma) / (low - high)
    w = np.clip(w, 0, 1)
    t = (1 - w) * low_idx + w * high_idx
    return t.reshape(sigma.shape)


def convert_to_karras(config, in_sigmas, n):
    # _convert_to_karras: sigma_min / sigma_max only when the config carries them
    sigma_min = config.get("sigma_min")
    sigma_max = config.get("sigma_max")
    sigma_min = sigma_min if sigma_min is not None else in_sigmas[-1].item()
    sigma_max = sigma_max if sigma_max is not None else in_sigmas[0].item()
    rho = 7.0
    ramp = np.linspace(0, 1, n)
    min_inv_rho = sigma_min ** (1 / rho)
    max_inv_rho = sigma_max ** (1 / rho)
    return (max_inv_rho + ramp * (min_inv_rho - max_inv_rho)) ** rho


def index_for_timestep(timesteps, timestep, fallback_last=False):
    indices = (timesteps == timestep).nonzero()
    if len(indices) == 0 and fallback_last:
        return len(timesteps) - 1
    pos = 1 if len(indices) > 1 else 0
    return indices[pos].item()


class Heun:
    """HeunDiscreteScheduler, diffusers 0.27.2."""

    order = 2
    defaults = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="linear",
                    trained_betas=None, prediction_type="epsilon", use_karras_sigmas=False, clip_sample=False,
                    clip_sample_range=1.0, timestep_spacing="linspace", steps_offset=0)

    def __init__(self, config, f64=False):
        self.config = {**self.defaults, **{k: v for k, v in config.items() if k in self.defaults}}
        self.w = torch.float64 if f64 else torch.float32  # the working dtype of the step math
        self.betas = scaled_linear_betas(self.config)
        self.alphas_cumprod = torch.cumprod(1.0 - self.betas, dim=0)
        self.dt = None
        self._step_index = None
        self._begin_index = None

    @property
    def init_noise_sigma(self):
        if self.config["timestep_spacing"] in ["linspace", "trailing"]:
            return self.sigmas.max()
        return (self.sigmas.max() ** 2 + 1) ** 0.5

    def set_begin_index(self, i):
        self._begin_index = i

    def set_timesteps(self, n):
        c = self.config
        T = c["num_train_timesteps"]
        if c["timestep_spacing"] == "linspace":
            timesteps = np.linspace(0, T - 1, n, dtype=np.float32)[::-1].copy()
        elif c["timestep_spacing"] == "leading":
            step_ratio = T // n
            timesteps = (np.arange(0, n) * step_ratio).round()[::-1].copy().astype(np.float32)
            timesteps += c["steps_offset"]
        elif c["timestep_spacing"] == "trailing":
            step_ratio = T / n
            timesteps = (np.arange(T, 0, -step_ratio)).round().copy().astype(np.float32)
            timesteps -= 1
        sigmas = np.array(((1 - self.alphas_cumprod) / self.alphas_cumprod) ** 0.5)
        log_sigmas = np.log(sigmas)
        sigmas = np.interp(timesteps, np.arange(0, len(sigmas)), sigmas)
        if c["use_karras_sigmas"]:
            sigmas = convert_to_karras(c, sigmas, n)
            timesteps = np.array([sigma_to_t(sigma, log_sigmas) for sigma in sigmas])
        sigmas = np.concatenate([sigmas, [0.0]]).astype(np.float32)
        sigmas = torch.from_numpy(sigmas)
        self.sigmas = torch.cat([sigmas[:1], sigmas[1:-1].repeat_interleave(2), sigmas[-1:]])
        timesteps = torch.from_numpy(timesteps)
        self.timesteps = torch.cat([timesteps[:1], timesteps[1:].repeat_interleave(2)])
        self.prev_derivative = None
        self.dt = None
        self._step_index = None
        self._begin_index = None

    def _init_step_index(self, timestep):
        if self._begin_index is None:
            self._step_index = index_for_timestep(self.timesteps, timestep)
        else:
            self._step_index = self._begin_index

    def scale_model_input(self, sample, timestep):
        if self._step_index is None:
            self._init_step_index(timestep)
        sigma = self.sigmas[self._step_index].to(self.w)
        return (sample.to(self.w) / ((sigma**2 + 1) ** 0.5)).float()

    def step(self, model_output, timestep, sample, generator=None):
        if self._step_index is None:
            self._init_step_index(timestep)
        model_output, sample = model_output.to(self.w), sample.to(self.w)
        sigmas = self.sigmas.to(self.w)
        first = self.dt is None
        if first:
            sigma = sigmas[self._step_index]
            sigma_next = sigmas[self._step_index + 1]
        else:
            sigma = sigmas[self._step_index - 1]
            sigma_next = sigmas[self._step_index]
        gamma = 0
        sigma_hat = sigma * (gamma + 1)
        pt = self.config["prediction_type"]
        if pt == "epsilon":
            sigma_input = sigma_hat if first else sigma_next
            x0 = sample - sigma_input * model_output
        elif pt == "v_prediction":
            sigma_input = sigma_hat if first else sigma_next
            x0 = model_output * (-sigma_input / (sigma_input**2 + 1) ** 0.5) + (sample / (sigma_input**2 + 1))
        elif pt == "sample":
            x0 = model_output
        if self.config["clip_sample"]:
            x0 = x0.clamp(-self.config["clip_sample_range"], self.config["clip_sample_range"])
        if first:
            derivative = (sample - x0) / sigma_hat
            dt = sigma_next - sigma_hat
            self.prev_derivative = derivative.float()
            self.dt = dt
            self.sample = sample
        else:
            derivative = (sample - x0) / sigma_next
            derivative = (self.prev_derivative.to(self.w) + derivative) / 2
            dt = self.dt
            sample = self.sample
            self.prev_derivative = None
            self.dt = None
            self.sample = None
        prev_sample = sample + derivative * dt
        self._step_index += 1
        return prev_sample.float(), x0.float(), None

    def add_noise(self, original, noise, timestep):
        if self._begin_index is None:
            i = index_for_timestep(self.timesteps, timestep)
        elif self._step_index is not None:
            i = self._step_index
        else:
            i = self._begin_index
        return (original.to(self.w) + noise.to(self.w) * self.sigmas[i].to(self.w)).float()


class DPMSolverMultistep:
    """DPMSolverMultistepScheduler, diffusers 0.27.2: the dpmsolver++ / sde-dpmsolver++ branches."""

    order = 1
    defaults = dict(num_train_timesteps=1000, beta_start=0.0001, beta_end=0.02, beta_schedule="linear",
                    trained_betas=None, solver_order=2, prediction_type="epsilon", thresholding=False,
                    dynamic_thresholding_ratio=0.995, sample_max_value=1.0, algorithm_type="dpmsolver++",
                    solver_type="midpoint", lower_order_final=True, euler_at_final=False, use_karras_sigmas=False,
                    use_lu_lambdas=False, final_sigmas_type="zero", lambda_min_clipped=-float("inf"),
                    variance_type=None, timestep_spacing="linspace", steps_offset=0, rescale_betas_zero_snr=False)

    def __init__(self, config, f64=False):
        self.config = {**self.defaults, **{k: v for k, v in config.items() if k in self.defaults}}
        self.w = torch.float64 if f64 else torch.float32  # the working dtype of the step math
        c = self.config
        assert c["algorithm_type"] in ["dpmsolver++", "sde-dpmsolver++"] and not c["thresholding"]
        assert not c["rescale_betas_zero_snr"] and not c["use_lu_lambdas"] and c["variance_type"] is None
        self.betas = scaled_linear_betas(c)
        self.alphas_cumprod = torch.cumprod(1.0 - self.betas, dim=0)
        self.alpha_t = torch.sqrt(self.alphas_cumprod)
        self.sigma_t = torch.sqrt(1 - self.alphas_cumprod)
        self.lambda_t = torch.log(self.alpha_t) - torch.log(self.sigma_t)
        self.init_noise_sigma = 1.0
        self.num_inference_steps = None
        self._step_index = None
        self._begin_index = None

    def set_begin_index(self, i):
        self._begin_index = i

    def set_timesteps(self, n):
        c = self.config
        T = c["num_train_timesteps"]
        clipped_idx = torch.searchsorted(torch.flip(self.lambda_t, [0]), c["lambda_min_clipped"])
        last_timestep = ((T - clipped_idx).numpy()).item()
        if c["timestep_spacing"] == "linspace":
            timesteps = np.linspace(0, last_timestep - 1, n + 1).round()[::-1][:-1].copy().astype(np.int64)
        elif c["timestep_spacing"] == "leading":
            step_ratio = last_timestep // (n + 1)
            timesteps = (np.arange(0, n + 1) * step_ratio).round()[::-1][:-1].copy().astype(np.int64)
            timesteps += c["steps_offset"]
        elif c["timestep_spacing"] == "trailing":
            step_ratio = T / n
            timesteps = np.arange(last_timestep, 0, -step_ratio).round().copy().astype(np.int64)
            timesteps -= 1
        sigmas = np.array(((1 - self.alphas_cumprod) / self.alphas_cumprod) ** 0.5)
        log_sigmas = np.log(sigmas)
        if c["use_karras_sigmas"]:
            sigmas = np.flip(sigmas).copy()
            sigmas = convert_to_karras(c, sigmas, n)
            timesteps = np.array([sigma_to_t(sigma, log_sigmas) for sigma in sigmas]).round()
        else:
            sigmas = np.interp(timesteps, np.arange(0, len(sigmas)), sigmas)
        if c["final_sigmas_type"] == "sigma_min":
            sigma_last = ((1 - self.alphas_cumprod[0]) / self.alphas_cumprod[0]) ** 0.5
        else:
            sigma_last = 0
        sigmas = np.concatenate([sigmas, [sigma_last]]).astype(np.float32)
        self.sigmas = torch.from_numpy(sigmas)
        self.timesteps = torch.from_numpy(timesteps).to(dtype=torch.int64)
        self.num_inference_steps = len(timesteps)
        self.model_outputs = [None] * c["solver_order"]
        self.lower_order_nums = 0
        self._step_index = None

    @staticmethod
    def _sigma_to_alpha_sigma_t(sigma):
        alpha_t = 1 / ((sigma**2 + 1) ** 0.5)
        return alpha_t, sigma * alpha_t

    def convert_model_output(self, model_output, sample):
        pt = self.config["prediction_type"]
        sigma = self.sigmas[self._step_index].to(self.w)
        model_output, sample = model_output.to(self.w), sample.to(self.w)
        if pt == "epsilon":
            alpha_t, sigma_t = self._sigma_to_alpha_sigma_t(sigma)
            x0_pred = (sample - sigma_t * model_output) / alpha_t
        elif pt == "sample":
            x0_pred = model_output
        elif pt == "v_prediction":
            alpha_t, sigma_t = self._sigma_to_alpha_sigma_t(sigma)
            x0_pred = alpha_t * sample - sigma_t * model_output
        return x0_pred.float()  # model_outputs keep the model's dtype

    def first_order_update(self, model_output, sample, noise):
        model_output, sample = model_output.to(self.w), sample.to(self.w)
        noise = noise.to(self.w) if noise is not None else None
        sigmas = self.sigmas.to(self.w)
        sigma_t, sigma_s = sigmas[self._step_index + 1], sigmas[self._step_index]
        alpha_t, sigma_t = self._sigma_to_alpha_sigma_t(sigma_t)
        alpha_s, sigma_s = self._sigma_to_alpha_sigma_t(sigma_s)
        lambda_t = torch.log(alpha_t) - torch.log(sigma_t)
        lambda_s = torch.log(alpha_s) - torch.log(sigma_s)
        h = lambda_t - lambda_s
        if self.config["algorithm_type"] == "dpmsolver++":
            return (sigma_t / sigma_s) * sample - (alpha_t * (torch.exp(-h) - 1.0)) * model_output
        return ((sigma_t / sigma_s * torch.exp(-h)) * sample
                + (alpha_t * (1 - torch.exp(-2.0 * h))) * model_output
                + sigma_t * torch.sqrt(1.0 - torch.exp(-2 * h)) * noise)

    def second_order_update(self, model_output_list, sample, noise):
        model_output_list = [m.to(self.w) for m in model_output_list]
        sample = sample.to(self.w)
        noise = noise.to(self.w) if noise is not None else None
        sigmas = self.sigmas.to(self.w)
        sigma_t, sigma_s0, sigma_s1 = (sigmas[self._step_index + 1], sigmas[self._step_index],
                                       sigmas[self._step_index - 1])
        alpha_t, sigma_t = self._sigma_to_alpha_sigma_t(sigma_t)
        alpha_s0, sigma_s0 = self._sigma_to_alpha_sigma_t(sigma_s0)
        alpha_s1, sigma_s1 = self._sigma_to_alpha_sigma_t(sigma_s1)
        lambda_t = torch.log(alpha_t) - torch.log(sigma_t)
        lambda_s0 = torch.log(alpha_s0) - torch.log(sigma_s0)
        lambda_s1 = torch.log(alpha_s1) - torch.log(sigma_s1)
        m0, m1 = model_output_list[-1], model_output_list[-2]
        h, h_0 = lambda_t - lambda_s0, lambda_s0 - lambda_s1
        r0 = h_0 / h
        D0, D1 = m0, (1.0 / r0) * (m0 - m1)
        algo, solver = self.config["algorithm_type"], self.config["solver_type"]
        if algo == "dpmsolver++" and solver == "midpoint":
            return ((sigma_t / sigma_s0) * sample - (alpha_t * (torch.exp(-h) - 1.0)) * D0
                    - 0.5 * (alpha_t * (torch.exp(-h) - 1.0)) * D1)
        if algo == "dpmsolver++" and solver == "heun":
            return ((sigma_t / sigma_s0) * sample - (alpha_t * (torch.exp(-h) - 1.0)) * D0
                    + (alpha_t * ((torch.exp(-h) - 1.0) / h + 1.0)) * D1)
        if solver == "midpoint":
            return ((sigma_t / sigma_s0 * torch.exp(-h)) * sample
                    + (alpha_t * (1 - torch.exp(-2.0 * h))) * D0
                    + 0.5 * (alpha_t * (1 - torch.exp(-2.0 * h))) * D1
                    + sigma_t * torch.sqrt(1.0 - torch.exp(-2 * h)) * noise)
        return ((sigma_t / sigma_s0 * torch.exp(-h)) * sample
                + (alpha_t * (1 - torch.exp(-2.0 * h))) * D0
                + (alpha_t * ((1.0 - torch.exp(-2.0 * h)) / (-2.0 * h) + 1.0)) * D1
                + sigma_t * torch.sqrt(1.0 - torch.exp(-2 * h)) * noise)

    def _init_step_index(self, timestep):
        if self._begin_index is None:
            self._step_index = index_for_timestep(self.timesteps, timestep, fallback_last=True)
        else:
            self._step_index = self._begin_index

    def scale_model_input(self, sample, timestep):
        return sample

    def step(self, model_output, timestep, sample, generator=None):
        c = self.config
        if self._step_index is None:
            self._init_step_index(timestep)
        lower_order_final = (self._step_index == len(self.timesteps) - 1) and (
            c["euler_at_final"] or (c["lower_order_final"] and len(self.timesteps) < 15)
            or c["final_sigmas_type"] == "zero")
        lower_order_second = ((self._step_index == len(self.timesteps) - 2) and c["lower_order_final"]
                              and len(self.timesteps) < 15)
        model_output = self.convert_model_output(model_output, sample)
        for i in range(c["solver_order"] - 1):
            self.model_outputs[i] = self.model_outputs[i + 1]
        self.model_outputs[-1] = model_output
        sample = sample.to(torch.float32)
        if c["algorithm_type"] == "sde-dpmsolver++":
            # randn_tensor(model_output.shape, generator=generator, dtype=torch.float32), a CPU generator
            noise = torch.randn(model_output.shape, generator=generator, dtype=torch.float32)
        else:
            noise = None
        if c["solver_order"] == 1 or self.lower_order_nums < 1 or lower_order_final:
            prev_sample = self.first_order_update(model_output, sample, noise)
        elif c["solver_order"] == 2 or self.lower_order_nums < 2 or lower_order_second:
            prev_sample = self.second_order_update(self.model_outputs, sample, noise)
        else:
            raise NotImplementedError("third order is not used by these runs")
        if self.lower_order_nums < c["solver_order"]:
            self.lower_order_nums += 1
        prev_sample = prev_sample.float()  # .to(model_output.dtype)
        self._step_index += 1
        # x0 (the converted model output) is what Lantern returns as predOriginalSample
        return prev_sample, model_output, noise

    def add_noise(self, original, noise, timestep):
        if self._begin_index is None:
            i = index_for_timestep(self.timesteps, timestep, fallback_last=True)
        elif self._step_index is not None:
            i = self._step_index
        else:
            i = self._begin_index
        alpha_t, sigma_t = self._sigma_to_alpha_sigma_t(self.sigmas[i].to(self.w))
        return (alpha_t * original.to(self.w) + sigma_t * noise.to(self.w)).float()


def model_bias(numel):
    return (0.05 * np.cos(np.arange(numel, dtype=np.float64))).astype(np.float32)


def fake_model(x_in, t, bias):
    bias_t = torch.tensor(0.01 * float(t) / 1000.0, dtype=torch.float32)
    return x_in * torch.tensor(0.1, dtype=torch.float32) + (bias_t + torch.from_numpy(bias).reshape(x_in.shape))


def floats(x):
    return [float(v) for v in np.asarray(x, dtype=np.float32).reshape(-1)]


def trajectory(s, n, shape, seed, record):
    """One pipeline loop; fills the run's schedule and initial-latent keys (first call only)."""
    s.set_timesteps(n)
    numel = int(np.prod(shape))
    bias = model_bias(numel)
    g = torch.Generator().manual_seed(seed)
    timesteps = s.timesteps
    if record.get("img2img") is not None or record.get("_img2img"):
        # StableDiffusionImg2ImgPipeline.get_timesteps + prepare_latents (the VAE latents are a fixed image here)
        init_timestep = min(int(n * STRENGTH), n)
        t_start = max(n - init_timestep, 0)
        timesteps = s.timesteps[t_start * s.order:]
        s.set_begin_index(t_start * s.order)
        image = torch.from_numpy(np.cos(np.arange(numel, dtype=np.float64) * 0.7).astype(np.float32)).reshape(shape)
        noise = torch.randn(shape, generator=g, dtype=torch.float32)
        x = s.add_noise(image, noise, timesteps[:1])
        record["img2img"] = {"strength": STRENGTH, "t_start": t_start, "begin_index": t_start * s.order,
                             "image": floats(image), "noise": floats(noise)}
    else:
        x = torch.randn(shape, generator=g, dtype=torch.float32) * s.init_noise_sigma
    x_initial = floats(x)
    steps = []
    for t in timesteps:
        x_in = s.scale_model_input(x, t)
        out = fake_model(x_in, t, bias)
        x, x0, noise = s.step(out, t, x, generator=g)
        sigma = s.sigmas[s._step_index - 1]  # the step index's sigma (Heun: what x_in was scaled with)
        steps.append({
            "t": float(t),
            "sigma": float(sigma),
            "scaled_input": floats(x_in),
            "model_output": floats(out),
            "prev_sample": floats(x),
            "pred_original_sample": floats(x0),
            "noise": floats(noise) if noise is not None else None,
        })
    return s, x_initial, steps, floats(x)


def run(cls, config, n, shape, seed, img2img=False):
    record = {"num_inference_steps": n, "shape": list(shape), "seed": seed, "img2img": None, "_img2img": img2img}
    s, record["x_initial"], record["steps"], record["final"] = trajectory(cls(config), n, shape, seed, record)
    record["all_timesteps"] = [float(t) for t in s.timesteps]
    record["sigmas"] = floats(s.sigmas)
    record["init_noise_sigma"] = float(s.init_noise_sigma)
    _, record["x_initial_f64"], steps, record["final_f64"] = trajectory(cls(config, f64=True), n, shape, seed, record)
    keep = ("scaled_input", "prev_sample", "pred_original_sample")
    record["steps_f64"] = [{k: step[k] for k in keep} for step in steps]
    del record["_img2img"]
    return record


def write(name, scheduler_class, variants, description):
    fixture = {
        "_comment": f"Written by training/schedulers/reference_heun_dpmsde.py: {description}",
        "source": f"{DIFFUSERS}, transcribed to torch {torch.__version__} / numpy {np.__version__} (CPU; steps: float32 as diffusers, steps_f64: float64 intermediates)",
        "scheduler_class": scheduler_class,
        "model": "out[k] = f32(x_in[k] * f32(0.1)) + f32(f32(0.01 * t / 1000) + bias[k]), bias[k] = f32(0.05 * cos(k))",
        "variants": variants,
    }
    path = OUT_DIR / f"{name}.json"
    path.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    print(f"wrote {path.relative_to(REPO)}")


def main():
    torch.set_num_threads(1)
    heun_variants = []
    for label, overrides in [
        ("epsilon linspace", {}),
        ("v_prediction linspace", {"prediction_type": "v_prediction"}),
        ("epsilon leading", {"timestep_spacing": "leading"}),
        ("epsilon karras", {"use_karras_sigmas": True}),
    ]:
        config = {**SD15, **overrides, "_class_name": "HeunDiscreteScheduler"}
        runs = [run(Heun, config, n, (2, 3), 1000 + n) for n in (1, 2, 5, 10)]
        runs.append(run(Heun, config, 10, (2, 3), 77, img2img=True))
        heun_variants.append({"label": label, "overrides": overrides, "config": config, "resolved": Heun(config).config, "runs": runs})
    write("heun", "HeunDiscreteScheduler", heun_variants,
          "HeunDiscreteScheduler from SD 1.5's config; per scheduler.step call (2N - 1 for N steps)")

    sde = {"algorithm_type": "sde-dpmsolver++", "solver_order": 2, "solver_type": "midpoint", "use_karras_sigmas": True}
    dpm_variants = []
    for label, overrides in [("epsilon", {}), ("v_prediction", {"prediction_type": "v_prediction"})]:
        config = {**SD15, **sde, **overrides, "_class_name": "DPMSolverMultistepScheduler"}
        runs = [run(DPMSolverMultistep, config, n, (2, 3), 2000 + n) for n in (1, 2, 5, 10, 20)]
        # 24 elements: torch's vectorised randn (numel >= 16), what real latents take
        runs.append(run(DPMSolverMultistep, config, 10, (1, 4, 2, 3), 31337))
        runs.append(run(DPMSolverMultistep, config, 10, (2, 3), 78, img2img=True))
        resolved = {k: (None if v == -float("inf") else v) for k, v in DPMSolverMultistep(config).config.items()}
        dpm_variants.append({"label": label, "overrides": {**sde, **overrides}, "config": config, "resolved": resolved, "runs": runs})
    write("dpmpp2m_sde_karras", "DPMSolverMultistepScheduler", dpm_variants,
          "DPM++ 2M SDE Karras from SD 1.5's config; one randn draw per step from the loop's generator")


if __name__ == "__main__":
    main()
