#!/usr/bin/env python3
"""Tiny random-weight replicas of the public Stable-Diffusion ONNX folder layouts.

    /usr/bin/python3 training/replicas/make_replicas.py            # build + verify + references
    /usr/bin/python3 training/replicas/make_replicas.py --no-node  # skip onnxruntime-node checks

Writes (replacing whatever is there):

    models/fixtures/replicas/optimum-sd-turbo/          optimum >= 1.23 export of SD-Turbo, fp16 with
                                                        fp32 I/O (onnxruntime float16 converter,
                                                        keep_io_types=True)
    models/fixtures/replicas/optimum-lcm-dreamshaper/   optimum <= 1.22 export of LCM Dreamshaper v7:
                                                        U-Net timestep_cond + model.onnx_data,
                                                        vae_encoder sampling in the graph
    models/fixtures/replicas/diffusers-script-sd15/     diffusers' convert_stable_diffusion_checkpoint_
                                                        to_onnx.py output: unet/weights.pb, float
                                                        timestep, safety_checker
    models/fixtures/replicas/webnn-sd-turbo/            microsoft/sd-turbo-webnn: *_layernorm.onnx, static
                                                        shapes, fp16 I/O U-Net / text encoder, fp32-I/O
                                                        VAE decoder, tokenizer/, no model_index/scheduler
    models/fixtures/replicas/tensorstack-sd15-controlnet/
                                                        SD 1.5 + ControlNet as the OnnxStack converter
                                                        writes it (conditioning_scale float64 [1],
                                                        numeric ControlNet output names)
    tests/fixtures/replicas/bad/{escaping-location,missing-external,empty-part}/

The modules are make_fixtures.py's (imported, same seeds, so the same weights as the tiny-sd
fixtures); only the export settings (names, dtypes, dynamic axes, opset, external data, fp16)
and the files around the graphs differ.  What each layout copies from which public source is in
training/replicas/README.md.  Then `node training/replicas/check_replicas.mjs --probes DIR` runs
every graph with onnxruntime-node on torch probe inputs, and reference_runs.py writes the torch
pipeline references (tests/fixtures/replicas/<name>.<case>.json), which check_replicas replays.

Deterministic: fixed torch seeds, no timestamps; re-running reproduces identical bytes (same
torch / onnx versions).
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import io
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper
from torch import nn

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "training" / "fixtures"))
import make_fixtures as mf  # noqa: E402

warnings.filterwarnings("ignore", message="The shape inference of prim::Constant")
warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)

OUT_ROOT = REPO / "models" / "fixtures" / "replicas"
TESTS_ROOT = REPO / "tests" / "fixtures" / "replicas"
BAD_ROOT = TESTS_ROOT / "bad"
MAX_FOLDER_BYTES = 2 * 1024 * 1024

LATENT = 8                 # 64 px images, latent 8×8 (the tiny VAE downsamples by 8)
IMAGE = 8 * LATENT
TIME_COND_DIM = 32         # LCM U-Net time_cond_proj_dim (LCM Dreamshaper v7: 256)
REPLICA_SEEDS = {
    "lcm_cond_proj": 2001,     # the LCM U-Net's extra Linear(timestep_cond → time features)
    "safety_checker": 2002,
    "probes": 2003,
}

# ---------------------------------------------------------------------------------------
# fp16 conversion: onnxruntime/python/tools/transformers/float16.py
# convert_float_to_float16(model, keep_io_types=...), re-implemented from its source (the
# package is not installed here).  Defaults as there: min_positive_val 5.96e-08,
# max_finite_val 65504, DEFAULT_OP_BLOCK_LIST, force_fp16_initializers False.
# ---------------------------------------------------------------------------------------

FP16_MIN_POSITIVE = 5.96e-08
FP16_MAX_FINITE = 65504.0
FP16_OP_BLOCK_LIST = [
    "ArrayFeatureExtractor", "Binarizer", "CastMap", "CategoryMapper", "DictVectorizer",
    "FeatureVectorizer", "Imputer", "LabelEncoder", "LinearClassifier", "LinearRegressor",
    "Normalizer", "OneHotEncoder", "SVMClassifier", "SVMRegressor", "Scaler",
    "TreeEnsembleClassifier", "TreeEnsembleRegressor", "ZipMap", "NonMaxSuppression", "TopK",
    "RoiAlign", "Resize", "Range", "CumSum", "Min", "Max", "Upsample",
]


def np_to_fp16(a: np.ndarray) -> np.ndarray:
    """float32 → float16 without changing sign or finiteness (values clamped into
    [min_positive_val, max_finite_val] in magnitude first), as the converter does."""
    def between(lo, x, hi):
        return np.logical_and(lo < x, x < hi)
    a = np.where(between(0, a, FP16_MIN_POSITIVE), FP16_MIN_POSITIVE, a)
    a = np.where(between(-FP16_MIN_POSITIVE, a, 0), -FP16_MIN_POSITIVE, a)
    a = np.where(between(FP16_MAX_FINITE, a, float("inf")), FP16_MAX_FINITE, a)
    a = np.where(between(float("-inf"), a, -FP16_MAX_FINITE), -FP16_MAX_FINITE, a)
    return np.float16(a)


def _tensor_to_fp16(t: onnx.TensorProto) -> onnx.TensorProto:
    if t.data_type == TensorProto.FLOAT:
        t.data_type = TensorProto.FLOAT16
        if t.float_data:
            f16 = np_to_fp16(np.array(t.float_data))
            t.int32_data[:] = [int(v) for v in f16.view(np.uint16)]
            t.float_data[:] = []
        if t.raw_data:
            t.raw_data = np_to_fp16(np.frombuffer(t.raw_data, dtype=np.float32)).tobytes()
    return t


def _value_info_from_tensor(t: onnx.TensorProto) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(t.name, t.data_type, numpy_helper.to_array(t).shape)


def convert_float_to_float16(model: onnx.ModelProto, keep_io_types=False) -> onnx.ModelProto:
    """onnxruntime.transformers.float16.convert_float_to_float16, same algorithm and names:
    with keep_io_types, Cast nodes `graph_input_cast{i}` (output `graph_input_cast_{i}`) after
    each float graph input and `graph_output_cast{i}` (input `graph_output_cast_{i}`) before each
    float output; float initializers, Constant/attribute tensors and value types → float16;
    `Cast(to=FLOAT)` → `Cast(to=FLOAT16)`; nodes of the op block list keep float32 behind
    `<node>_input_cast{i}` / `<node>_output_cast{i}` Casts, and initializers only they use stay
    float32.  Like the converter, the new Cast nodes are appended at the end of the node list."""
    model = onnx.shape_inference.infer_shapes(model)
    block = set(FP16_OP_BLOCK_LIST)
    queue: list = [model]
    value_info_list: list = []
    node_list: list = []
    name_mapping: dict = {}
    graph_io_to_skip: set = set()
    io_casts: set = set()
    graph = model.graph
    fp32_inputs = [n.name for n in graph.input if n.type.tensor_type.elem_type == TensorProto.FLOAT]
    fp32_outputs = [n.name for n in graph.output if n.type.tensor_type.elem_type == TensorProto.FLOAT]
    if isinstance(keep_io_types, list):
        fp32_inputs = [n for n in fp32_inputs if n in keep_io_types]
        fp32_outputs = [n for n in fp32_outputs if n in keep_io_types]
    elif not keep_io_types:
        fp32_inputs, fp32_outputs = [], []

    for i, n in enumerate(graph.input):
        if n.name in fp32_inputs:
            output_name = "graph_input_cast_" + str(i)
            name_mapping[n.name] = output_name
            graph_io_to_skip.add(n.name)
            node_name = "graph_input_cast" + str(i)
            vi = graph.value_info.add()
            vi.CopyFrom(n)
            vi.name = output_name
            vi.type.tensor_type.elem_type = TensorProto.FLOAT16
            graph.node.extend([helper.make_node("Cast", [n.name], [output_name], to=10, name=node_name)])
            value_info_list.append(vi)
            io_casts.add(node_name)
    for i, n in enumerate(graph.output):
        if n.name in fp32_outputs:
            input_name = "graph_output_cast_" + str(i)
            name_mapping[n.name] = input_name
            graph_io_to_skip.add(n.name)
            node_name = "graph_output_cast" + str(i)
            vi = graph.value_info.add()
            vi.CopyFrom(n)
            vi.name = input_name
            vi.type.tensor_type.elem_type = TensorProto.FLOAT16
            graph.node.extend([helper.make_node("Cast", [input_name], [n.name], to=1, name=node_name)])
            value_info_list.append(vi)
            io_casts.add(node_name)

    fp32_initializers: dict = {}  # name → [initializer, fp32 users, fp16 users]
    while queue:
        next_level = []
        for q in queue:
            if isinstance(q, onnx.ModelProto):
                next_level.append(q.graph)
            if isinstance(q, onnx.GraphProto):
                for t in q.initializer:
                    if t.data_type == TensorProto.FLOAT:
                        assert t.name not in fp32_initializers
                        fp32_initializers[t.name] = [t, [], []]
                for n in q.node:
                    if n.name in io_casts:
                        continue
                    for i in range(len(n.input)):
                        if n.input[i] in name_mapping:
                            n.input[i] = name_mapping[n.input[i]]
                    for i in range(len(n.output)):
                        if n.output[i] in name_mapping:
                            n.output[i] = name_mapping[n.output[i]]
                    blocked = n.op_type in block
                    for inp in n.input:
                        if inp in fp32_initializers:
                            fp32_initializers[inp][1 if blocked else 2].append(n)
                    if blocked:
                        node_list.append(n)
                    else:
                        if n.op_type == "Cast":
                            for attr in n.attribute:
                                if attr.name == "to" and attr.i == 1:
                                    attr.i = 10
                                    break
                        for attr in n.attribute:
                            next_level.append(attr)
            if isinstance(q, onnx.AttributeProto):
                next_level.append(q.g)
                for g in q.graphs:
                    next_level.append(g)
                q.t.CopyFrom(_tensor_to_fp16(q.t))
                for t in q.tensors:
                    _tensor_to_fp16(t)
            if isinstance(q, onnx.GraphProto):
                for n in itertools.chain(q.input, q.output, q.value_info):
                    if n.type.tensor_type.elem_type == TensorProto.FLOAT and n.name not in graph_io_to_skip:
                        n.type.tensor_type.elem_type = TensorProto.FLOAT16
                        value_info_list.append(n)
        queue = next_level

    for t, _fp32_users, fp16_users in fp32_initializers.values():
        if fp16_users:  # initializers used only by blocked (fp32) nodes stay float32
            _tensor_to_fp16(t)
            value_info_list.append(_value_info_from_tensor(t))

    for node in node_list:
        for i in range(len(node.input)):
            for vi in value_info_list:
                if node.input[i] == vi.name:
                    new_vi = graph.value_info.add()
                    new_vi.CopyFrom(vi)
                    output_name = node.name + "_input_cast_" + str(i)
                    new_vi.name = output_name
                    new_vi.type.tensor_type.elem_type = TensorProto.FLOAT
                    graph.node.extend([helper.make_node(
                        "Cast", [node.input[i]], [output_name], to=1, name=node.name + "_input_cast" + str(i))])
                    node.input[i] = output_name
                    break
        for i in range(len(node.output)):
            for vi in value_info_list:
                if node.output[i] == vi.name:
                    new_vi = graph.value_info.add()
                    new_vi.CopyFrom(vi)
                    input_name = node.name + "_output_cast_" + str(i)
                    new_vi.name = input_name
                    new_vi.type.tensor_type.elem_type = TensorProto.FLOAT
                    graph.node.extend([helper.make_node(
                        "Cast", [input_name], [node.output[i]], to=10, name=node.name + "_output_cast" + str(i))])
                    node.output[i] = input_name
                    break
    return model


def topological_sort(model: onnx.ModelProto) -> None:
    """Stable topological order (the converter appends its Casts at the end; onnxruntime's
    transformers optimizer sorts before saving, and onnx.checker needs it)."""
    graph = model.graph
    produced = {i.name for i in graph.input} | {t.name for t in graph.initializer} | {""}
    pending = list(graph.node)
    ordered = []
    while pending:
        rest = []
        for n in pending:
            if all(i in produced for i in n.input):
                ordered.append(n)
                produced.update(n.output)
            else:
                rest.append(n)
        if len(rest) == len(pending):
            raise ValueError("graph has a cycle or a missing input")
        pending = rest
    nodes = [copy.deepcopy(n) for n in ordered]
    del graph.node[:]
    graph.node.extend(nodes)


def fp16_round_module(module: nn.Module) -> nn.Module:
    """A copy whose float parameters and buffers are rounded as the converter rounds
    initializers (np_to_fp16) and cast back to float32: the torch twin of an fp16 graph."""
    twin = copy.deepcopy(module)
    with torch.no_grad():
        for t in itertools.chain(twin.parameters(), twin.buffers()):
            if t.dtype == torch.float32:
                t.copy_(torch.from_numpy(np_to_fp16(t.numpy()).astype(np.float32)))
    return twin


# ---------------------------------------------------------------------------------------
# Modules (make_fixtures' tiny modules, same seeds → the tiny-sd weights)
# ---------------------------------------------------------------------------------------


class LcmUNet(nn.Module):
    """The tiny U-Net with diffusers' TimestepEmbedding(cond_proj_dim=...): timestep_cond
    [B, TIME_COND_DIM] → cond_proj (Linear, no bias) → added to the sinusoidal timestep features
    before the time MLP (UNet2DConditionModel: emb = time_embedding(t_emb, timestep_cond))."""

    def __init__(self, unet: mf.UNet) -> None:
        super().__init__()
        self.unet = unet
        torch.manual_seed(REPLICA_SEEDS["lcm_cond_proj"])
        self.cond_proj = nn.Linear(TIME_COND_DIM, mf.TIME_PROJ_DIM, bias=False)
        with torch.no_grad():
            self.cond_proj.weight *= 4.0  # the guidance embedding must visibly move the output

    def forward(self, sample, timestep, encoder_hidden_states, timestep_cond):
        return self.unet(sample, timestep, encoder_hidden_states, time_cond=self.cond_proj(timestep_cond))


class VaeEncoderSampling(nn.Module):
    """Legacy exporters' vae_encoder: encode → DiagonalGaussianDistribution(parameters).sample()
    inside the graph (torch.randn_like → RandomNormalLike): latent_sample = mean + std·noise."""

    def __init__(self, kl: mf.VaeEncoderKL) -> None:
        super().__init__()
        self.kl = kl

    def forward(self, sample):
        mean, logvar = torch.chunk(self.kl(sample), 2, dim=1)
        logvar = torch.clamp(logvar, -30.0, 20.0)
        std = torch.exp(0.5 * logvar)
        return mean + std * torch.randn_like(mean)


def cosine_distance(image_embeds: torch.Tensor, text_embeds: torch.Tensor) -> torch.Tensor:
    return F.normalize(image_embeds) @ F.normalize(text_embeds).t()


class TinySafetyChecker(nn.Module):
    """StableDiffusionSafetyChecker.forward_onnx with a tiny 'CLIP vision' (patch conv, mean pool,
    LayerNorm) and 3 concepts + 1 special-care concept; thresholds high enough that ordinary
    images pass (has_nsfw_concepts False)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(REPLICA_SEEDS["safety_checker"])
        self.patch = nn.Conv2d(3, 16, 16, stride=16)
        self.post_layernorm = nn.LayerNorm(16)
        self.visual_projection = nn.Linear(16, 8, bias=False)
        self.concept_embeds = nn.Parameter(torch.randn(3, 8))
        self.special_care_embeds = nn.Parameter(torch.randn(1, 8))
        self.concept_embeds_weights = nn.Parameter(torch.full((3,), 0.995))
        self.special_care_embeds_weights = nn.Parameter(torch.full((1,), 0.995))

    def forward(self, clip_input, images):
        pooled_output = self.post_layernorm(self.patch(clip_input).flatten(2).mean(dim=2))
        image_embeds = self.visual_projection(pooled_output)
        special_cos_dist = cosine_distance(image_embeds, self.special_care_embeds)
        cos_dist = cosine_distance(image_embeds, self.concept_embeds)
        special_scores = special_cos_dist - self.special_care_embeds_weights
        special_care = torch.any(special_scores > 0, dim=1)
        special_adjustment = (special_care * 0.01).unsqueeze(1).expand(-1, cos_dist.shape[1])
        concept_scores = (cos_dist - self.concept_embeds_weights) + special_adjustment
        has_nsfw_concepts = torch.any(concept_scores > 0, dim=1)
        images[has_nsfw_concepts] = 0.0
        return images, has_nsfw_concepts


