#!/usr/bin/env python3
"""Oracle for jenny's LLaMA-family forward pass: tiny random models in Hugging Face layout and
the logits PyTorch/transformers computes for them.

Each model is written to DIR/<name>/ (DIR defaults to tests/fixtures/model/tiny):
  config.json, generation_config.json, model.safetensors   as transformers' save_pretrained
                                                           writes them (internlm2: by hand)
  prompts.json   {"prompts": [[token id, ...], ...], "shapes": [[T, V], ...], "offsets": [...],
                  "reference", "weights_dtype", "f64_max_abs_diff", ...}
  logits.bin     float32 little-endian, the (T, V) row-major logits of every position of
                 prompt 0, then prompt 1, ...; offsets[i] is prompt i's first float
Each prompt is a separate batch of one sequence starting at position 0 (no padding, no BOS
added: the ids are fed exactly as listed).

Models (hidden 64, 2 layers, 4 query heads of 16, random weights, seed fixed):
  llama3        LlamaForCausalLM, 2 kv heads, rope_theta 5e5 with llama3 rope scaling
                (factor 8, low 1, high 4, original_max_position_embeddings 8192), tied
                embeddings, rms_norm_eps 1e-5
  llama3_f16    llama3's weights rounded to float16 (safetensors F16); logits computed in
  llama3_bf16   float32 from the rounded weights; prompts.json also says how far those logits
                are from llama3's (the unrounded model's), the looser tolerance a test comparing
                an f16/bf16 model against the f32 one must use
  qwen2         Qwen2ForCausalLM, 4 kv heads (MHA), q/k/v biases (random), rope_theta 1e6,
                untied, rms_norm_eps 1e-6
  mistral       MistralForCausalLM, 1 kv head (MQA), sliding_window null, rope_theta 1e4,
                untied, rms_norm_eps 1e-5
  internlm2     InternLM2 names and packed wqkv (transformers has no InternLM2 class), 2 kv
                heads, rope_theta 1e6, untied, rms_norm_eps 1e-5; its logits come from a
                LlamaForCausalLM holding the unpacked weights (see internlm2_to_llama)

Stored weights: llama3 float32; qwen2, mistral and internlm2 bfloat16 (as those models ship,
and to keep each safetensors under ~230 KB); in every case the logits are computed in float32
from the stored weights, so a float32 implementation reading them can compare tightly.
Weights come from numpy's PCG64 (stable across versions), not torch's generator, so --check
can regenerate them bit for bit. Norm weights are 1 + noise and every init std is large
(0.1-0.5) so that logits are far from flat and layout mistakes show.

Usage:
  tiny_models.py [--dir DIR]           write every model and its logits
  tiny_models.py --check [--dir DIR]   regenerate into a temp dir; exit 1 when a config,
                                       tensor or prompt list differs or logits differ by more
                                       than float noise (also recomputes logits from the
                                       committed safetensors)
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_DIR = os.path.join(ROOT, "tests", "fixtures", "model", "tiny")

# At position 12 llama3's rope scaling already moves logits by 0.06 (vs 2e-5 float noise).
PROMPT_LENGTHS = [1, 3, 6, 9, 13]
LOGITS_ATOL = 2e-5   # --check: re-run vs committed, relative to max |logit| (float noise only)

MODELS = {
    "llama3": dict(cls="LlamaForCausalLM", vocab=300, hidden=64, inter=96, layers=2, heads=4,
                   kv_heads=2, theta=500000.0, eps=1e-5, tied=True, bias=False,
                   rope_scaling={"rope_type": "llama3", "factor": 8.0,
                                 "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                 "original_max_position_embeddings": 8192},
                   max_pos=131072, seed=1003),
    "qwen2": dict(cls="Qwen2ForCausalLM", vocab=277, hidden=64, inter=112, layers=2, heads=4,
                  kv_heads=4, theta=1000000.0, eps=1e-6, tied=False, bias=True,
                  rope_scaling=None, max_pos=32768, seed=1004),
    "mistral": dict(cls="MistralForCausalLM", vocab=250, hidden=64, inter=100, layers=2, heads=4,
                    kv_heads=1, theta=10000.0, eps=1e-5, tied=False, bias=False,
                    rope_scaling=None, max_pos=32768, seed=1005),
    "internlm2": dict(cls="InternLM2ForCausalLM", vocab=263, hidden=64, inter=120, layers=2,
                      heads=4, kv_heads=2, theta=1000000.0, eps=1e-5, tied=False, bias=False,
                      rope_scaling=None, max_pos=32768, seed=1006),
}
# fixture directory -> (model, dtype of the stored weights)
VARIANTS = {"llama3": ("llama3", "float32"), "llama3_f16": ("llama3", "float16"),
            "llama3_bf16": ("llama3", "bfloat16"), "qwen2": ("qwen2", "bfloat16"),
            "mistral": ("mistral", "bfloat16"), "internlm2": ("internlm2", "bfloat16")}
ORDER = list(VARIANTS)


def quiet():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import transformers
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()


def versions():
    import safetensors
    import torch
    import transformers
    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "safetensors": safetensors.__version__, "numpy": np.__version__}


def prompts_for(vocab, seed):
    rng = np.random.Generator(np.random.PCG64(seed + 7777))
    return [[int(x) for x in rng.integers(0, vocab, size=n)] for n in PROMPT_LENGTHS]


# ---------------------------------------------------------------------------------------------
# HF configs and random weights

def hf_config(spec):
    import transformers
    head_dim = spec["hidden"] // spec["heads"]
    rope = {"rope_type": "default", "rope_theta": spec["theta"]}
    if spec["rope_scaling"]:
        rope = dict(spec["rope_scaling"], rope_theta=spec["theta"])
    common = dict(vocab_size=spec["vocab"], hidden_size=spec["hidden"],
                  intermediate_size=spec["inter"], num_hidden_layers=spec["layers"],
                  num_attention_heads=spec["heads"], num_key_value_heads=spec["kv_heads"],
                  head_dim=head_dim, rms_norm_eps=spec["eps"], rope_parameters=rope,
                  max_position_embeddings=spec["max_pos"],
                  tie_word_embeddings=spec["tied"], bos_token_id=1, eos_token_id=2,
                  hidden_act="silu")
    if spec["cls"] in ("LlamaForCausalLM", "InternLM2ForCausalLM"):
        return transformers.LlamaConfig(attention_bias=spec["bias"], mlp_bias=False, **common)
    if spec["cls"] == "Qwen2ForCausalLM":
        return transformers.Qwen2Config(use_sliding_window=False, sliding_window=None, **common)
    if spec["cls"] == "MistralForCausalLM":
        return transformers.MistralConfig(sliding_window=None, **common)
    raise ValueError(spec["cls"])


def random_state(model, seed):
    """Deterministic numpy weights for every parameter of a transformers model."""
    import torch
    rng = np.random.Generator(np.random.PCG64(seed))
    state = {}
    for name, p in sorted(model.state_dict().items()):
        shape = tuple(p.shape)
        if name.endswith("norm.weight"):
            w = 1.0 + 0.2 * rng.standard_normal(shape)
        elif name.endswith("embed_tokens.weight"):
            w = 0.5 * rng.standard_normal(shape)
        elif name.endswith("lm_head.weight"):
            w = 0.4 * rng.standard_normal(shape)
        elif name.endswith(".bias"):
            w = 0.3 * rng.standard_normal(shape)
        else:
            w = 0.15 * rng.standard_normal(shape)
        state[name] = torch.from_numpy(w.astype(np.float32))
    return state


def build_hf(spec):
    import torch
    import transformers
    torch.manual_seed(0)
    config = hf_config(spec)
    cls = transformers.LlamaForCausalLM if spec["cls"] == "InternLM2ForCausalLM" else \
        getattr(transformers, spec["cls"])
    model = cls(config).float().eval()
    state = random_state(model, spec["seed"])
    if spec["tied"]:
        state.pop("lm_head.weight", None)
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and set(missing) <= {"lm_head.weight"}, (missing, unexpected)
    if spec["tied"]:
        assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    return model


# ---------------------------------------------------------------------------------------------
# InternLM2: packed wqkv <-> Llama q/k/v
#
# modeling_internlm2.py (InternLM/InternLM, HF remote code) computes
#   qkv = wqkv(x)                                    # (B, T, (H_kv * (G + 2)) * D)
#   qkv = rearrange(qkv, "b q (h gs d) -> b q h gs d", gs=2 + G, d=D)
#   q = rearrange(qkv[..., :G, :], "b q h gs d -> b q (h gs) d"); k = qkv[..., -2, :];
#   v = qkv[..., -1, :]
# with G = H / H_kv. So wqkv's rows, in blocks of D, are: for kv head h = 0..H_kv-1:
# q head h*G, ..., q head h*G+G-1, k head h, v head h. Query head h*G+g uses kv head h, which is
# exactly transformers' repeat_kv grouping, and InternLM2 applies rotate_half rope, rms norms,
# SwiGLU (w1 gate, w3 up, w2 down) and an untied `output` head like Llama. Hence an InternLM2
# model equals a LlamaForCausalLM with q_proj/k_proj/v_proj unpacked from wqkv as below and
# the other tensors renamed; its logits are that Llama model's.

def pack_wqkv(q, k, v, heads, kv_heads, head_dim):
    """q (H*D, C), k and v (H_kv*D, C) -> wqkv ((H_kv*(G+2))*D, C)."""
    g = heads // kv_heads
    c = q.shape[1]
    qg = q.reshape(kv_heads, g, head_dim, c)
    kg = k.reshape(kv_heads, 1, head_dim, c)
    vg = v.reshape(kv_heads, 1, head_dim, c)
    return np.concatenate([qg, kg, vg], axis=1).reshape(kv_heads * (g + 2) * head_dim, c)


def unpack_wqkv(wqkv, heads, kv_heads, head_dim):
    g = heads // kv_heads
    c = wqkv.shape[1]
    w = wqkv.reshape(kv_heads, g + 2, head_dim, c)
    return (w[:, :g].reshape(heads * head_dim, c), w[:, g].reshape(kv_heads * head_dim, c),
            w[:, g + 1].reshape(kv_heads * head_dim, c))


def internlm2_names(spec):
    """Llama name -> InternLM2 name (q/k/v handled by pack_wqkv)."""
    names = {"model.embed_tokens.weight": "model.tok_embeddings.weight",
             "model.norm.weight": "model.norm.weight", "lm_head.weight": "output.weight"}
    for i in range(spec["layers"]):
        a, b = f"model.layers.{i}.", f"model.layers.{i}."
        names.update({
            a + "self_attn.o_proj.weight": b + "attention.wo.weight",
            a + "mlp.gate_proj.weight": b + "feed_forward.w1.weight",
            a + "mlp.down_proj.weight": b + "feed_forward.w2.weight",
            a + "mlp.up_proj.weight": b + "feed_forward.w3.weight",
            a + "input_layernorm.weight": b + "attention_norm.weight",
            a + "post_attention_layernorm.weight": b + "ffn_norm.weight",
        })
    return names


def internlm2_to_llama(tensors, spec):
    """InternLM2 state dict (numpy) -> Llama state dict (numpy); the equivalence above."""
    head_dim = spec["hidden"] // spec["heads"]
    inverse = {v: k for k, v in internlm2_names(spec).items()}
    out = {}
    for name, t in tensors.items():
        if name.endswith("attention.wqkv.weight"):
            prefix = name[: -len("attention.wqkv.weight")]
            q, k, v = unpack_wqkv(t, spec["heads"], spec["kv_heads"], head_dim)
            out[prefix + "self_attn.q_proj.weight"] = q
            out[prefix + "self_attn.k_proj.weight"] = k
            out[prefix + "self_attn.v_proj.weight"] = v
        else:
            out[inverse[name]] = t
    return out


def save_internlm2(model, spec, out_dir, dtype):
    import torch
    from safetensors.torch import save_file
    head_dim = spec["hidden"] // spec["heads"]
    sd = {k: v.detach().to(dtype).float().numpy().copy() for k, v in model.state_dict().items()}
    names = internlm2_names(spec)
    tensors = {}
    for i in range(spec["layers"]):
        p = f"model.layers.{i}."
        tensors[p + "attention.wqkv.weight"] = pack_wqkv(
            sd[p + "self_attn.q_proj.weight"], sd[p + "self_attn.k_proj.weight"],
            sd[p + "self_attn.v_proj.weight"], spec["heads"], spec["kv_heads"], head_dim)
    for name, t in sd.items():
        if name in names:
            tensors[names[name]] = t
    back = internlm2_to_llama(tensors, spec)
    assert set(back) == set(sd), "internlm2 round trip lost a tensor"
    for k, v in sd.items():
        assert np.array_equal(back[k], v), k
    save_file({k: torch.from_numpy(v).to(dtype).contiguous() for k, v in tensors.items()},
              os.path.join(out_dir, "model.safetensors"), metadata={"format": "pt"})
    config = {
        "architectures": ["InternLM2ForCausalLM"], "model_type": "internlm2",
        "attn_implementation": "eager", "bias": spec["bias"], "bos_token_id": 1,
        "eos_token_id": 2, "pad_token_id": 2, "hidden_act": "silu",
        "hidden_size": spec["hidden"], "initializer_range": 0.02,
        "intermediate_size": spec["inter"], "max_position_embeddings": spec["max_pos"],
        "num_attention_heads": spec["heads"], "num_hidden_layers": spec["layers"],
        "num_key_value_heads": spec["kv_heads"], "rms_norm_eps": spec["eps"],
        "rope_scaling": None, "rope_theta": spec["theta"], "tie_word_embeddings": False,
        "torch_dtype": str(dtype).replace("torch.", ""), "use_cache": True,
        "vocab_size": spec["vocab"],
    }
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    with open(os.path.join(out_dir, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 2}, f, indent=2)
        f.write("\n")


def load_internlm2_as_llama(path, spec):
    import torch
    import transformers
    from safetensors.torch import load_file
    tensors = {k: v.float().numpy() for k, v in
               load_file(os.path.join(path, "model.safetensors")).items()}
    model = transformers.LlamaForCausalLM(hf_config(spec)).float().eval()
    state = {k: torch.from_numpy(v.copy()) for k, v in internlm2_to_llama(tensors, spec).items()}
    model.load_state_dict(state, strict=True)
    return model


def internlm2_direct_logits(path, spec, ids):
    """A from-scratch float64 InternLM2 forward over the packed tensors, following
    modeling_internlm2.py (rearrange of wqkv, rotate_half rope, repeat_kv, SwiGLU), so that the
    Llama equivalence above is checked rather than assumed."""
    import torch
    from safetensors.torch import load_file
    t = {k: v.to(torch.float64) for k, v in
         load_file(os.path.join(path, "model.safetensors")).items()}
    h_q, h_kv, d = spec["heads"], spec["kv_heads"], spec["hidden"] // spec["heads"]
    g, n, eps = h_q // h_kv, len(ids), spec["eps"]

    def rms(x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w

    def rot(x):  # rotate_half
        return torch.cat((-x[..., d // 2:], x[..., :d // 2]), dim=-1)

    inv_freq = 1.0 / (spec["theta"] ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    freqs = torch.outer(torch.arange(n, dtype=torch.float64), inv_freq)
    cos, sin = torch.cat((freqs, freqs), -1)[:, None], torch.cat((freqs, freqs), -1)[:, None]
    cos, sin = cos.cos(), sin.sin()
    mask = torch.full((n, n), float("-inf"), dtype=torch.float64).triu(1)
    x = t["model.tok_embeddings.weight"][torch.tensor(ids)]                 # (T, C)
    for i in range(spec["layers"]):
        p = f"model.layers.{i}."
        qkv = (rms(x, t[p + "attention_norm.weight"]) @ t[p + "attention.wqkv.weight"].T)
        qkv = qkv.view(n, h_kv, g + 2, d)                                     # (T, Hkv, G+2, D)
        q = qkv[:, :, :g].reshape(n, h_q, d)
        k = qkv[:, :, -2].repeat_interleave(g, dim=1)                         # (T, H, D)
        v = qkv[:, :, -1].repeat_interleave(g, dim=1)
        q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
        att = torch.einsum("thd,shd->hts", q, k) / d ** 0.5 + mask
        y = torch.einsum("hts,shd->thd", att.softmax(-1), v).reshape(n, h_q * d)
        x = x + y @ t[p + "attention.wo.weight"].T
        hn = rms(x, t[p + "ffn_norm.weight"])
        gate = torch.nn.functional.silu(hn @ t[p + "feed_forward.w1.weight"].T)
        up = hn @ t[p + "feed_forward.w3.weight"].T
        x = x + (gate * up) @ t[p + "feed_forward.w2.weight"].T
    return (rms(x, t["model.norm.weight"]) @ t["output.weight"].T).numpy()


# ---------------------------------------------------------------------------------------------
# logits

def compute_logits(model, prompts, dtype=None):
    import torch
    if dtype is not None:
        model = model.to(dtype)
    out = []
    with torch.no_grad():
        for ids in prompts:
            logits = model(torch.tensor([ids], dtype=torch.long), use_cache=False).logits[0]
            out.append(logits.to(torch.float64).numpy())
    if dtype is not None:
        model.to(torch.float32)
    return out


def load_model(path, name):
    """The committed (or regenerated) model directory as a float32 torch model."""
    import transformers
    if name == "internlm2":  # a model name of MODELS
        return load_internlm2_as_llama(path, MODELS[name])
    import torch
    model = transformers.AutoModelForCausalLM.from_pretrained(
        path, dtype=torch.float32, attn_implementation="eager")
    return model.float().eval()


def write_logits(out_dir, name, prompts, logits, extra):
    flat = np.concatenate([l.astype("<f4").reshape(-1) for l in logits])
    flat.tofile(os.path.join(out_dir, "logits.bin"))
    offsets, pos = [], 0
    for l in logits:
        offsets.append(pos)
        pos += l.size
    meta = {"model": name, "prompts": prompts, "shapes": [list(l.shape) for l in logits],
            "offsets": offsets, "dtype": "float32", "byte_order": "little",
            "file": "logits.bin", "n_floats": int(pos)}
    meta.update(extra)
    with open(os.path.join(out_dir, "prompts.json"), "w") as f:
        f.write(dump_meta(meta))


def dump_meta(meta):
    """One key per line (sorted), one prompt per line: readable and diffable."""
    rest = [f' "{k}": {json.dumps(meta[k])}' for k in sorted(meta) if k != "prompts"]
    prompts = ",\n  ".join(json.dumps(p) for p in meta["prompts"])
    return "{\n" + ",\n".join(rest) + ',\n "prompts": [\n  ' + prompts + "\n ]\n}\n"


def read_logits(d):
    with open(os.path.join(d, "prompts.json")) as f:
        meta = json.load(f)
    flat = np.fromfile(os.path.join(d, "logits.bin"), dtype="<f4")
    assert flat.size == meta["n_floats"], (d, flat.size, meta["n_floats"])
    out = []
    for off, shape in zip(meta["offsets"], meta["shapes"]):
        n = shape[0] * shape[1]
        out.append(flat[off:off + n].reshape(shape).astype(np.float64))
    return meta, out


def max_abs(a, b):
    return float(max(np.max(np.abs(x - y)) for x, y in zip(a, b)))


def build_all(root):
    import torch
    torch.set_num_threads(1)
    os.makedirs(root, exist_ok=True)
    f32_logits = {}
    for name in ORDER:
        src, dtype_name = VARIANTS[name]
        spec = MODELS[src]
        out_dir = os.path.join(root, name)
        if os.path.isdir(out_dir):
            shutil.rmtree(out_dir)
        os.makedirs(out_dir)
        model = build_hf(spec)
        prompts = prompts_for(spec["vocab"], spec["seed"])
        if dtype_name != "float32":
            f32_logits.setdefault(src, compute_logits(model, prompts))
        dtype = getattr(torch, dtype_name)
        if src == "internlm2":
            save_internlm2(model, spec, out_dir, dtype)
            ref_text = ("LlamaForCausalLM with q/k/v unpacked from the packed wqkv "
                        "(tiny_models.py internlm2_to_llama)")
        else:
            model.to(dtype).save_pretrained(out_dir, safe_serialization=True)
            ref_text = f"{spec['cls']} from transformers, eager attention"
        model = load_model(out_dir, src)  # the weights as stored, upcast to float32
        logits = compute_logits(model, prompts)
        ref = compute_logits(model, prompts, torch.float64)
        if src == "internlm2":
            direct = [internlm2_direct_logits(out_dir, spec, ids) for ids in prompts]
            gap = max_abs(direct, ref)
            # ~3e-6: HF computes rope angles in float32; a layout error would be O(1)
            assert gap < 1e-4, f"internlm2: direct forward differs from Llama form by {gap}"
        extra = {"reference": ref_text + f"; weights as stored ({dtype_name}) upcast to "
                                         "float32; logits computed in float32",
                 "weights_dtype": dtype_name, "architecture": spec["cls"],
                 "f64_max_abs_diff": max_abs(logits, ref),
                 "max_abs_logit": float(max(np.max(np.abs(l)) for l in logits))}
        if src == "internlm2":
            extra["direct_forward_max_abs_diff"] = gap
        if dtype_name == "float32":
            f32_logits[src] = logits
        else:
            extra["unrounded_max_abs_diff"] = max_abs(logits, f32_logits[src])
        write_logits(out_dir, name, prompts, logits, extra)
        sizes = {f: os.path.getsize(os.path.join(out_dir, f)) for f in sorted(os.listdir(out_dir))}
        print(f"tiny_models: {name}: " + ", ".join(f"{f} {s}" for f, s in sizes.items())
              + f"; max|logit| {extra['max_abs_logit']:.2f}, f32 vs f64 "
              f"{extra['f64_max_abs_diff']:.2e}"
              + (f", vs unrounded {extra['unrounded_max_abs_diff']:.2e}"
                 if "unrounded_max_abs_diff" in extra else ""))


def compare_dirs(want_root, got_root):
    from safetensors.torch import load_file
    bad = []
    for name in ORDER:
        w, g = os.path.join(want_root, name), os.path.join(got_root, name)
        for cfg in ("config.json", "generation_config.json"):
            with open(os.path.join(w, cfg)) as f:
                a = json.load(f)
            with open(os.path.join(g, cfg)) as f:
                b = json.load(f)
            a.pop("transformers_version", None)
            b.pop("transformers_version", None)
            if a != b:
                bad.append(f"{name}/{cfg} differs")
        ta = load_file(os.path.join(w, "model.safetensors"))
        tb = load_file(os.path.join(g, "model.safetensors"))
        if set(ta) != set(tb):
            bad.append(f"{name}: tensor names differ: {sorted(set(ta) ^ set(tb))}")
        else:
            for k in ta:
                if ta[k].dtype != tb[k].dtype or not ta[k].equal(tb[k]):
                    bad.append(f"{name}: tensor {k} differs")
        ma, la = read_logits(w)
        mb, lb = read_logits(g)
        if ma["prompts"] != mb["prompts"] or ma["shapes"] != mb["shapes"]:
            bad.append(f"{name}: prompts or shapes differ")
            continue
        scale = max(1.0, ma["max_abs_logit"])
        d = max_abs(la, lb)
        status = "ok" if d <= LOGITS_ATOL * scale else "MISMATCH"
        print(f"tiny_models: {name}: regenerated logits max abs diff {d:.2e} "
              f"(limit {LOGITS_ATOL * scale:.2e}) {status}")
        if status != "ok":
            bad.append(f"{name}: logits differ by {d:.3e}")
        # the committed safetensors, loaded afresh, must still give the committed logits
        model = load_model(w, VARIANTS[name][0])
        lc = compute_logits(model, ma["prompts"])
        d = max_abs(la, lc)
        if d > LOGITS_ATOL * scale:
            bad.append(f"{name}: committed weights give logits {d:.3e} away from logits.bin")
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=DEFAULT_DIR)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    quiet()
    print("tiny_models: versions " + json.dumps(versions(), sort_keys=True))
    if not args.check:
        build_all(args.dir)
        return
    tmp = tempfile.mkdtemp(prefix="jenny_tiny_models_")
    try:
        build_all(tmp)
        bad = compare_dirs(args.dir, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if bad:
        print("tiny_models: MISMATCH\n  " + "\n  ".join(bad))
        sys.exit(1)
    print(f"tiny_models: all {len(ORDER)} models agree with {args.dir}")


if __name__ == "__main__":
    main()