def text_encoder(tok, gelu: bool) -> nn.Module:
    return mf._seeded("text_encoder", lambda: mf.TextEncoder(len(tok), activation=F.gelu if gelu else None))


def unet(controlnet_residuals: bool = False) -> mf.UNet:
    return mf._seeded("unet", lambda: mf.UNet(controlnet_residuals=controlnet_residuals))


def lcm_unet() -> LcmUNet:
    module = LcmUNet(unet())
    module.eval()
    return module


def controlnet() -> tuple[mf.UNet, mf.ControlNet]:
    u = unet(controlnet_residuals=True)
    return u, mf._seeded("controlnet", lambda: mf.ControlNet(u))


def vae_decoder() -> nn.Module:
    return mf._seeded("vae_decoder", mf.VaeDecoder)


def vae_encoder_kl() -> mf.VaeEncoderKL:
    mean_encoder = mf._seeded("vae_encoder", mf.VaeEncoder)
    return mf._seeded("vae_encoder_logvar", lambda: mf.VaeEncoderKL(mean_encoder))


def vae_encoder_sampling() -> VaeEncoderSampling:
    module = VaeEncoderSampling(vae_encoder_kl())
    module.eval()
    return module


def safety_checker() -> TinySafetyChecker:
    module = TinySafetyChecker()
    module.eval()
    return module


# ---------------------------------------------------------------------------------------
# Tokenizer files
# ---------------------------------------------------------------------------------------

BOS, EOS, OPENCLIP_PAD = mf.BOS, mf.EOS, "!"


def token_ids(tok: mf.TinyClipTokenizer, text: str, pad: str) -> list[int]:
    """CLIPTokenizer(padding="max_length", max_length=77, truncation=True) with `pad`."""
    ids = [tok.bos_id] + tok.tokenize(text)[: mf.MAX_LENGTH - 2] + [tok.eos_id]
    return ids + [tok.vocab[pad]] * (mf.MAX_LENGTH - len(ids))


def dump_sorted(obj) -> str:
    """transformers / diffusers serialisation: indent 2, sorted keys, trailing newline."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def added_token(content: str, special: bool | None = None, type_tag: bool = False) -> dict:
    d = {"content": content, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}
    if special is not None:
        d["special"] = special
    if type_tag:
        d = {"__type": "AddedToken", **d}
    return d


def write_tokenizer_modern(folder: Path, tok: mf.TinyClipTokenizer, pad: str) -> None:
    """CLIPTokenizer.save_pretrained with transformers >= 4.34 (what optimum writes): vocab.json,
    merges.txt, tokenizer_config.json (added_tokens_decoder, plain strings), special_tokens_map.json."""
    write_text(folder / "vocab.json", dump_sorted(tok.vocab))
    write_text(folder / "merges.txt", tok.merges_txt())
    write_text(folder / "tokenizer_config.json", dump_sorted({
        "add_prefix_space": False,
        "added_tokens_decoder": {str(tok.vocab[t]): added_token(t, special=True) for t in (BOS, EOS)},
        "bos_token": BOS,
        "clean_up_tokenization_spaces": True,
        "do_lower_case": True,
        "eos_token": EOS,
        "errors": "replace",
        "model_max_length": mf.MAX_LENGTH,
        "pad_token": pad,
        "tokenizer_class": "CLIPTokenizer",
        "unk_token": EOS,
    }))
    write_text(folder / "special_tokens_map.json", dump_sorted({
        "bos_token": added_token(BOS), "eos_token": added_token(EOS),
        "pad_token": pad if pad != EOS else added_token(EOS), "unk_token": added_token(EOS),
    }))


def write_tokenizer_legacy(folder: Path, tok: mf.TinyClipTokenizer) -> None:
    """The SD 1.x Hub tokenizer files (transformers 4.2x era: AddedToken objects, pad <|endoftext|>)."""
    write_text(folder / "vocab.json", dump_sorted(tok.vocab))
    write_text(folder / "merges.txt", tok.merges_txt())
    write_text(folder / "tokenizer_config.json", dump_sorted({
        **tok.tokenizer_config(added_token_objects=True),
        "name_or_path": "openai/clip-vit-large-patch14",
    }))
    write_text(folder / "special_tokens_map.json", dump_sorted({
        "bos_token": added_token(BOS), "eos_token": added_token(EOS), "pad_token": EOS,
        "unk_token": added_token(EOS),
    }))


def write_tokenizer_webnn(folder: Path, tok: mf.TinyClipTokenizer) -> None:
    """microsoft/sd-turbo-webnn tokenizer/ (what transformers.js AutoTokenizer loads):
    tokenizer.json + tokenizer_config.json, the latter exactly the real file's keys
    (openai/clip-vit-base-patch16's: AddedToken objects, pad <|endoftext|>, processor_class)."""
    write_text(folder / "tokenizer.json", json.dumps(tok.tokenizer_json(), indent=2, ensure_ascii=False) + "\n")
    write_text(folder / "tokenizer_config.json", json.dumps({
        "add_prefix_space": False,
        "bos_token": added_token(BOS, type_tag=True),
        "clean_up_tokenization_spaces": True,
        "do_lower_case": True,
        "eos_token": added_token(EOS, type_tag=True),
        "errors": "replace",
        "model_max_length": mf.MAX_LENGTH,
        "pad_token": EOS,
        "processor_class": "CLIPProcessor",
        "tokenizer_class": "CLIPTokenizer",
        "unk_token": added_token(EOS, type_tag=True),
    }, indent=2) + "\n")


# ---------------------------------------------------------------------------------------
# Configs (real files' keys; tiny values where they describe the architecture)
# ---------------------------------------------------------------------------------------

SD_TURBO = "stabilityai/sd-turbo"
# a real export writes the local Hub-cache snapshot path of each part here; the replicas
# write "<repo id>/<part>"
SD_TURBO_SNAPSHOT = SD_TURBO
LCM_REPO = "SimianLuo/LCM_Dreamshaper_v7"
LCM_SNAPSHOT = "SimianLuo/LCM_Dreamshaper_v7"
SD15 = "runwayml/stable-diffusion-v1-5"

OPTIMUM_DIFFUSERS_VERSION = "0.31.0"      # what optimum 1.23 installs with
OPTIMUM_122_DIFFUSERS_VERSION = "0.30.3"
TRANSFORMERS_VERSION = "4.46.3"
SCRIPT_DIFFUSERS_VERSION = "0.27.2"

# stabilityai/sd-turbo scheduler/scheduler_config.json, verbatim
SD_TURBO_SCHEDULER = {
    "_class_name": "EulerDiscreteScheduler",
    "_diffusers_version": "0.24.0.dev0",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "interpolation_type": "linear",
    "num_train_timesteps": 1000,
    "prediction_type": "epsilon",
    "sample_max_value": 1.0,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "timestep_spacing": "trailing",
    "trained_betas": None,
    "use_karras_sigmas": False,
}
# SimianLuo/LCM_Dreamshaper_v7 scheduler/scheduler_config.json (diffusers LCMScheduler format)
LCM_SCHEDULER = {
    "_class_name": "LCMScheduler",
    "_diffusers_version": "0.22.0.dev0",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "clip_sample_range": 1.0,
    "dynamic_thresholding_ratio": 0.995,
    "num_train_timesteps": 1000,
    "original_inference_steps": 50,
    "prediction_type": "epsilon",
    "rescale_betas_zero_snr": False,
    "sample_max_value": 1.0,
    "set_alpha_to_one": True,
    "steps_offset": 1,
    "thresholding": False,
    "timestep_scaling": 10.0,
    "timestep_spacing": "leading",
    "trained_betas": None,
}
# runwayml/stable-diffusion-v1-5 scheduler/scheduler_config.json (= make_fixtures' PNDM_HUB_CONFIG)
SD15_SCHEDULER = dict(sorted(mf.PNDM_HUB_CONFIG.items()))
# the training schedule every SD 1.x/2.x checkpoint uses; what a folder without a scheduler/
# folder (webnn-sd-turbo) runs with: SD-Turbo's Euler, trailing
SD_TRAINING_EULER_TRAILING = {
    "_class_name": "EulerDiscreteScheduler", "num_train_timesteps": 1000, "beta_start": 0.00085,
    "beta_end": 0.012, "beta_schedule": "scaled_linear", "steps_offset": 1,
    "prediction_type": "epsilon", "timestep_spacing": "trailing",
}

CLIP_IMAGE_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_IMAGE_STD = [0.26862954, 0.26130258, 0.27577711]


def clip_text_config(name_or_path: str, sd2: bool) -> dict:
    """transformers CLIPTextConfig.save_pretrained (tiny sizes; SD 2.x: gelu, SD 1.x: quick_gelu)."""
    return {
        "_name_or_path": name_or_path,
        "architectures": ["CLIPTextModel"],
        "attention_dropout": 0.0,
        "bos_token_id": 0,
        "dropout": 0.0,
        "eos_token_id": 2,
        "hidden_act": "gelu" if sd2 else "quick_gelu",
        "hidden_size": mf.TEXT_DIM,
        "initializer_factor": 1.0,
        "initializer_range": 0.02,
        "intermediate_size": 2 * mf.TEXT_DIM,
        "layer_norm_eps": 1e-05,
        "max_position_embeddings": mf.MAX_LENGTH,
        "model_type": "clip_text_model",
        "num_attention_heads": mf.TEXT_HEADS,
        "num_hidden_layers": 1,
        "pad_token_id": 1,
        "projection_dim": 512 if sd2 else 768,
        "torch_dtype": "float32",
        "transformers_version": TRANSFORMERS_VERSION,
        "vocab_size": None,  # filled in
    }


def unet_config(name_or_path: str, diffusers_version: str, sd2: bool, time_cond_proj_dim) -> dict:
    """diffusers UNet2DConditionModel config (save_config: sorted keys), tiny architecture: two
    resolutions of UNET_CHANNELS, one layer per block, cross-attention to the TEXT_DIM text."""
    return {
        "_class_name": "UNet2DConditionModel",
        "_diffusers_version": diffusers_version,
        "_name_or_path": name_or_path,
        "act_fn": "silu",
        "addition_embed_type": None,
        "addition_embed_type_num_heads": 64,
        "addition_time_embed_dim": None,
        "attention_head_dim": mf.UNET_CHANNELS // mf.UNET_HEADS,
        "attention_type": "default",
        "block_out_channels": [mf.UNET_CHANNELS, mf.UNET_CHANNELS],
        "center_input_sample": False,
        "class_embed_type": None,
        "class_embeddings_concat": False,
        "conv_in_kernel": 3,
        "conv_out_kernel": 3,
        "cross_attention_dim": mf.TEXT_DIM,
        "cross_attention_norm": None,
        "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
        "downsample_padding": 1,
        "dropout": 0.0,
        "dual_cross_attention": False,
        "encoder_hid_dim": None,
        "encoder_hid_dim_type": None,
        "flip_sin_to_cos": True,
        "freq_shift": 0,
        "in_channels": mf.LATENT_CHANNELS,
        "layers_per_block": 1,
        "mid_block_only_cross_attention": None,
        "mid_block_scale_factor": 1,
        "mid_block_type": "UNetMidBlock2DCrossAttn",
        "norm_eps": 1e-05,
        "norm_num_groups": 4,
        "num_attention_heads": None,
        "num_class_embeds": None,
        "only_cross_attention": False,
        "out_channels": mf.LATENT_CHANNELS,
        "projection_class_embeddings_input_dim": None,
        "resnet_out_scale_factor": 1.0,
        "resnet_skip_time_act": False,
        "resnet_time_scale_shift": "default",
        "reverse_transformer_layers_per_block": None,
        "sample_size": LATENT,
        "time_cond_proj_dim": time_cond_proj_dim,
        "time_embedding_act_fn": None,
        "time_embedding_dim": None,
        "time_embedding_type": "positional",
        "timestep_post_act": None,
        "transformer_layers_per_block": 1,
        "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
        "upcast_attention": sd2,
        "use_linear_projection": sd2,
    }


def vae_config(name_or_path: str, diffusers_version: str) -> dict:
    """diffusers AutoencoderKL config; 4 blocks → downsample factor 2**3 = 8 (as the tiny VAE)."""
    return {
        "_class_name": "AutoencoderKL",
        "_diffusers_version": diffusers_version,
        "_name_or_path": name_or_path,
        "act_fn": "silu",
        "block_out_channels": [mf.VAE_CHANNELS] * 4,
        "down_block_types": ["DownEncoderBlock2D"] * 4,
        "force_upcast": True,
        "in_channels": 3,
        "latent_channels": mf.LATENT_CHANNELS,
        "latents_mean": None,
        "latents_std": None,
        "layers_per_block": 1,
        "mid_block_add_attention": True,
        "norm_num_groups": 4,
        "out_channels": 3,
        "sample_size": IMAGE,
        "scaling_factor": mf.VAE_SCALING_FACTOR,
        "shift_factor": None,
        "up_block_types": ["UpDecoderBlock2D"] * 4,
        "use_post_quant_conv": True,
        "use_quant_conv": True,
    }


def clip_image_processor_config() -> dict:
    """feature_extractor/preprocessor_config.json as transformers >= 4.26 re-saves SD 1.5's."""
    return {
        "crop_size": {"height": 224, "width": 224},
        "do_center_crop": True,
        "do_convert_rgb": True,
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": CLIP_IMAGE_MEAN,
        "image_processor_type": "CLIPImageProcessor",
        "image_std": CLIP_IMAGE_STD,
        "resample": 3,
        "rescale_factor": 0.00392156862745098,
        "size": {"shortest_edge": 224},
    }


def clip_feature_extractor_config_legacy() -> dict:
    """runwayml/stable-diffusion-v1-5 feature_extractor/preprocessor_config.json."""
    return {
        "crop_size": 224,
        "do_center_crop": True,
        "do_convert_rgb": True,
        "do_normalize": True,
        "do_resize": True,
        "feature_extractor_type": "CLIPFeatureExtractor",
        "image_mean": CLIP_IMAGE_MEAN,
        "image_std": CLIP_IMAGE_STD,
        "resample": 3,
        "size": 224,
    }


# ---------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------


def torch_export(module: nn.Module, args: tuple, input_names, output_names, axes, opset: int) -> onnx.ModelProto:
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(
            module, args, buf, input_names=input_names, output_names=output_names,
            dynamic_axes=axes or None, opset_version=opset, do_constant_folding=True,
            training=torch.onnx.TrainingMode.EVAL,
        )
    return onnx.load_from_string(buf.getvalue())


def save_graph(model: onnx.ModelProto, path: Path, external: str | None = None,
               convert_attribute: bool = False) -> None:
    """onnx.checker (full) then save; external = the one external-data file name (onnx.save's
    save_as_external_data=True, all_tensors_to_one_file=True, location=external, size_threshold
    1024 as onnx's default and optimum's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob("*"):
        if stale.name in (path.name, external):
            stale.unlink()
    check_copy = copy.deepcopy(model)
    onnx.checker.check_model(check_copy, full_check=True)
    if external is None:
        path.write_bytes(model.SerializeToString())
        return
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=external, size_threshold=1024, convert_attribute=convert_attribute)


def to_fp16(model: onnx.ModelProto, keep_io_types) -> onnx.ModelProto:
    converted = convert_float_to_float16(model, keep_io_types=keep_io_types)
    topological_sort(converted)
    return converted


def set_static_shapes(model: onnx.ModelProto) -> None:
    """No symbolic dims left on the graph inputs/outputs (static-shape exports)."""
    for vi in itertools.chain(model.graph.input, model.graph.output):
        for d in vi.type.tensor_type.shape.dim:
            assert d.HasField("dim_value"), (vi.name, d)


# ---------------------------------------------------------------------------------------
# Probes (torch in/out for check_replicas.mjs)
# ---------------------------------------------------------------------------------------

DTYPE_NAMES = {torch.float32: "float32", torch.float16: "float16", torch.float64: "float64",
               torch.int64: "int64", torch.int32: "int32", torch.bool: "bool"}


class ProbeWriter:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.cases: list[dict] = []
        self.count = 0

    def _save(self, t: torch.Tensor) -> dict:
        arr = t.detach().contiguous().numpy()
        name = f"t{self.count}.bin"
        self.count += 1
        (self.folder / name).write_bytes(arr.tobytes())
        return {"file": name, "dtype": DTYPE_NAMES[t.dtype], "shape": list(arr.shape)}

    def add(self, model_path: Path, inputs: dict, outputs: dict, kind: str = "exact",
            tolerance: float = 1e-4, extra: dict | None = None) -> None:
        self.cases.append({
            "model": model_path.relative_to(REPO).as_posix(), "kind": kind, "tolerance": tolerance,
            "inputs": {k: self._save(v) for k, v in inputs.items()},
            "outputs": {k: self._save(v) for k, v in outputs.items()},
            **({"extra": {k: self._save(v) for k, v in extra.items()}} if extra else {}),
        })

    def finish(self) -> Path:
        path = self.folder / "manifest.json"
        path.write_text(json.dumps({"cases": self.cases}, indent=1))
        return path


def _f16(t: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(np_to_fp16(t.numpy()))


def probe(probes: ProbeWriter, path: Path, module: nn.Module, names: list[str], args: tuple,
          out_names: list[str] | None, fp16_in: set = frozenset(), fp16_out: bool = False,
          kind: str = "exact", tolerance: float = 1e-4, extra: dict | None = None) -> None:
    """Run `module` on args (inputs in fp16_in are rounded to fp16 and fed as float16) and
    record; out_names None = read the graph's own (auto-generated) output names."""
    feed = {}
    torch_args = []
    for n, a in zip(names, args):
        if n in fp16_in:
            h = _f16(a)
            feed[n] = h
            torch_args.append(h.to(torch.float32))
        else:
            feed[n] = a
            torch_args.append(a)
    with torch.no_grad():
        outs = module(*[a.clone() for a in torch_args])
    outs = outs if isinstance(outs, tuple) else (outs,)
    if out_names is None:
        out_names = [o.name for o in onnx.load(str(path), load_external_data=False).graph.output]
    outputs = {n: (o.to(torch.float16) if fp16_out and o.dtype == torch.float32 else o)
               for n, o in zip(out_names, outs)}
    probes.add(path, feed, outputs, kind=kind, tolerance=tolerance, extra=extra)


# ---------------------------------------------------------------------------------------
# Example inputs
# ---------------------------------------------------------------------------------------

PROBE_PROMPTS = ["a red circle", "", "a photo of a cat on the big blue sea", "dark blurry"]


def ids_tensor(tok, batch: int, pad: str, dtype=torch.int32) -> torch.Tensor:
    return torch.tensor([token_ids(tok, PROBE_PROMPTS[i % 4], pad) for i in range(batch)], dtype=dtype)


def latents(gen, b, h, w) -> torch.Tensor:
    return torch.randn(b, mf.LATENT_CHANNELS, h, w, generator=gen)


def context(gen, b) -> torch.Tensor:
    return torch.randn(b, mf.MAX_LENGTH, mf.TEXT_DIM, generator=gen)


def image(gen, b, h, w) -> torch.Tensor:
    return torch.rand(b, 3, 8 * h, 8 * w, generator=gen) * 2 - 1


def guidance_embedding(w: torch.Tensor, dim: int = TIME_COND_DIM) -> torch.Tensor:
    """diffusers LatentConsistencyModelPipeline.get_guidance_scale_embedding (float32)."""
    assert w.ndim == 1
    w = w * 1000.0
    half = dim // 2
    emb = torch.log(torch.tensor(10000.0)) / (half - 1)
    emb = torch.exp(torch.arange(half, dtype=torch.float32) * -emb)
    emb = w.to(torch.float32)[:, None] * emb[None, :]
    emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=1)
    if dim % 2 == 1:
        emb = F.pad(emb, (0, 1))
    return emb


# ---------------------------------------------------------------------------------------
# Folders
# ---------------------------------------------------------------------------------------


def fresh(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def optimum_axes_unet(extra: dict | None = None) -> dict:
    axes = {"sample": {0: "batch_size", 2: "height", 3: "width"}, "timestep": {0: "steps"},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
            "out_sample": {0: "batch_size", 2: "height", 3: "width"}}
    axes.update(extra or {})
    return axes


OPTIMUM_TEXT_AXES = {"input_ids": {0: "batch_size", 1: "sequence_length"},
                     "last_hidden_state": {0: "batch_size", 1: "sequence_length"},
                     "pooler_output": {0: "batch_size"}}
OPTIMUM_DECODER_AXES = {"latent_sample": {0: "batch_size", 2: "height_latent", 3: "width_latent"},
                        "sample": {0: "batch_size", 2: "height", 3: "width"}}


def optimum_encoder_axes(out: str) -> dict:
    return {"sample": {0: "batch_size", 2: "height", 3: "width"},
            out: {0: "batch_size", 2: "height_latent", 3: "width_latent"}}


SIZES = [(8, 8), (16, 12)]   # probe latent sizes for dynamic graphs (batch 2)


def build_optimum_sd_turbo(tok, probes: ProbeWriter) -> None:
    """optimum-cli export onnx (>= 1.23: vae_encoder → latent_parameters) of stabilityai/sd-turbo,
    then onnxruntime's float16 converter with keep_io_types=True on every graph."""
    folder = fresh(OUT_ROOT / "optimum-sd-turbo")
    opset = 14  # optimum's DEFAULT_ONNX_OPSET for the SD components
    write_text(folder / "model_index.json", dump_sorted({
        "_class_name": "StableDiffusionPipeline", "_diffusers_version": OPTIMUM_DIFFUSERS_VERSION,
        "_name_or_path": SD_TURBO, "feature_extractor": [None, None], "image_encoder": [None, None],
        "requires_safety_checker": True, "safety_checker": [None, None],
        "scheduler": ["diffusers", "EulerDiscreteScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"], "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"],
    }))
    write_text(folder / "scheduler" / "scheduler_config.json", dump_sorted(SD_TURBO_SCHEDULER))
    write_tokenizer_modern(folder / "tokenizer", tok, pad=OPENCLIP_PAD)
    te_cfg = clip_text_config(SD_TURBO_SNAPSHOT + "/text_encoder", sd2=True)
    te_cfg["vocab_size"] = len(tok)
    write_text(folder / "text_encoder" / "config.json", dump_sorted(te_cfg))
    write_text(folder / "unet" / "config.json",
               dump_sorted(unet_config(SD_TURBO_SNAPSHOT + "/unet", OPTIMUM_DIFFUSERS_VERSION, True, None)))
    for part in ("vae_encoder", "vae_decoder"):
        write_text(folder / part / "config.json",
                   dump_sorted(vae_config(SD_TURBO_SNAPSHOT + "/vae", OPTIMUM_DIFFUSERS_VERSION)))

    gen = torch.Generator().manual_seed(REPLICA_SEEDS["probes"])
    parts = [
        ("text_encoder", text_encoder(tok, gelu=True), ["input_ids"], ["last_hidden_state", "pooler_output"],
         OPTIMUM_TEXT_AXES, lambda b, h, w: (ids_tensor(tok, b, OPENCLIP_PAD),)),
        ("unet", unet(), ["sample", "timestep", "encoder_hidden_states"], ["out_sample"], optimum_axes_unet(),
         lambda b, h, w: (latents(gen, b, h, w), torch.tensor([537], dtype=torch.int64), context(gen, b))),
        ("vae_encoder", vae_encoder_kl(), ["sample"], ["latent_parameters"], optimum_encoder_axes("latent_parameters"),
         lambda b, h, w: (image(gen, b, h, w),)),
        ("vae_decoder", vae_decoder(), ["latent_sample"], ["sample"], OPTIMUM_DECODER_AXES,
         lambda b, h, w: (latents(gen, b, h, w) / mf.VAE_SCALING_FACTOR,)),
    ]
    for comp, module, names, outs, axes, make in parts:
        path = folder / comp / "model.onnx"
        model = to_fp16(torch_export(module, make(1, LATENT, LATENT), names, outs, axes, opset), keep_io_types=True)
        save_graph(model, path)
        twin = fp16_round_module(module)
        for h, w in (SIZES[:1] if comp == "text_encoder" else SIZES):
            probe(probes, path, twin, names, make(2, h, w), outs, tolerance=fp16_tolerance(comp))
    print_folder(folder)


def fp16_tolerance(comp: str) -> float:
    """Probe tolerance of an fp16 graph against its fp32-compute torch twin (relative to the
    output's max magnitude; see check_replicas.mjs)."""
    return {"text_encoder": 2e-2, "unet": 5e-2, "vae_encoder": 2e-2, "vae_decoder": 2e-2}[comp]


def build_optimum_lcm(tok, probes: ProbeWriter) -> None:
    """optimum-cli export onnx (<= 1.22) of SimianLuo/LCM_Dreamshaper_v7, fp32: U-Net with
    timestep_cond, its weights in model.onnx_data; vae_encoder samples in the graph."""
    folder = fresh(OUT_ROOT / "optimum-lcm-dreamshaper")
    opset = 14
    dv = OPTIMUM_122_DIFFUSERS_VERSION
    write_text(folder / "model_index.json", dump_sorted({
        "_class_name": "LatentConsistencyModelPipeline", "_diffusers_version": dv,
        "_name_or_path": LCM_REPO, "feature_extractor": ["transformers", "CLIPImageProcessor"],
        "image_encoder": [None, None], "requires_safety_checker": True,
        "safety_checker": ["stable_diffusion", "StableDiffusionSafetyChecker"],
        "scheduler": ["diffusers", "LCMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    }))
    write_text(folder / "scheduler" / "scheduler_config.json", dump_sorted(LCM_SCHEDULER))
    write_text(folder / "feature_extractor" / "preprocessor_config.json", dump_sorted(clip_image_processor_config()))
    write_tokenizer_modern(folder / "tokenizer", tok, pad=EOS)
    te_cfg = clip_text_config(LCM_SNAPSHOT + "/text_encoder", sd2=False)
    te_cfg["vocab_size"] = len(tok)
    write_text(folder / "text_encoder" / "config.json", dump_sorted(te_cfg))
    write_text(folder / "unet" / "config.json",
               dump_sorted(unet_config(LCM_SNAPSHOT + "/unet", dv, False, TIME_COND_DIM)))
    for part in ("vae_encoder", "vae_decoder"):
        write_text(folder / part / "config.json", dump_sorted(vae_config(LCM_SNAPSHOT + "/vae", dv)))

    gen = torch.Generator().manual_seed(REPLICA_SEEDS["probes"] + 1)
    w_emb = lambda b: guidance_embedding(torch.tensor([7.0, 2.0, 0.5, 11.0][:b]))  # noqa: E731
    parts = [
        ("text_encoder", text_encoder(tok, gelu=False), ["input_ids"], ["last_hidden_state", "pooler_output"],
         OPTIMUM_TEXT_AXES, lambda b, h, w: (ids_tensor(tok, b, EOS),), None),
        ("unet", lcm_unet(), ["sample", "timestep", "encoder_hidden_states", "timestep_cond"], ["out_sample"],
         optimum_axes_unet({"timestep_cond": {0: "batch_size"}}),
         lambda b, h, w: (latents(gen, b, h, w), torch.tensor([759], dtype=torch.int64), context(gen, b), w_emb(b)),
         "model.onnx_data"),
        ("vae_encoder", vae_encoder_sampling(), ["sample"], ["latent_sample"], optimum_encoder_axes("latent_sample"),
         lambda b, h, w: (image(gen, b, h, w),), None),
        ("vae_decoder", vae_decoder(), ["latent_sample"], ["sample"], OPTIMUM_DECODER_AXES,
         lambda b, h, w: (latents(gen, b, h, w) / mf.VAE_SCALING_FACTOR,), None),
    ]
    for comp, module, names, outs, axes, make, external in parts:
        path = folder / comp / "model.onnx"
        save_graph(torch_export(module, make(1, LATENT, LATENT), names, outs, axes, opset), path,
                   external=external, convert_attribute=True)
        for h, w in (SIZES[:1] if comp == "text_encoder" else SIZES):
            args = make(2, h, w)
            if comp == "vae_encoder":
                probe_sampling_encoder(probes, path, module, args[0])
            else:
                probe(probes, path, module, names, args, outs)
    print_folder(folder)


def probe_sampling_encoder(probes: ProbeWriter, path: Path, module: VaeEncoderSampling, img: torch.Tensor) -> None:
    """In-graph sampling can't match torch's draw: record mean and std; check_replicas checks that
    (latent_sample − mean) / std looks like N(0, 1)."""
    with torch.no_grad():
        mean, logvar = torch.chunk(module.kl(img), 2, dim=1)
        std = torch.exp(0.5 * torch.clamp(logvar, -30.0, 20.0))
    probes.add(path, {"sample": img}, {"latent_sample": mean}, kind="gaussian", extra={"mean": mean, "std": std})


def build_diffusers_script_sd15(tok, probes: ProbeWriter) -> None:
    """diffusers scripts/convert_stable_diffusion_checkpoint_to_onnx.py --model_path
    runwayml/stable-diffusion-v1-5 (opset 14, fp32)."""
    folder = fresh(OUT_ROOT / "diffusers-script-sd15")
    opset = 14
    ort_model = ["diffusers", "OnnxRuntimeModel"]
    write_text(folder / "model_index.json", dump_sorted({
        "_class_name": "OnnxStableDiffusionPipeline", "_diffusers_version": SCRIPT_DIFFUSERS_VERSION,
        "feature_extractor": ["transformers", "CLIPImageProcessor"], "requires_safety_checker": True,
        "safety_checker": ort_model, "scheduler": ["diffusers", "PNDMScheduler"], "text_encoder": ort_model,
        "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ort_model, "vae_decoder": ort_model,
        "vae_encoder": ort_model,
    }))
    write_text(folder / "scheduler" / "scheduler_config.json", dump_sorted(SD15_SCHEDULER))
    write_text(folder / "feature_extractor" / "preprocessor_config.json", dump_sorted(clip_image_processor_config()))
    write_tokenizer_legacy(folder / "tokenizer", tok)

    gen = torch.Generator().manual_seed(REPLICA_SEEDS["probes"] + 2)
    img_axes = {0: "batch", 1: "channels", 2: "height", 3: "width"}
    parts = [
        ("text_encoder", text_encoder(tok, gelu=False), ["input_ids"], ["last_hidden_state", "pooler_output"],
         {"input_ids": {0: "batch", 1: "sequence"}}, lambda b, h, w: (ids_tensor(tok, b, EOS),), None),
        ("unet", unet(), ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
         {"sample": img_axes, "timestep": {0: "batch"}, "encoder_hidden_states": {0: "batch", 1: "sequence"}},
         lambda b, h, w: (latents(gen, b, h, w), torch.tensor([537.0] * b), context(gen, b)), "weights.pb"),
        ("vae_encoder", vae_encoder_sampling(), ["sample"], ["latent_sample"], {"sample": img_axes},
         lambda b, h, w: (image(gen, b, h, w),), None),
        ("vae_decoder", vae_decoder(), ["latent_sample"], ["sample"], {"latent_sample": img_axes},
         lambda b, h, w: (latents(gen, b, h, w) / mf.VAE_SCALING_FACTOR,), None),
        ("safety_checker", safety_checker(), ["clip_input", "images"], ["out_images", "has_nsfw_concepts"],
         {"clip_input": img_axes, "images": {0: "batch", 1: "height", 2: "width", 3: "channels"}},
         lambda b, h, w: ((torch.rand(b, 3, 224, 224, generator=gen) - 0.45) / 0.27,
                          torch.rand(b, 8 * h, 8 * w, 3, generator=gen)), None),
    ]
    for comp, module, names, outs, axes, make, external in parts:
        path = folder / comp / "model.onnx"
        save_graph(torch_export(module, make(1, LATENT, LATENT), names, outs, axes, opset), path,
                   external=external, convert_attribute=False)
        for h, w in (SIZES[:1] if comp == "text_encoder" else SIZES):
            # the exported safety checker only runs batch 1 (the traced images[has_nsfw] = 0 Where
            # broadcasts the [B] mask against the channel axis), as diffusers' OnnxStableDiffusion
            # pipeline knows: it calls it one image at a time
            args = make(1 if comp == "safety_checker" else 2, h, w)
            if comp == "vae_encoder":
                probe_sampling_encoder(probes, path, module, args[0])
            else:
                probe(probes, path, module, names, args, outs)
    print_folder(folder)


def build_webnn_sd_turbo(tok, probes: ProbeWriter) -> None:
    """microsoft/sd-turbo-webnn as the WebNN developer-preview demo loads it: text_encoder/ and
    unet/model_layernorm.onnx (static batch 1 × 77 tokens × 8×8 latents, fp16 inside and at the
    I/O except int32 input_ids), vae_decoder/model.onnx (fp16 weights, float32 I/O, dims batch/
    channels/height/width), tokenizer/ (tokenizer.json + tokenizer_config.json); no
    model_index.json, no scheduler/."""
    folder = fresh(OUT_ROOT / "webnn-sd-turbo")
    opset = 17  # LayerNormalization (the *_layernorm.onnx files carry the fused op)
    write_tokenizer_webnn(folder / "tokenizer", tok)
    gen = torch.Generator().manual_seed(REPLICA_SEEDS["probes"] + 3)
    te = text_encoder(tok, gelu=True)
    u = unet()
    dec = vae_decoder()

    path = folder / "text_encoder" / "model_layernorm.onnx"
    args = (ids_tensor(tok, 1, EOS),)
    model = to_fp16(torch_export(te, args, ["input_ids"], ["last_hidden_state", "pooler_output"], None, opset),
                    keep_io_types=False)
    set_static_shapes(model)
    save_graph(model, path)
    probe(probes, path, fp16_round_module(te), ["input_ids"], args, ["last_hidden_state", "pooler_output"],
          fp16_out=True, tolerance=fp16_tolerance("text_encoder"))

    path = folder / "unet" / "model_layernorm.onnx"
    names = ["sample", "timestep", "encoder_hidden_states"]
    mk = lambda: (latents(gen, 1, LATENT, LATENT), torch.tensor([999.0]), context(gen, 1))  # noqa: E731
    model = to_fp16(torch_export(u, mk(), names, ["out_sample"], None, opset), keep_io_types=False)
    set_static_shapes(model)
    save_graph(model, path)
    for _ in range(2):
        probe(probes, path, fp16_round_module(u), names, mk(), ["out_sample"], fp16_in=set(names),
              fp16_out=True, tolerance=fp16_tolerance("unet"))

    path = folder / "vae_decoder" / "model.onnx"
    mk = lambda b, h, w: (latents(gen, b, h, w) / mf.VAE_SCALING_FACTOR,)  # noqa: E731
    model = to_fp16(torch_export(dec, mk(1, LATENT, LATENT), ["latent_sample"], ["sample"],
                                 {"latent_sample": {0: "batch", 1: "channels", 2: "height", 3: "width"}}, 14),
                    keep_io_types=True)
    save_graph(model, path)
    for h, w in SIZES:
        probe(probes, path, fp16_round_module(dec), ["latent_sample"], mk(1, h, w), ["sample"],
              tolerance=fp16_tolerance("vae_decoder"))
    print_folder(folder)


def tensorstack_residual_axes() -> list[dict]:
    """OnnxStack converter style names (cnet_db{i}_*, cnet_mbar_*), suffix = downsample factor."""
    axes = []
    for i, factor in enumerate([1, 1, 2]):
        s = "" if factor == 1 else str(factor)
        axes.append({0: f"cnet_db{i}_batch", 1: f"cnet_db{i}_channels", 2: f"cnet_db{i}_height{s}",
                     3: f"cnet_db{i}_width{s}"})
    axes.append({0: "cnet_mbar_batch", 1: "cnet_mbar_channels", 2: "cnet_mbar_height2", 3: "cnet_mbar_width2"})
    return axes


def build_tensorstack(tok, probes: ProbeWriter) -> None:
    """SD 1.5 + ControlNet in the OnnxStack converter's layout ("unoptimized" fp32 graphs, opset
    16): float32 timestep, int32 input_ids, copied model_index/scheduler/tokenizer/config.json,
    vae_encoder sampling in the graph; controlnet/model.onnx = the ControlNet (conditioning_scale
    float64 [1], outputs left unnamed → torch's numeric names), unet/model.onnx takes the residuals
    (see README: the real converter puts that U-Net at controlnet/model.onnx)."""
    folder = fresh(OUT_ROOT / "tensorstack-sd15-controlnet")
    opset = 16
    # model_index.json / scheduler / tokenizer / config.json are copied from the diffusers source
    # model (runwayml/stable-diffusion-v1-5); the ControlNet U-Net gets the unet's config
    write_text(folder / "model_index.json", dump_sorted({
        "_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.6.0",
        "feature_extractor": ["transformers", "CLIPImageProcessor"],
        "safety_checker": ["stable_diffusion", "StableDiffusionSafetyChecker"],
        "scheduler": ["diffusers", "PNDMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    }))
    write_text(folder / "scheduler" / "scheduler_config.json", dump_sorted(SD15_SCHEDULER))
    write_tokenizer_legacy(folder / "tokenizer", tok)
    te_cfg = clip_text_config(SD15 + "/text_encoder", sd2=False)
    te_cfg.update(vocab_size=len(tok), transformers_version="4.22.0.dev0", _name_or_path="openai/clip-vit-large-patch14")
    write_text(folder / "text_encoder" / "config.json", dump_sorted(te_cfg))
    u_cfg = unet_config(SD15, "0.6.0", False, None)
    write_text(folder / "unet" / "config.json", dump_sorted(u_cfg))
    write_text(folder / "controlnet" / "config.json", dump_sorted(u_cfg))
    for part in ("vae_encoder", "vae_decoder"):
        write_text(folder / part / "config.json", dump_sorted(vae_config(SD15, "0.6.0")))

    gen = torch.Generator().manual_seed(REPLICA_SEEDS["probes"] + 4)
    u, cn = controlnet()
    unet_axes = {"sample": {0: "unet_sample_batch", 1: "unet_sample_channels", 2: "unet_sample_height",
                            3: "unet_sample_width"},
                 "timestep": {0: "unet_time_batch"},
                 "encoder_hidden_states": {0: "unet_hidden_batch", 1: "unet_hidden_sequence"}}
    res_names = mf.residual_names("tensorstack", "unet")
    unet_axes.update(dict(zip(res_names, tensorstack_residual_axes())))
    cn_axes = {k: v for k, v in unet_axes.items() if k in ("sample", "timestep", "encoder_hidden_states")}
    cn_axes["controlnet_cond"] = {0: "controlnet_sample_batch", 1: "controlnet_sample_channels",
                                  2: "controlnet_sample_height", 3: "controlnet_sample_width"}
    img_axes = {0: "batch", 1: "channels", 2: "height", 3: "width"}
    t = lambda: torch.tensor([537.0])  # noqa: E731
    parts = [
        ("text_encoder", text_encoder(tok, gelu=False), ["input_ids"], ["last_hidden_state", "pooler_output"],
         {"input_ids": {0: "batch", 1: "sequence"}}, lambda b, h, w: (ids_tensor(tok, b, EOS),)),
        ("unet", u, ["sample", "timestep", "encoder_hidden_states", *res_names], ["out_sample"], unet_axes,
         lambda b, h, w: (latents(gen, b, h, w), t(), context(gen, b),
                          *[torch.randn(*s, generator=gen) * 0.3 for s in mf.residual_shapes(b, h, w)])),
        ("controlnet", cn, ["sample", "timestep", "encoder_hidden_states", "controlnet_cond", "conditioning_scale"],
         None, cn_axes,
         lambda b, h, w: (latents(gen, b, h, w), t(), context(gen, b),
                          (torch.rand(b, 3, 8 * h, 8 * w, generator=gen) > 0.8).to(torch.float32),
                          torch.tensor([0.8], dtype=torch.float64))),
        ("vae_encoder", vae_encoder_sampling(), ["sample"], ["latent_sample"], {"sample": img_axes},
         lambda b, h, w: (image(gen, b, h, w),)),
        ("vae_decoder", vae_decoder(), ["latent_sample"], ["sample"], {"latent_sample": img_axes},
         lambda b, h, w: (latents(gen, b, h, w) / mf.VAE_SCALING_FACTOR,)),
    ]
    for comp, module, names, outs, axes, make in parts:
        path = folder / comp / "model.onnx"
        save_graph(torch_export(module, make(1, LATENT, LATENT), names, outs, axes, opset), path)
        for h, w in (SIZES[:1] if comp == "text_encoder" else SIZES):
            args = make(2, h, w)
            if comp == "vae_encoder":
                probe_sampling_encoder(probes, path, module, args[0])
            else:
                probe(probes, path, module, names, args, outs)
    print_folder(folder)


# ---------------------------------------------------------------------------------------
# Bad-input fixtures
# ---------------------------------------------------------------------------------------


def build_bad() -> None:
    """Copies of optimum-lcm-dreamshaper with one broken U-Net each (see README)."""
    src = OUT_ROOT / "optimum-lcm-dreamshaper"
    if BAD_ROOT.exists():
        shutil.rmtree(BAD_ROOT)
    for name in ("escaping-location", "missing-external", "empty-part"):
        shutil.copytree(src, BAD_ROOT / name)
    # escaping-location: every external tensor points at "../x.bin" (valid data, but outside unet/)
    d = BAD_ROOT / "escaping-location"
    model = onnx.load(str(d / "unet" / "model.onnx"), load_external_data=False)
    for t in model.graph.initializer:
        for kv in t.external_data:
            if kv.key == "location":
                kv.value = "../x.bin"
    (d / "unet" / "model.onnx").write_bytes(model.SerializeToString())
    (d / "unet" / "model.onnx_data").rename(d / "x.bin")
    # missing-external: the graph names model.onnx_data, which is absent
    (BAD_ROOT / "missing-external" / "unet" / "model.onnx_data").unlink()
    # empty-part: unet/ has its config.json but no graph file
    for f in ("model.onnx", "model.onnx_data"):
        (BAD_ROOT / "empty-part" / "unet" / f).unlink()
    for d in sorted(BAD_ROOT.iterdir()):
        print(f"  bad/{d.name}: {folder_bytes(d)} bytes")


# ---------------------------------------------------------------------------------------


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def print_folder(folder: Path) -> None:
    total = folder_bytes(folder)
    print(f"{folder.relative_to(REPO)}: {total} bytes")
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            print(f"  {p.relative_to(folder).as_posix():45s} {p.stat().st_size:>8}")
    assert total < MAX_FOLDER_BYTES, f"{folder} is {total} bytes (limit {MAX_FOLDER_BYTES})"


BUILDERS = {
    "optimum-sd-turbo": build_optimum_sd_turbo,
    "optimum-lcm-dreamshaper": build_optimum_lcm,
    "diffusers-script-sd15": build_diffusers_script_sd15,
    "webnn-sd-turbo": build_webnn_sd_turbo,
    "tensorstack-sd15-controlnet": build_tensorstack,
}


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-node", action="store_true", help="skip the onnxruntime-node checks")
    ap.add_argument("--no-references", action="store_true", help="skip reference_runs.py")
    args = ap.parse_args()
    torch.set_num_threads(1)
    start = time.time()
    tok = mf.TinyClipTokenizer()
    assert tok.vocab[OPENCLIP_PAD] == 0, "OpenCLIP's pad token '!' must be id 0"
    OUT_ROOT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lantern-replica-probes-") as tmp:
        probes = ProbeWriter(Path(tmp))
        for name, build in BUILDERS.items():
            build(tok, probes)
        build_bad()
        manifest = probes.finish()
        print(f"models/fixtures/replicas digest {tree_digest(OUT_ROOT)}")
        print(f"tests/fixtures/replicas/bad digest {tree_digest(BAD_ROOT)}")
        if not args.no_references:
            rc = subprocess.call([sys.executable, str(HERE / "reference_runs.py")], cwd=REPO)
            if rc != 0:
                return rc
        rc = 0
        node = shutil.which("node")
        if not args.no_node and node:
            cmd = [node, str(HERE / "check_replicas.mjs"), "--probes", str(manifest), "--write-replays"]
            print("$", " ".join(cmd[1:]))
            rc = subprocess.call(cmd, cwd=REPO)
        elif not args.no_node:
            print("node not found: skipping the onnxruntime-node checks", file=sys.stderr)
    print(f"make_replicas: {time.time() - start:.1f} s")
    return rc


if __name__ == "__main__":
    sys.exit(main())
